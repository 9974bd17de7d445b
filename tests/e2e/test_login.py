"""Journeys: login throttling, login without JavaScript, remember me."""

import time

import pytest
from playwright.sync_api import expect

from portal.extensions import limiter
from tests.helpers import (
    DEMO_PASSWORD,
    HOME,
    LOGIN_WINDOW_SECONDS,
    WRONG_LOGIN,
    assert_accessible,
    click_and_load,
    log_in,
    submit_login,
    unique_email,
)

pytestmark = pytest.mark.e2e


def test_five_wrong_passwords_pause_logins_until_the_window_ends(page, new_member, live_server):
    member = new_member(name="Rita Throttle")
    page.goto("/login")
    assert_accessible(page)
    submit_login(page, unique_email("nobody"), "some-password")  # the error state, for axe
    expect(page.get_by_role("alert")).to_have_text(WRONG_LOGIN)
    assert_accessible(page)

    started = time.monotonic()
    for attempt in range(5):
        answer = submit_login(page, member.email, f"not-the-password-{attempt}")
        assert answer.status == 422, f"wrong password #{attempt + 1}"
        expect(page.get_by_role("alert")).to_have_text(WRONG_LOGIN)

    # The right password within the window is refused too: the account is paused, not probed.
    answer = submit_login(page, member.email, member.password)
    elapsed = time.monotonic() - started
    assert elapsed < LOGIN_WINDOW_SECONDS, f"the six attempts took {elapsed:.1f}s, longer than the window"
    assert answer.status == 429
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    assert_accessible(page)

    # The window ends: the limiter's counts go (as they do when the window passes), without waiting.
    with live_server.app.app_context():
        limiter.reset()
    answer = log_in(page, member.email, member.password)
    assert answer.status == 303
    page.wait_for_url(HOME)
    expect(page.get_by_role("heading", name="Hello, Rita")).to_be_visible()
    assert_accessible(page)


def test_login_works_with_javascript_off(no_js_page):
    page = no_js_page
    answer = log_in(page, "mei@example.com", DEMO_PASSWORD)
    assert answer.status == 303
    page.wait_for_url(HOME)
    expect(page.get_by_role("heading", name="Hello, Mei")).to_be_visible()
    assert page.evaluate("() => typeof window.htmx") == "undefined"  # the page's scripts did not run
    assert_accessible(page)


def remember_cookies(context):
    return [c for c in context.cookies() if c["name"] == "remember_token"]


def test_remember_me_keeps_a_30_day_cookie(page, context, new_member, new_context):
    member = new_member(name="Remy Long")
    log_in(page, member.email, member.password, remember=True)
    page.wait_for_url(HOME)
    assert_accessible(page)
    (cookie,) = remember_cookies(context)
    days = (cookie["expires"] - time.time()) / 86400
    assert 29 <= days <= 31, f"remember_token expires in {days:.2f} days"
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"

    other = new_context()
    other_page = other.new_page()
    log_in(other_page, member.email, member.password)
    other_page.wait_for_url(HOME)
    expect(other_page.get_by_role("heading", name="Hello, Remy")).to_be_visible()
    assert remember_cookies(other) == []


def test_log_out_everywhere_ends_the_remembered_login_on_another_device(page, context, new_member, new_context):
    member = new_member(name="Evan Everywhere")
    log_in(page, member.email, member.password, remember=True)  # her phone, remembered
    page.wait_for_url(HOME)
    assert remember_cookies(context)

    laptop = new_context().new_page()
    log_in(laptop, member.email, member.password)
    laptop.wait_for_url(HOME)
    laptop.goto("/profile")
    expect(laptop.get_by_role("heading", name="Log out everywhere")).to_be_visible()
    assert_accessible(laptop)
    click_and_load(laptop, laptop.get_by_role("button", name="Log out everywhere"))
    laptop.wait_for_url("**/login")
    expect(laptop.get_by_text("You are logged out everywhere, on this device too.")).to_be_visible()
    assert_accessible(laptop)

    # The phone's session and its remember cookie no longer work: it is asked to log in again.
    context.clear_cookies(name="session")
    page.goto("/")
    page.wait_for_url("**/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_logging_out_on_one_device_keeps_the_other_logged_in(page, new_member, new_context):
    member = new_member(name="Lou Onedevice")
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    laptop = new_context().new_page()
    log_in(laptop, member.email, member.password)
    laptop.wait_for_url(HOME)

    click_and_load(laptop, laptop.get_by_role("button", name="Log out"))
    expect(laptop.get_by_text("You have logged out.")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Hello, Lou")).to_be_visible()
