"""Journey: a member cannot open the admin pages; staff land there after login."""

import pytest
from playwright.sync_api import expect

from tests.helpers import HOME, assert_accessible, log_in

pytestmark = pytest.mark.e2e


def test_member_gets_403_on_admin(page):
    log_in(page, "mei@example.com")
    page.wait_for_url(HOME)
    assert_accessible(page)

    answer = page.goto("/admin/")
    assert answer.status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
    expect(page.get_by_role("heading", name="Programme administration")).to_have_count(0)
    assert_accessible(page)


def test_staff_land_in_admin(page):
    answer = log_in(page, "lead@example.com")
    assert answer.status == 303
    page.wait_for_url("**/admin/")
    expect(page.get_by_role("heading", name="Programme administration")).to_be_visible()
    assert_accessible(page)
