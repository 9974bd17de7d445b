"""The member's navigation on a phone and on a wide screen, with and without JavaScript."""

import pytest
from playwright.sync_api import expect

from tests.helpers import (
    HOME,
    SMALL_PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    click_and_load,
    log_in,
    member_nav_link,
)

pytestmark = pytest.mark.e2e

WIDE = {"width": 1024, "height": 768}
IN_THE_BAR = ["Home", "Events", "Rewards", "Card"]
IN_MORE = ["Points", "Benefits", "Surveys", "My tickets", "Profile"]


def visible_links(nav):
    return [link.inner_text().strip() for link in nav.get_by_role("link").all() if link.is_visible()]


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "no-js"])
def test_on_a_phone_four_places_and_more_reach_every_member_page(page, no_js_page, new_member, scripts):
    page = page if scripts else no_js_page
    member = new_member(name="Nina Nav")
    page.set_viewport_size(SMALL_PHONE)
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    nav = page.get_by_role("navigation", name="Member")
    more = nav.get_by_text("More", exact=True)
    assert visible_links(nav) == IN_THE_BAR  # at most five items in the bar: these and "More"
    expect(more).to_be_visible()
    assert_no_sideways_scroll(page)

    more.click()
    assert visible_links(nav) == IN_THE_BAR + IN_MORE
    assert_accessible(page)
    if scripts:  # the menu closes as menus do: Escape (back on "More"), or a tap elsewhere
        page.keyboard.press("Escape")
        assert visible_links(nav) == IN_THE_BAR
        expect(more).to_be_focused()
        more.click()
        page.get_by_role("heading", name="Points expiring soon").click()
        assert visible_links(nav) == IN_THE_BAR
        more.click()
    click_and_load(page, nav.get_by_role("link", name="Profile"))
    expect(page.get_by_role("heading", name="Profile", level=1)).to_be_visible()
    expect(nav.get_by_role("link", name="Profile")).to_be_hidden()  # the menu closes on the new page

    for name, heading in (("Events", "Events"), ("Rewards", "Rewards"), ("Card", "Membership card"),
                          ("Points", "Points"), ("Benefits", "Benefits"), ("Surveys", "Surveys"),
                          ("My tickets", "My tickets")):
        click_and_load(page, member_nav_link(page, name))
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        here = nav.get_by_role("link", name=name, include_hidden=True)  # Points, Benefits…: in the closed menu
        expect(here.first).to_have_attribute("aria-current", "page")
    page.goto("/rewards/my")
    expect(nav.get_by_role("link", name="Rewards")).to_have_attribute("aria-current", "true")  # its section
    page.goto("/events/mine")
    expect(nav.get_by_role("link", name="Events")).to_have_attribute("aria-current", "true")


def test_on_a_wide_screen_every_place_is_in_the_bar(page, new_member):
    member = new_member(name="Walt Wide")
    page.set_viewport_size(WIDE)
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    nav = page.get_by_role("navigation", name="Member")
    assert visible_links(nav) == IN_THE_BAR + IN_MORE
    expect(nav.get_by_text("More", exact=True)).to_be_hidden()
    assert_accessible(page)


def test_no_tab_leads_to_a_coming_soon_page(page, new_member):
    member = new_member(name="Cam Coming")
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    for path, heading in (("/tickets", "My tickets"),):  # the last one that was "coming soon"
        assert page.goto(path).status == 200
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_every_tab_label_stays_on_one_line_on_a_small_phone_also_when_it_is_the_current_one(
        page, new_member, language):
    """The bold current tab ("Rewards") wrapped to "Reward / s" at 360 px. Points is current in "More"."""
    member = new_member(name="Lina Line", language=language)
    page.set_viewport_size(SMALL_PHONE)
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    for path in ("/", "/points", "/events", "/events/mine", "/rewards", "/card"):
        page.goto(path)
        nav = page.get_by_role("navigation", name="Member")
        for link in [link for link in nav.get_by_role("link").all() if link.is_visible()]:
            lines = link.evaluate("a => { const r = document.createRange(); r.selectNodeContents(a);"
                                  " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size }")
            assert lines == 1, f"{path}: the tab {link.inner_text()!r} wraps onto {lines} lines"
        assert_no_sideways_scroll(page)
