"""Focus after htmx swaps (static/js/portal.js): it moves to the new content, so keyboard and
screen-reader users keep their place; it stays in a control the user is choosing in."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.helpers import HOME, add_reward, give_points, log_in, member_nav_link

pytestmark = pytest.mark.e2e


def focus_is_inside(locator):
    return locator.evaluate("(element) => element.contains(document.activeElement)")


def test_load_more_moves_focus_to_the_first_new_entry(page, live_server, new_member):
    member = new_member(name="Fay Focus")
    give_points(live_server.app, member.email, *range(1, 46))  # 45 entries: three pages of 20
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    member_nav_link(page, "Points").click()

    # A boosted page change: focus goes to the new page's heading, not left on the old tab
    heading = page.get_by_role("heading", name="Points", level=1)
    expect(heading).to_be_focused()

    rows = page.get_by_role("list", name="History").get_by_role("listitem")
    expect(rows).to_have_count(20)
    load_more = page.get_by_role("link", name="Load more")
    load_more.focus()
    page.keyboard.press("Enter")  # as a keyboard user does
    expect(rows).to_have_count(40)
    expect(rows.nth(20)).to_be_focused()  # the first of the new entries, not the top of the page
    assert page.evaluate("() => document.activeElement.textContent").strip()
    page.keyboard.press("Tab")  # and Tab carries on from there, to the next "Load more"
    expect(page.get_by_role("link", name="Load more")).to_be_focused()

    page.keyboard.press("Enter")
    expect(rows).to_have_count(45)
    expect(rows.nth(40)).to_be_focused()


def test_choosing_a_filter_keeps_focus_in_the_filter(page, live_server, new_member):
    member = new_member(name="Fred Filter")
    give_points(live_server.app, member.email, 10, 20)
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    page.goto("/points")
    kind = page.get_by_label("Kind")
    kind.focus()
    kind.select_option(label="Purchase")  # htmx swaps the history in as the choice changes
    expect(page).to_have_url(re.compile(r"kind=purchase"))
    expect(page.get_by_role("list", name="History").get_by_role("listitem")).to_have_count(2)
    expect(kind).to_be_focused()  # the member may choose again; focus is not pulled away

    with page.expect_response(lambda response: "kind=purchase" in response.url):
        page.get_by_role("button", name="Show").click()  # sending the form does show the result
    # The new history (its region, as it has no heading of its own) takes focus
    page.wait_for_function("() => document.getElementById('history').contains(document.activeElement)",
                           timeout=5000)


def test_the_reward_confirm_step_takes_focus(page, live_server, new_member):
    member = new_member(name="Cora Confirm")
    give_points(live_server.app, member.email, 500)
    reward_id = add_reward(live_server.app, f"Focus mug {uuid.uuid4().hex[:6]}", points_cost=200)
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    page.goto(f"/rewards/{reward_id}")
    redeem = page.get_by_role("link", name="Redeem", exact=True)
    redeem.focus()
    page.keyboard.press("Enter")
    confirm = page.get_by_role("form", name="Confirm your redemption")
    expect(confirm).to_be_visible()
    expect(page).to_have_url(re.compile(r"/rewards/\d+/redeem$"))
    page.wait_for_function("(form) => form.contains(document.activeElement)", arg=confirm.element_handle(),
                           timeout=5000)  # fails if focus never gets there
    page.keyboard.press("Tab")  # from there, the next stop is in the confirmation too
    assert focus_is_inside(confirm), page.evaluate("() => document.activeElement.outerHTML")


def test_active_search_keeps_focus_in_the_search_box(page):
    """Staff typing in the member search: the results change under them, the cursor stays."""
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, "lead@example.com")  # reads the demo data only
    page.goto("/admin/members")
    search = page.get_by_role("searchbox", name="Search members")
    search.click()
    with page.expect_response(lambda response: "q=mei" in response.url):
        page.keyboard.type("mei")
    expect(page.get_by_role("region", name="Members found").get_by_text("Mei Lin")).to_be_visible()
    page.wait_for_timeout(100)  # past htmx's settle
    expect(search).to_be_focused()
    page.keyboard.type(" lin")  # and typing carries on in the box
    expect(search).to_have_value("mei lin")
