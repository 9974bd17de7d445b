"""On SQLite a request that only reads does not hold the database's write lock (a till posting
purchases does not wait for members browsing); a POST, a job and a GET view declared @writes still
begin IMMEDIATE, so the read-then-write guarantees the ledger and stock tests prove are kept; and a
GET view that writes without saying so fails under tests."""

import contextlib
import logging
import sqlite3

import pytest
from flask_wtf.csrf import CSRFError
from sqlalchemy import text

from portal.extensions import db
from portal.sqlite import UndeclaredWrite

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def another_writer_can_write(app):
    """Whether a second connection can take the write lock right now (no waiting)."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        other.close()


def during_request(app, path, method):
    """Run the request's hooks, open its transaction with a read, and ask whether others can write."""
    with app.test_request_context(path, method=method):
        with contextlib.suppress(CSRFError):  # the hooks before CSRF's have run
            app.preprocess_request()
        db.session.execute(text("SELECT count(*) FROM members")).scalar()
        try:
            return another_writer_can_write(app)
        finally:
            db.session.rollback()


def test_a_page_view_does_not_hold_the_write_lock(committing_app):
    assert during_request(committing_app, "/", "GET")
    assert during_request(committing_app, "/rewards", "HEAD")


def test_a_post_holds_the_write_lock_from_its_first_statement(committing_app):
    assert not during_request(committing_app, "/login", "POST")


def test_a_get_view_declared_writes_begins_immediate(committing_app):
    assert not during_request(committing_app, "/notifications", "GET")  # marks notifications read


def test_outside_a_request_transactions_begin_immediate(committing_app):
    with committing_app.app_context():
        db.session.execute(text("SELECT 1")).scalar()
        try:
            assert not another_writer_can_write(committing_app)
        finally:
            db.session.rollback()


def test_a_get_view_that_writes_without_saying_so_fails_under_tests(committing_app, caplog):
    def sneaky():
        db.session.execute(text("UPDATE members SET name = name WHERE id = 0"))
        return "written"

    committing_app.add_url_rule("/sneaky-write", "sneaky", sneaky)
    committing_app.add_url_rule("/sneaky-write", "sneaky_post", sneaky, methods=["POST"])
    client = committing_app.test_client()
    with caplog.at_level(logging.ERROR):
        assert client.get("/sneaky-write").status_code == 500
    assert any(isinstance(record.exc_info and record.exc_info[1], UndeclaredWrite)
               and "GET /sneaky-write (sneaky) writes" in str(record.exc_info[1]) for record in caplog.records)
    committing_app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/sneaky-write").status_code == 200  # a POST may write
