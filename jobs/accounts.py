"""Account jobs: the password-reset email, decided here so the request does the same work for any email."""

from jobs.worker import app_context
from portal.auth import services
from portal.extensions import db


def send_password_reset(email, address):
    """Email a reset link if `email` has an account that may reset; audit the request either way."""
    with app_context():
        account = services.request_password_reset(email, address=address)
        db.session.commit()
        return account is not None
