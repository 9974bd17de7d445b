"""Playwright journeys: a live server on a fresh SQLite database, mail caught by aiosmtpd.

The server is shared by the whole e2e session and its data is committed, so every test makes
its own accounts (unique emails) and never changes the demo accounts.
"""

import os
import threading
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from portal import create_app
from portal.demo import seed_demo
from portal.extensions import db
from tests import services
from tests.factories import make_member
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, LOGIN_WINDOW_SECONDS, PHONE, SCRIPTS_OFF, test_settings, unique_email


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The portal served over HTTP on loopback; its email goes to an aiosmtpd mailbox."""
    controller, mailbox = services.start_smtp()
    database = tmp_path_factory.mktemp("e2e-db") / "portal.db"
    app = create_app(test_settings(
        f"sqlite:///{database}", tmp_path_factory.mktemp("e2e-instance"),
        SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, BASE_URL="http://127.0.0.1",
        LOGIN_WINDOW_SECONDS=LOGIN_WINDOW_SECONDS, REDIS_URL=None,
    ))
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url  # the port is known once bound; links in emails are read per request
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    yield SimpleNamespace(url=url, app=app, mailbox=mailbox)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    controller.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright builds contexts on it, so `page.goto("/login")` reaches the live server."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    if os.path.exists(CHROMIUM):
        args["executable_path"] = CHROMIUM
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE}


@pytest.fixture
def mailbox(live_server):
    """The SMTP server's mailbox (not cleared: tests look for mail to their own addresses)."""
    return live_server.mailbox


@pytest.fixture
def new_member(live_server):
    """Make a committed, active member; returns a namespace with name, email and password."""

    def make(name="Tess Tester", password="violet-harbour-2931", language="en"):
        email = unique_email()
        with live_server.app.app_context():
            make_member(name=name, email=email, password=password, language=language)
            db.session.commit()
        return SimpleNamespace(name=name, email=email, password=password)

    return make


@pytest.fixture
def no_js_page(new_context):
    """A phone-sized page in a context with JavaScript turned off."""
    page = new_context(java_script_enabled=False).new_page()
    SCRIPTS_OFF.add(page)
    return page


