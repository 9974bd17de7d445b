"""Journey: sign up, confirm the emailed link, log in, be greeted; no sideways scroll on a phone."""

import pytest
from playwright.sync_api import expect

from tests.helpers import (
    HOME,
    assert_accessible,
    assert_no_sideways_scroll,
    click_and_load,
    link_in,
    member_nav_link,
    submit_login,
    unique_email,
)

pytestmark = pytest.mark.e2e


def test_sign_up_verify_by_email_and_log_in(page, mailbox):
    email = unique_email("signup")
    password = "copper-meadow-5817"

    page.goto("/signup")
    expect(page.get_by_role("heading", name="Become a member")).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    page.get_by_label("Name", exact=True).fill("Ana Lopez")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Language", exact=True).select_option("en")
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url("**/signup/sent")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text(f"We have sent a message to {email}.")).to_be_visible()
    assert_accessible(page)

    (message,) = mailbox.wait_for(email)
    page.goto(link_in(message, "/verify/"))
    expect(page.get_by_role("heading", name="Confirm your email")).to_be_visible()
    assert_accessible(page)
    click_and_load(page, page.get_by_role("button", name="Confirm my email"))
    assert page.url.endswith("/login")
    expect(page.get_by_text("Your email is verified. Welcome! Please log in.")).to_be_visible()
    assert_accessible(page)
    answer = submit_login(page, email, password)
    assert answer.status == 303

    page.wait_for_url(HOME)
    expect(page.get_by_role("heading", name="Hello, Ana")).to_be_visible()
    for name in ("Home", "Events", "Rewards", "Card", "Points", "Benefits", "Profile"):  # the last three in "More"
        expect(member_nav_link(page, name)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)
