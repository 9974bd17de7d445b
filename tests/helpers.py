"""Helpers that several test modules share: plain functions and constants (fixtures stay in the
conftest.py files). Test modules import from here, never from one another or from a conftest.

Sections: the app and its requests; purchases; threads, accounts and members; browser journeys.
"""

import asyncio
import contextvars
import email
import email.policy
import re
import struct
import tempfile
import threading
import time
import uuid
import weakref
import zlib
from contextlib import contextmanager
from pathlib import Path

import pyotp
import pytest
from aiosmtpd.controller import Controller
from axe_playwright_python.sync_playwright import Axe
from flask.testing import FlaskClient
from playwright.sync_api import expect
from sqlalchemy import event, func, select

from portal.auth import two_factor
from portal.extensions import db, limiter
from portal.members import ledger
from portal.members.models import Member, PointsEntry
from portal.purchases.models import Purchase
from tests import services
from tests.factories import make_event, make_reward, make_staff, make_ticket

ROOT = Path(__file__).resolve().parent.parent  # the repository


# --- the app and its requests -------------------------------------------------------------------

# Cheaper argon2 for the many accounts tests create; one test checks the production setting.
FAST_HASH = {"ARGON2_MEMORY_KIB": 8192, "ARGON2_TIME_COST": 1}


# The fingerprinted static files: named by their content, so every app of the run shares them
# (brotli-compressing them again for each app would cost a second).
TEST_ASSETS_DIR = str(Path(tempfile.gettempdir()) / "portal-test-assets")


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
        "ASSETS_DIR": TEST_ASSETS_DIR,
        **FAST_HASH,
    }
    settings.update(extra)
    return settings


test_settings.__test__ = False  # a helper, not a test


KEPT_TABLES = {"tiers", "benefits"}  # what the migrations made
# Tables the migrations put a few rows in (the default "How did we do?" survey and its questions,
# the tickets' saved replies):
# emptied like the others, then given back those rows as the migrations left them.
SEEDED_TABLES = ("surveys", "survey_questions", "survey_choices", "saved_replies")  # parents first
_MIGRATED_ROWS = {}  # database URL → {table name: its rows right after the migrations}


def remember_migrated_rows():
    """Note the rows the migrations put in SEEDED_TABLES (call it right after upgrading a database)."""
    _MIGRATED_ROWS[str(db.engine.url)] = {
        name: [dict(row) for row in db.session.execute(db.metadata.tables[name].select()).mappings()]
        for name in SEEDED_TABLES}
    db.session.rollback()


def delete_committed_rows():
    """Delete every row that tests committed (job, concurrency and e2e-style tests must commit).

    Every table but the migrations' own, children before parents, so no new table is forgotten;
    the rows the migrations made in SEEDED_TABLES are put back as they were (a test may have
    changed them).
    """
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEPT_TABLES:
            db.session.execute(table.delete())
    for name, rows in _MIGRATED_ROWS.get(str(db.engine.url), {}).items():
        if rows:
            db.session.execute(db.metadata.tables[name].insert(), rows)
    db.session.commit()


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as they do in production.

    Flask reuses an app context that is already pushed, and with it `g` and the scoped
    session; the test's own context must not leak into the requests it makes.
    """

    def open(self, *args, **kwargs):
        context = contextvars.Context()
        response = context.run(super().open, *args, **kwargs)
        if response.is_streamed:
            # A server writes a streamed body out to its end in the request's context (its thread):
            # so does the test; the body stays an iterator, so the test still sees it was streamed.
            response.response = iter(context.run(_read_and_close, response.response))
        db.session.expire_all()  # the test sees what the request committed
        return response


def _read_and_close(body):
    try:
        return list(body)
    finally:
        if hasattr(body, "close"):
            body.close()


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def tampered(token):
    """The signed token (or a path ending in one) with one character of its signature changed.

    The middle character: it carries six bits of the signature. The last character's low bits are
    base64 padding that decoding ignores, so changing only the end can leave the signature as it was
    (a flaky test once a run in a thousand)."""
    head, dot, signature = token.rpartition(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return f"{head}{dot}{signature[:middle]}{swapped}{signature[middle + 1:]}"


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


# --- purchases ------------------------------------------------------------------------------------

def html(response):
    return response.get_data(as_text=True)


def purchases_of(member=None):
    query = select(Purchase).order_by(Purchase.id)
    if member is not None:
        query = query.where(Purchase.member_id == member.id)
    return db.session.scalars(query).all()


def points_entries(member):
    return db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member.id).order_by(PointsEntry.id)).all()


def purchase_count():
    return db.session.scalar(select(func.count()).select_from(Purchase))


# --- threads, accounts and members ------------------------------------------------------------

def run_together(app, count, work):
    """Run work(i) in `count` threads that start at once, each in its own app context; the results
    (an exception a thread raised is its result)."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = work(i)
            except BaseException as exc:  # every failure is reported by the test
                db.session.rollback()
                results[i] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running"
    return results



