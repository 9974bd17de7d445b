"""Playwright journeys: a live server on a fresh SQLite database, mail caught by aiosmtpd.

The server is shared by the whole e2e session and its data is committed, so every test makes
its own accounts (unique emails) and never changes the demo accounts.
"""

import os
import re
import threading
import uuid
import weakref
from types import SimpleNamespace

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask_migrate import upgrade
from playwright.sync_api import expect
from werkzeug.serving import make_server

from portal import create_app
from portal.demo import seed_demo
from portal.extensions import db
from tests import services
from tests.conftest import test_settings
from tests.factories import make_member

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 800}  # the smallest phone the member pages are designed for
DESKTOP = {"width": 1280, "height": 800}
LOGIN_WINDOW_SECONDS = 4
DEMO_PASSWORD = "portal-demo"
WRONG_LOGIN = "The email or password is not right."
HOME = re.compile(r"^https?://[^/]+/$")  # the member home is the site's root


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


def staff_page(new_context):
    """A page on a desktop-sized viewport, where staff work."""
    page = new_context().new_page()
    page.set_viewport_size(DESKTOP)
    return page


def in_viewport(page, locator):
    """True when the whole of `locator`'s box is inside the viewport as the page is scrolled now."""
    box = locator.bounding_box()
    size = page.viewport_size
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"])


def unique_email(prefix="e2e"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


_axe = Axe()
_SCRIPTS_OFF = weakref.WeakSet()  # pages whose context runs no JavaScript


@pytest.fixture
def no_js_page(new_context):
    """A phone-sized page in a context with JavaScript turned off."""
    page = new_context(java_script_enabled=False).new_page()
    _SCRIPTS_OFF.add(page)
    return page


def assert_accessible(page):
    """axe-core on the page as it is now: no serious or critical violations."""
    page.wait_for_load_state("load")
    if page in _SCRIPTS_OFF:
        violations = _violations_without_scripts(page)
    else:
        violations = _axe.run(page).response["violations"]
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    if bad:
        pytest.fail(f"axe violations on {page.url}:\n" + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']}; nodes: "
            + "; ".join(f"{' '.join(map(str, n['target']))} {n['html'][:160]}" for n in v["nodes"])
            for v in bad
        ), pytrace=False)


def _violations_without_scripts(page):
    """axe needs JavaScript, so check a copy of the page's DOM, served at its URL, in a helper
    page that loads none of the page's own scripts (the DOM stays as JavaScript-off left it)."""
    url, html = page.url, page.content()
    checker = page.context.browser.new_context(viewport=PHONE)
    try:
        helper = checker.new_page()
        served = []

        def serve(route):
            request = route.request
            if request.resource_type == "document" and request.url == url:
                served.append(url)
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            elif request.resource_type == "script":
                route.abort()
            else:
                route.continue_()

        helper.route("**/*", serve)
        helper.goto(url)
        helper.wait_for_load_state("load")
        assert served == [url], f"the copy of {url} was not the page axe checked"
        return _axe.run(helper).response["violations"]
    finally:
        checker.close()


def assert_no_sideways_scroll(page):
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[1], f"sideways scroll on {page.url}: scrollWidth {widths[0]} > {widths[1]}"


def is_login_post(response):
    return response.request.method == "POST" and response.url.split("?")[0].endswith("/login")


def submit_login(page, email, password, remember=False, button="Log in", email_label="Email",
                 password_label="Password"):
    """Fill in the login form on the current page and send it; returns the POST's response."""
    page.get_by_label(email_label, exact=True).fill(email)
    page.get_by_label(password_label, exact=True).fill(password)
    if remember:
        page.get_by_label("Remember me for 30 days").check()
    with page.expect_navigation(), page.expect_response(is_login_post) as answer:
        page.get_by_role("button", name=button, exact=True).click()
    return answer.value


def click_and_load(page, locator):
    """Click something that loads a new page (a form post, a link); wait until it has loaded."""
    with page.expect_navigation() as navigation:
        locator.click()
    return navigation.value


def log_in(page, email, password=DEMO_PASSWORD, remember=False):
    """Open the login page, check it, log in; returns the POST's response."""
    page.goto("/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert_accessible(page)
    return submit_login(page, email, password, remember=remember)


def link_in(message, path):
    """The first absolute link to `path` (e.g. "/verify/") in an email's text part."""
    text = services.text_of(message)
    match = re.search(r"https?://\S+" + re.escape(path) + r"\S+", text)
    assert match, f"no {path} link in the email:\n{text}"
    return match.group(0)
