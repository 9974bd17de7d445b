"""Fixtures: apps on SQLite and PostgreSQL, a rolled-back transaction per test, SMTP, Redis."""

import contextvars
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event

from portal import create_app
from portal.extensions import db, limiter
from tests import services
from tests.factories import make_staff

# Cheaper argon2 for the many accounts tests create; one test checks the production setting.
FAST_HASH = {"ARGON2_MEMORY_KIB": 8192, "ARGON2_TIME_COST": 1}


def test_settings(database_url, instance_dir, **extra):
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-prod",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_DIR": str(instance_dir),
        "UPLOAD_DIR": str(Path(instance_dir) / "uploads"),
        "REDIS_URL": None,
        "SMTP_HOST": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "BASE_URL": "http://localhost",
        "MAIL_RETRY_INTERVALS": [0, 0],
        **FAST_HASH,
    }
    settings.update(extra)
    return settings


test_settings.__test__ = False  # a helper, not a test

KEPT_TABLES = {"tiers", "benefits"}  # what the migrations made


def delete_committed_rows():
    """Delete every row that tests committed (job, concurrency and e2e-style tests must commit).

    Every table but the migrations' own, children before parents, so no new table is forgotten.
    """
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEPT_TABLES:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(scope="session")
def postgres_database():
    made = services.create_postgres_database()
    if made is None:
        yield None
        return
    url, drop = made
    yield url
    drop()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory, postgres_database):
    """Each database-backed test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'portal.db'}"
    if postgres_database is None:
        services.unavailable("PostgreSQL at " + services.POSTGRES_URL)
    return postgres_database


@pytest.fixture(scope="session")
def migrated_app(database_url, tmp_path_factory):
    """The app on a database that the migrations built (so the migrations are tested too)."""
    app = create_app(test_settings(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(migrated_app):
    """The app, with every database change of the test rolled back afterwards."""
    app = migrated_app
    with app.app_context():
        engines = db._app_engines[app]
        engine = engines[None]
        connection = engine.connect()
        outer = connection.begin()
        engines[None] = connection  # every session of the test joins this transaction
        factory = db.session.session_factory
        factory.kw["join_transaction_mode"] = "create_savepoint"
        db.session.remove()
        try:
            yield app
        finally:
            db.session.remove()
            factory.kw.pop("join_transaction_mode", None)
            engines[None] = engine
            outer.rollback()
            connection.close()
            limiter.reset()


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as they do in production.

    Flask reuses an app context that is already pushed, and with it `g` and the scoped
    session; the test's own context must not leak into the requests it makes.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()  # the test sees what the request committed
        return response


@pytest.fixture
def committing_app(migrated_app, database_url, tmp_path):
    """A second app on the run's (migrated) database whose work is really committed — for threads
    and worker processes that need their own connections. Every committed row is deleted after."""
    saved_limiter = dict(vars(limiter))  # create_app() rebinds the one shared limiter: put it back after
    app = create_app(test_settings(database_url, tmp_path))
    try:
        yield app
    finally:
        with app.app_context():
            delete_committed_rows()
            db.engine.dispose()
        vars(limiter).clear()
        vars(limiter).update(saved_limiter)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server (aiosmtpd) on loopback for the run: (port, mailbox)."""
    controller, mailbox = services.start_smtp()
    yield controller.port, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    """The SMTP server's mailbox, emptied for this test."""
    box = smtp_server[1]
    box.clear()
    return box


@pytest.fixture(scope="session")
def instance_dir():
    with tempfile.TemporaryDirectory() as path:
        yield path


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, url="/login"):
    """The CSRF token a page hands out (tests post forms as a browser would)."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def post_form(client, url, data, page=None, **kwargs):
    """POST `data` to `url` with the CSRF token from `page` (default: `url` itself)."""
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def login(client, email, password="portal-demo"):
    return post_form(client, "/login", {"email": email, "password": password})


@pytest.fixture
def plain_app(tmp_path):
    """An app with no database work, for rules that only need the configuration."""
    app = create_app(test_settings(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path))
    with app.app_context(), app.test_request_context():
        yield app


# The harness wraps each request's session in a SAVEPOINT (see the `app` fixture): those
# statements are the harness's, not the page's, and query budgets do not count them.
HARNESS = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.IGNORECASE)


@contextmanager
def counting_queries():
    """The SQL statements the code inside the block sends to the database (savepoints left out)."""
    statements = []

    def record(_conn, _cursor, statement, *_args):
        if not HARNESS.match(statement):
            statements.append(statement)

    bind = db.engine  # in tests: the one connection that every session, the requests' too, joins
    event.listen(bind, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", record)


def as_staff(client, role="operations", name=None):
    """Log `client` in as a new staff user with `role`; returns the staff user."""
    staff = make_staff(role, name=name or f"Pat {role.title()}")
    login(client, staff.email)
    return staff
