import pytest


@pytest.fixture(autouse=True)
def request_context(app):
    """Messages are translated as they are read: read them as in a request (in English)."""
    with app.test_request_context():
        yield
