"""Journey: forgotten password by emailed link; the old password stops working; the link works once."""

import pytest
from playwright.sync_api import expect

from tests.helpers import HOME, WRONG_LOGIN, assert_accessible, click_and_load, link_in, submit_login

pytestmark = pytest.mark.e2e


def test_forgotten_password_by_email_link(page, mailbox, new_member):
    member = new_member(name="Pat Forget")
    new_password = "saffron-glacier-7402"

    page.goto("/login")
    assert_accessible(page)
    page.get_by_role("link", name="Forgotten your password?").click()
    page.wait_for_url("**/password/forgot")
    expect(page.get_by_role("heading", name="Forgotten password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email", exact=True).fill(member.email)
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_url("**/password/forgot/sent")
    assert_accessible(page)

    (message,) = mailbox.wait_for(member.email)
    link = link_in(message, "/password/reset/")
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("New password").fill(new_password)
    click_and_load(page, page.get_by_role("button", name="Save new password"))
    assert page.url.endswith("/login")
    expect(page.get_by_text("Your password is changed. Please log in with the new one.")).to_be_visible()
    assert_accessible(page)

    answer = submit_login(page, member.email, member.password)
    assert answer.status == 422
    expect(page.get_by_role("alert")).to_have_text(WRONG_LOGIN)
    assert_accessible(page)

    answer = submit_login(page, member.email, new_password)
    assert answer.status == 303
    page.wait_for_url(HOME)
    expect(page.get_by_role("heading", name="Hello, Pat")).to_be_visible()
    assert_accessible(page)

    again = page.goto(link)
    assert again.status == 400
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    expect(page.get_by_text("The link has already been used. Each link works once.")).to_be_visible()
    assert_accessible(page)