def enrol_staff(staff, at=None):
    """Turn on two-factor for `staff` as the enrolment page would; returns (secret, recovery codes).

    The confirming code is taken two time steps ago by default, so that the current code is still
    unused and a test can log in with it.
    """
    at = time.time() - 60 if at is None else at
    secret = two_factor.start_enrolment(staff)
    codes = two_factor.confirm_enrolment(staff, pyotp.TOTP(secret).at(at), now=at)
    assert codes is not None
    return secret, codes


def code_now(secret, offset=0):
    """The authenticator app's code for `secret`, `offset` seconds from now."""
    return pyotp.TOTP(secret).at(time.time() + offset)


def give_points(app, email, *amounts):
    """Committed purchases of `amounts` points for the member with `email` (one entry each)."""
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.email == email))
        for amount in amounts:
            ledger.earn(member, amount, "purchase", f"test:{uuid.uuid4().hex}", reason="Test purchase")
        db.session.commit()


def add_reward(app, name, points_cost=100, **fields):
    """A committed reward in the catalogue; returns its id. Give it a unique `name`."""
    with app.app_context():
        reward = make_reward(name=name, points_cost=points_cost, **fields)
        db.session.commit()
        return reward.id


def png(width=20, height=20):
    """A small real PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def add_ticket(app, email, status="new", picture=True, **fields):
    """A committed ticket of the member with `email` (with a small PNG unless `picture` is False);
    returns its number."""
    with app.test_request_context():
        member = db.session.scalar(select(Member).where(Member.email == email))
        files = [("photo.png", png())] if picture else []
        ticket = make_ticket(member, status=status, files=files, **fields)
        db.session.commit()
        return ticket.number


def add_event(app, title, **fields):
    """A committed, published event a week from now (see factories.make_event); returns its id."""
    with app.app_context():
        event = make_event(title, **fields)
        db.session.commit()
        return event.id


def member_nav_link(page, name, nav="Member", more="More"):
    """The member navigation's link `name` (Playwright), opening "More" first when the link is in
    it (on a phone only the first items are in the bar)."""
    navigation = page.get_by_role("navigation", name=nav)
    link = navigation.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        navigation.get_by_text(more, exact=True).click()  # a <summary>: no ARIA role to find it by
    return link


# --- browser journeys (tests/e2e) ---------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 800}  # the smallest phone the member pages are designed for


DESKTOP = {"width": 1280, "height": 800}
LOGIN_WINDOW_SECONDS = 60  # the e2e server's login window; the throttling journey resets the limiter


DEMO_PASSWORD = "portal-demo"
WRONG_LOGIN = "The email or password is not right."


HOME = re.compile(r"^https?://[^/]+/$")  # the member home is the site's root


def staff_page(new_context, viewport=DESKTOP):
    """A page on a desktop-sized viewport (or `viewport`), where staff work."""
    page = new_context().new_page()
    page.set_viewport_size(viewport)
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
SCRIPTS_OFF = weakref.WeakSet()  # pages whose context runs no JavaScript


def assert_accessible(page):
    """axe-core on the page as it is now: no serious or critical violations."""
    page.wait_for_load_state("load")
    if page in SCRIPTS_OFF:
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


# --- surveys: a survey built with the models, and good answers to it ---------------------------------

SURVEY_QUESTIONS = {
    "rating": ("How satisfied are you with the programme?", "您對會員計畫滿意嗎？", True, ()),
    "nps": ("How likely are you to recommend us to a friend?", "您有多大可能向朋友推薦我們？", True, ()),
    "single_choice": ("Where do you usually shop with us?", "您通常在哪裡購物？", True,
                      (("In a store", "門市"), ("Online", "網路商店"), ("Both", "兩者都有"))),
    "multi_choice": ("Which rewards interest you?", "您對哪些獎勵有興趣？", False,
                     (("Vouchers", "禮券"), ("Events", "活動"), ("Gifts", "禮品"))),
    "text": ("Anything else you would like to tell us?", "還有什麼想告訴我們的嗎？", False, ()),
}


def survey_build(title="Member satisfaction", kinds=tuple(SURVEY_QUESTIONS), points=0, **fields):
    """A draft survey with one question of each of `kinds`, in that order (see SURVEY_QUESTIONS), flushed."""
    from portal.surveys.models import Choice, Question, Survey

    survey = Survey(title=title, points=points, **fields)
    for position, kind in enumerate(kinds, start=1):
        text, text_zh, required, choices = SURVEY_QUESTIONS[kind]
        survey.questions.append(Question(
            kind=kind, text=text, text_zh=text_zh, required=required, position=position,
            choices=[Choice(label=label, label_zh=label_zh, position=n)
                     for n, (label, label_zh) in enumerate(choices)]))
    db.session.add(survey)
    db.session.flush()
    return survey


def survey_good_answers(survey):
    """Form data answering every question of `survey` (a 9, an NPS of 10, the first choice, two
    choices, a line of text)."""
    data = []
    for question in survey.questions:
        name = f"q{question.id}"
        if question.kind == "rating":
            data.append((name, "9"))
        elif question.kind == "nps":
            data.append((name, "10"))
        elif question.kind == "single_choice":
            data.append((name, str(question.choices[0].id)))
        elif question.kind == "multi_choice":
            data += [(name, str(question.choices[0].id)), (name, str(question.choices[2].id))]
        else:
            data.append((name, "Friendly staff.\nMore events, please."))
    return data
# --- surveys: an SMTP server that counts connections and can hold a message -------------------------

class SurveySmtpSink:
    """An aiosmtpd handler that keeps every message, counts connections (one EHLO each) and refuses
    the recipients in `refuse`. With `hold_at` = n, the n-th message's DATA gets no answer until
    release(); then it is refused (451, not kept), as a server that never accepted it."""

    def __init__(self, hold_at=None, refuse=()):
        self.messages, self.connections, self.received = [], 0, 0
        self.hold_at, self.refuse = hold_at, set(refuse)
        self.held, self._released = threading.Event(), threading.Event()
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 (aiosmtpd's name)
        session.host_name = hostname  # what aiosmtpd does itself when there is no hook
        with self.lock:
            self.connections += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.received += 1
            number = self.received
        if number == self.hold_at:
            self.held.set()
            while not self._released.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def release(self):
        self._released.set()

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if address in m["To"]]

    def wait_for_count(self, count, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return len(self.messages)


@contextmanager
def survey_smtp_sink(**options):
    """A SurveySmtpSink listening on loopback for the block: (port, sink)."""
    sink = SurveySmtpSink(**options)
    controller = Controller(sink, hostname="127.0.0.1", port=services.free_port())
    controller.start()
    try:
        yield controller.port, sink
    finally:
        sink.release()
        controller.stop()


def as_received(message):
    """The email an outbox row makes, as a mail reader parses it (email.policy.default)."""
    import email
    import email.policy

    from portal.mail import outbox

    return email.message_from_bytes(outbox.build_email(message).as_bytes(), policy=email.policy.default)


def migrated(fresh_database, tmp_path, work):
    """Run `work()` in an app of its own on `fresh_database` (a migration test's), then let it go."""
    from portal import create_app

    saved_limiter = dict(vars(limiter))  # create_app() rebinds the one shared limiter: put it back after
    try:
        app = create_app(test_settings(fresh_database, tmp_path))
        with app.app_context():
            work()
            db.session.remove()
            db.engine.dispose()
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved_limiter)
