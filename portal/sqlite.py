"""SQLite settings that make it behave like a real database for a web app and a worker."""

from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.extensions import db


def _on_connect(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def init_app(app):
    """Turn on foreign keys, WAL and a busy timeout on every SQLite connection."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_portal_pragmas", False):
            event.listen(engine, "connect", _on_connect)
            engine._portal_pragmas = True
