"""SQLite settings that make it behave like a real database for a web app and a worker.

Transactions: SQLite has no SELECT … FOR UPDATE, so a transaction that reads and then writes takes
the write lock up front (BEGIN IMMEDIATE): nobody can write between its reads and its writes. A
read-only request must not hold that lock (one lock for the whole database: a till posting
purchases would wait for every member browsing), so GET, HEAD and OPTIONS requests begin DEFERRED
— reads only, from a snapshot, beside any writer. The few GET views that write (a link in an
email that confirms something) say so with @writes and begin IMMEDIATE like every POST, job and
command. A write in an undeclared GET is an error under tests and debug (the suite finds them)
and a warning in production, where SQLite still upgrades the lock (and may answer "busy").
"""

import logging

from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.extensions import db

log = logging.getLogger(__name__)
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class UndeclaredWrite(RuntimeError):
    """A GET view wrote without @writes (it would have run in a DEFERRED transaction on SQLite)."""


def writes(view):
    """Mark a GET view that writes: on SQLite its transactions begin IMMEDIATE, as POSTs do.
    Put it right under the route decorator (the route registers what it is given)."""
    view.portal_writes = True
    return view


def declare_write():
    """For code on a GET path that writes (a hook, not a view): the request's next transactions
    begin IMMEDIATE. Call it before the transaction that writes begins (commit first otherwise)."""
    if has_request_context():
        g.portal_read_only = False


def _mark_request():
    # Decided once per request, before any other hook queries: a request being dispatched whose
    # method only reads and whose view does not declare @writes. Elsewhere (jobs, commands, a
    # test's request context) g has no mark and transactions begin IMMEDIATE.
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    g.portal_read_only = request.method in READ_ONLY_METHODS and not getattr(view, "portal_writes", False)


def read_only_request():
    """Whether the current request's transactions only read (see the module's docstring)."""
    return has_request_context() and g.get("portal_read_only", False)


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
    connection.exec_driver_sql("BEGIN" if read_only_request() else "BEGIN IMMEDIATE")


def _check_write(_connection, _cursor, statement, _parameters, _context, _executemany):
    if not statement.lstrip()[:7].upper().startswith(WRITE_VERBS) or not read_only_request():
        return
    where = f"{request.method} {request.path} ({request.endpoint})"
    if current_app.testing or current_app.debug:
        raise UndeclaredWrite(f"{where} writes without @writes or declare_write(): {statement[:80]}")
    log.warning("%s writes in a read-only (DEFERRED) transaction; declare it with @writes", where)


def init_app(app):
    """Foreign keys, WAL, a busy timeout and real transactions on every SQLite connection."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_portal_pragmas", False):
            event.listen(engine, "connect", _on_connect)
            event.listen(engine, "begin", _on_begin)
            event.listen(engine, "before_cursor_execute", _check_write)
            engine._portal_pragmas = True
    if engine.dialect.name == "sqlite":
        app.before_request_funcs.setdefault(None, []).insert(0, _mark_request)
