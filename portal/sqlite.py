"""SQLite settings that make it behave like a real database for a web app and a worker."""

from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.extensions import db


def _on_connect(dbapi_connection, _record):
    # Let SQLAlchemy, not the driver, begin transactions, so that SAVEPOINT and
    # BEGIN IMMEDIATE work as written (pysqlite otherwise issues its own BEGIN late).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _on_begin(connection):
    # Take the write lock up front: a transaction that reads a balance and then writes must not
    # find that another wrote in between (SQLite has no SELECT … FOR UPDATE; SQLAlchemy drops it).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app):
    """Foreign keys, WAL, a busy timeout and real transactions on every SQLite connection."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_portal_pragmas", False):
            event.listen(engine, "connect", _on_connect)
            event.listen(engine, "begin", _on_begin)
            engine._portal_pragmas = True
