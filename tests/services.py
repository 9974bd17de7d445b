"""The real services the tests use: PostgreSQL, Redis, an SMTP server on loopback.

With CI=true a service that does not answer fails the test run; elsewhere the tests that need
it are skipped with the reason.
"""

import email
import email.policy
import os
import socket
import threading
import time
import uuid

import pytest
from aiosmtpd.controller import Controller

CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

def _redis_url():
    """TEST_REDIS_URL (db 13 by default), one database further for each pytest-xdist worker (gw1: 14):
    the job tests empty theirs."""
    base, _slash, number = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13").rpartition("/")
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    return f"{base}/{int(number or 0) + worker}"


REDIS_URL = _redis_url()


def unavailable(what):
    """Fail under CI, skip elsewhere: a missing service is never a silent pass."""
    if CI:
        pytest.fail(f"{what} is required when CI=true", pytrace=False)
    pytest.skip(f"{what} is not available here")


def create_postgres_database():
    """Create a fresh database for this run; returns (url, drop function) or None."""
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = f"portal_test_{uuid.uuid4().hex[:10]}"
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError:
        admin.dispose()
        return None
    url = admin.url.set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if address in m["To"]]

    def wait_for(self, address, count=1, timeout=10.0):
        """Wait until `count` messages to `address` arrived; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s) to {address}, got {len(self.to(address))}")

    def clear(self):
        with self.lock:
            self.messages.clear()


def text_of(message):
    """The plain-text part of a received email."""
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


def start_smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, mailbox
