"""Two instances of the portal share nothing in process memory: two real gunicorn processes (and
nginx in front of them, when there is one: with CI=true there must be) on the run's PostgreSQL
database and the test Redis, as bench/scaleout.py runs them. A login on one is a session on the
other, and a logout on one ends it on both; a CSRF token from a form one served is accepted by the
other; login failures and Flask-Limiter's limits are counted across both (in Redis); an email
queued by a request on one is sent by a worker (the outbox in PostgreSQL, the jobs in Redis)."""

import http.client
import os
import re
import shutil
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from redis import Redis
from sqlalchemy import select

from bench.scaleout import Cluster, find_nginx, wrk_login
from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests import services
from tests.factories import PASSWORD, make_member
from tests.helpers import CSRF, FAST_HASH, delete_committed_rows

# Real processes on one shared database: PostgreSQL only (not collected on SQLite).
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

FAILURES_PER_ACCOUNT = 3
SECRET_KEY = "scale-out-test-secret-key-long-enough-0123456789"


class Browser:
    """One browser's cookies over plain HTTP: cookies belong to a host, not a port, so the same
    cookies go to every instance (as they would to one address behind a load balancer)."""

    def __init__(self):
        self.cookies = {}

    def request(self, base, method, path, form=None, headers=None):
        """(status, headers, body) of one request to `base` (no redirects followed)."""
        parts = urlsplit(base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        sent = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()), **(headers or {})}
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, response.headers, text

    def get(self, base, path):
        return self.request(base, "GET", path)

    def token(self, base, path):
        """The CSRF token of the form that `base` serves at `path`."""
        status, _headers, text = self.get(base, path)
        assert status == 200, (base, path, status)
        match = CSRF.search(text)
        assert match, f"no CSRF token on {base}{path}"
        return match.group(1) or match.group(2)

    def post(self, base, path, form, token_from=None, page=None):
        """POST `form` with the CSRF token of the page at `page` (default `path`) served by `token_from`
        (default `base`)."""
        token = self.token(token_from or base, page or path)
        return self.request(base, "POST", path, form={"csrf_token": token, **form})


