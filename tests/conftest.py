"""Fixtures: apps on SQLite and PostgreSQL, a rolled-back transaction per test, SMTP, Redis."""

import tempfile

import pytest
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db, limiter
from tests import services
from tests.helpers import IsolatedClient, delete_committed_rows, remember_migrated_rows, test_settings


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
        remember_migrated_rows()  # the default survey, which delete_committed_rows() keeps
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


@pytest.fixture
def plain_app(tmp_path):
    """An app with no database work, for rules that only need the configuration."""
    app = create_app(test_settings(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path))
    with app.app_context(), app.test_request_context():
        yield app


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """A database of its own (the migrations are run down and up on it)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    made = services.create_postgres_database()
    if made is None:
        services.unavailable("PostgreSQL at " + services.POSTGRES_URL)
    url, drop = made
    yield url
    drop()
