"""Journeys: switch to Traditional Chinese; the choice stays with the member across logins."""

import pytest
from playwright.sync_api import expect

from tests.helpers import HOME, assert_accessible, click_and_load, log_in, submit_login

pytestmark = pytest.mark.e2e


def expect_chinese_login_page(page):
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.get_by_role("heading", name="登入")).to_be_visible()
    expect(page.get_by_role("button", name="登入", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="中文")).to_have_attribute("aria-pressed", "true")
    assert_accessible(page)


def expect_chinese_home(page, first_name):
    page.wait_for_url(HOME)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.get_by_role("heading", name=f"{first_name}，您好")).to_be_visible()
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="首頁")).to_be_visible()
    expect(page.get_by_role("button", name="登出")).to_be_visible()
    assert_accessible(page)


def log_in_in_chinese(page, member):
    answer = submit_login(page, member.email, member.password, button="登入",
                          email_label="電子郵件", password_label="密碼")
    assert answer.status == 303


def log_out_in_chinese(page):
    click_and_load(page, page.get_by_role("button", name="登出"))
    assert page.url.endswith("/login")
    expect_chinese_login_page(page)


def test_switch_to_chinese_before_login_and_it_stays(page, new_member):
    member = new_member(name="Lin Chen", language="en")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page)

    click_and_load(page, page.get_by_role("button", name="中文"))
    assert page.url.endswith("/login")
    expect_chinese_login_page(page)

    log_in_in_chinese(page, member)
    expect_chinese_home(page, "Lin")

    log_out_in_chinese(page)
    log_in_in_chinese(page, member)
    expect_chinese_home(page, "Lin")


def test_switch_to_chinese_when_logged_in_is_saved_on_the_member(page, new_member, new_context):
    member = new_member(name="Wen Huang", language="en")
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    expect(page.get_by_role("heading", name="Hello, Wen")).to_be_visible()
    assert_accessible(page)

    click_and_load(page, page.get_by_role("button", name="中文"))
    expect_chinese_home(page, "Wen")

    log_out_in_chinese(page)
    log_in_in_chinese(page, member)
    expect_chinese_home(page, "Wen")

    # Saved on the member, not only in this browser's session: a fresh browser starts in
    # English (its Accept-Language is en-US) and turns Chinese once the member logs in.
    fresh = new_context().new_page()
    fresh.goto("/login")
    expect(fresh.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(fresh)
    submit_login(fresh, member.email, member.password)
    expect_chinese_home(fresh, "Wen")