@pytest.fixture(scope="module")
def redis_url():
    """The test Redis database, emptied before and after."""
    client = Redis.from_url(services.REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except OSError:
        services.unavailable(f"Redis at {services.REDIS_URL}")
    client.flushdb()
    yield services.REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def cluster(migrated_app, database_url, redis_url, smtp_server):
    """Instances A and B (gunicorn, one worker each), nginx in front when there is one, one RQ worker."""
    nginx = find_nginx() is not None
    if not nginx and services.CI:
        pytest.fail("nginx is required when CI=true (scripts/ensure-nginx.sh installs it)", pytrace=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_", "GUNICORN_"))}
    env.update({"SECRET_KEY": SECRET_KEY, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server[0]),
                "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2", "PORTAL_MAIL_RETRY_INTERVALS": "0,0",
                "PORTAL_ARGON2_MEMORY_KIB": str(FAST_HASH["ARGON2_MEMORY_KIB"]),
                "PORTAL_LOGIN_FAILURES_PER_ACCOUNT": str(FAILURES_PER_ACCOUNT),
                "PORTAL_RESET_LIMIT_PER_EMAIL": "2 per hour"})
    ports = [services.free_port(), services.free_port()]
    with Cluster(database_url, redis_url, env, ports, listen=services.free_port(), workers=1, cron=False,
                 nginx=nginx) as running:
        yield running
    with migrated_app.app_context():
        delete_committed_rows()


@pytest.fixture
def member(migrated_app):
    """A committed member (deleted with the module's rows)."""
    with migrated_app.app_context():
        made = make_member(name="Scale Out")
        db.session.commit()
        return made.email


def outbox_of(app, email, until, timeout=10):
    """(template, status) of the outbox's messages to `email`, once they are `until` (the worker commits
    "sent" right after the SMTP server has the message) or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    with app.app_context():
        while True:
            rows = db.session.execute(select(OutboxMessage.template, OutboxMessage.status)
                                      .where(OutboxMessage.to_email == email).order_by(OutboxMessage.id)).all()
            db.session.rollback()
            if [tuple(row) for row in rows] == until or time.monotonic() > deadline:
                return [tuple(row) for row in rows]
            time.sleep(0.1)


def test_a_login_on_one_instance_is_a_session_on_the_other_and_a_logout_ends_it_on_both(cluster, member):
    a, b = cluster.instances
    browser = Browser()
    status, headers, _ = browser.post(a, "/login", {"email": member, "password": PASSWORD})
    assert status == 303 and headers["Location"] == "/"
    status, _, page = browser.get(b, "/")
    assert status == 200 and "Hello, Scale" in page  # B reads the session A signed
    kept = dict(browser.cookies)  # the cookie as it was while logged in

    status, headers, _ = browser.post(b, "/logout", {}, token_from=a, page="/")  # B takes the token of A's page
    assert status == 303 and headers["Location"] == "/login"
    browser.cookies = kept  # the old cookie, replayed: the logout is in the database, not in B's memory
    status, headers, _ = browser.get(a, "/")
    assert status == 302 and headers["Location"].startswith("/login")


def test_a_csrf_token_from_one_instance_is_accepted_by_the_other_and_the_email_is_sent_by_a_worker(
        cluster, member, smtp_server, migrated_app):
    a, b = cluster.instances
    browser = Browser()
    status, _, _ = browser.request(a, "POST", "/password/forgot",
                                   form={"csrf_token": "not-a-token", "email": member})
    assert status == 400  # a wrong token is refused: the check is real
    status, headers, _ = browser.post(a, "/password/forgot", {"email": member}, token_from=b)
    assert status == 303 and headers["Location"] == "/password/forgot/sent"

    [message] = smtp_server[1].wait_for(member, timeout=20)  # A queued the job in Redis; the worker sent it
    assert "/password/reset/" in message.get_body(preferencelist=("plain",)).get_content()
    assert outbox_of(migrated_app, member, until=[("reset_password", "sent")]) == [("reset_password", "sent")]

    # Flask-Limiter's limit (2 accepted resets per email an hour) is counted in Redis, for both.
    status, _, _ = browser.post(b, "/password/forgot", {"email": member})
    assert status == 303
    status, _, _ = browser.post(a, "/password/forgot", {"email": member})
    assert status == 429


def test_login_failures_are_counted_across_instances_and_through_nginx(cluster, member):
    a, b = cluster.instances
    browser = Browser()
    for attempt in range(FAILURES_PER_ACCOUNT):  # A, B, A: each wrong, none refused yet
        status, _, page = browser.post((a, b)[attempt % 2], "/login", {"email": member, "password": "wrong-guess"})
        assert status == 422 and "The email or password is not right." in page
    status, _, _ = browser.post((a, b)[FAILURES_PER_ACCOUNT % 2], "/login", {"email": member, "password": PASSWORD})
    assert status == 429  # the right password too: this address has used up its tries on this account
    if cluster.url is None:
        services.unavailable("nginx")
    # Through nginx the address is still the client's (X-Forwarded-For, PORTAL_PROXY_HOPS=1), whatever
    # the client claims in its own X-Forwarded-For.
    token = browser.token(cluster.url, "/login")
    status, _, _ = browser.request(cluster.url, "POST", "/login", headers={"X-Forwarded-For": "203.0.113.9"},
                                   form={"csrf_token": token, "email": member, "password": PASSWORD})
    assert status == 429


def test_through_nginx_a_login_is_a_session_on_each_instance(cluster, member):
    if cluster.url is None:
        services.unavailable("nginx")
    browser = Browser()
    status, headers, _ = browser.post(cluster.url, "/login", {"email": member, "password": PASSWORD})
    assert status == 303 and headers["Location"] == "/"
    for base in (cluster.url, *cluster.instances):
        status, _, page = browser.get(base, "/")
        assert status == 200 and "Hello, Scale" in page, base


def test_the_benchmark_through_nginx_gives_its_figures(cluster, capsys):
    """bench/scaleout.py's wrk run (until bench/web.py takes over), for one second: it never rots."""
    if cluster.url is None:
        services.unavailable("nginx")
    if shutil.which("wrk") is None:
        services.unavailable("wrk (make bench-tools)")
    assert wrk_login(cluster, connections=1, seconds=1) == 0
    out = capsys.readouterr().out
    assert re.search(r"nginx, two instances: GET /login, 1 connections, 1 s: \d+ requests/s, p50 ", out), out
    assert re.search(r"one instance alone: GET /login, 1 connections, 1 s: \d+ requests/s, p50 ", out), out
    assert "Non-2xx" not in out
