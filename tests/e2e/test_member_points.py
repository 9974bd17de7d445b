"""Journey: Mei, on a phone, follows her tier, points and benefits and shows her membership card.

Mei's demo history is shared with other journeys (the staff journey adjusts her points), so the
balance is checked against the database at the time, never against a fixed number.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.members.models import Member
from tests.helpers import HOME, assert_accessible, assert_no_sideways_scroll, click_and_load, log_in, member_nav_link

pytestmark = pytest.mark.e2e

NARROW = {"width": 360, "height": 740}
TIERS = ("Regular", "Silver", "Gold", "Diamond")
PAGES = ("/", "/benefits", "/card", "/points")  # the points page last: its longer list is checked too


def mei_in_the_database(live_server):
    """(balance as the home shows it, tier name, member number) as the database says now."""
    with live_server.app.app_context():
        mei = db.session.scalar(select(Member).where(Member.email == "mei@example.com"))
        return f"{mei.points_balance:,}", mei.tier.name, mei.number


def history(page):
    return page.get_by_role("list", name="History").get_by_role("listitem")


def not_purchases(rows, page):
    return rows.filter(has_not=page.get_by_text("Purchase", exact=True))


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def test_mei_follows_her_points_on_a_phone(page, live_server):
    log_in(page, "mei@example.com")
    page.wait_for_url(HOME)

    # Home: tier, balance, progress to the next tier, points that expire soon
    expect(page.get_by_role("heading", name="Hello, Mei")).to_be_visible()
    balance, tier, number = mei_in_the_database(live_server)
    expect(page.get_by_text(tier, exact=True)).to_be_visible()
    expect(page.get_by_text(balance, exact=True)).to_be_visible()
    # what is needed, and (not a deadline) how many points stop counting on which day
    sentence = re.compile(r"^[\d,]+ more points to reach \w+( — [\d,]+ of your points stops? counting on "
                          r"\d{1,2} \w{3} \d{4})?$")
    expect(page.get_by_role("progressbar", name=sentence)).to_be_visible()
    expiring = page.get_by_role("region", name="Points expiring soon")
    expect(expiring.get_by_text(re.compile(r"^[\d,]+ points? expires? on \d{1,2} \w{3} \d{4}$")).first).to_be_visible()
    expect(page.get_by_role("region", name="Recent activity").get_by_role("listitem").first).to_be_visible()
    check(page)

    # What that date means, one tap away, then back home
    click_and_load(page, page.get_by_role("link", name="How qualifying points work"))
    expect(page.get_by_role("heading", name="How qualifying points work")).to_be_in_viewport()
    expect(page.get_by_text("It is not a deadline", exact=False)).to_be_visible()
    page.go_back()
    page.wait_for_url(HOME)

    # Points: 20 entries; "Load more" appends 20 more in place (no new page: the marker survives)
    click_and_load(page, member_nav_link(page, "Points"))  # in "More" on a phone
    expect(page.get_by_role("heading", name="Points", exact=True)).to_be_visible()
    expect(page.get_by_text(mei_in_the_database(live_server)[0], exact=True)).to_be_visible()
    rows = history(page)
    expect(rows).to_have_count(20)
    check(page)
    page.evaluate("() => { window.__marker = 1 }")
    url = page.url
    page.get_by_role("link", name="Load more").click()
    expect(rows).to_have_count(40)
    assert page.evaluate("() => window.__marker") == 1, "the page was reloaded"
    assert page.url == url
    expect(page.get_by_role("link", name="Load more")).to_be_visible()  # Mei has more than 40 entries
    expect(not_purchases(rows, page)).not_to_have_count(0)  # an adjustment, birthdays, an expiry…
    check(page)

    # Filter by kind: the list is swapped for purchases only, still without a reload
    page.get_by_label("Kind").select_option(label="Purchase")
    expect(rows).to_have_count(20)
    expect(not_purchases(rows, page)).to_have_count(0)
    assert page.evaluate("() => window.__marker") == 1
    assert page.url.endswith("/points?kind=purchase")  # a reload or a shared link keeps the filter
    page.get_by_role("link", name="Load more").click()
    expect(rows).not_to_have_count(20)
    expect(not_purchases(rows, page)).to_have_count(0)
    check(page)

    # Benefits: the four tiers compared, hers marked
    click_and_load(page, member_nav_link(page, "Benefits"))  # in "More" on a phone
    for name in TIERS:
        expect(page.get_by_role("heading", name=name, exact=True, level=2)).to_be_visible()
    expect(page.get_by_role("region", name=tier, exact=True).get_by_text("Your tier", exact=True)).to_be_visible()
    expect(page.get_by_text("Your tier", exact=True)).to_have_count(1)
    check(page)

    # The membership card, from the home page
    click_and_load(page, page.get_by_role("navigation", name="Member").get_by_role("link", name="Home"))
    click_and_load(page, page.get_by_role("link", name="Membership card"))
    expect(page.get_by_role("heading", name="Membership card")).to_be_visible()
    expect(page.get_by_text(number, exact=True)).to_be_visible()
    qr = page.get_by_role("img", name=f"QR code of membership card {number}")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 200 and abs(box["width"] - box["height"]) < 1  # big enough to scan, square
    check(page)

    # The narrowest phone: nothing scrolls sideways
    page.set_viewport_size(NARROW)
    for path in PAGES:
        page.goto(path)
        assert_no_sideways_scroll(page)
    page.get_by_role("link", name="Load more").click()
    expect(history(page)).to_have_count(40)
    assert_no_sideways_scroll(page)


def test_points_history_works_without_javascript(no_js_page):
    page = no_js_page
    log_in(page, "mei@example.com")
    page.wait_for_url(HOME)
    page.goto("/points")
    rows = history(page)
    expect(rows).to_have_count(20)
    first = rows.first.inner_text()

    click_and_load(page, page.get_by_role("link", name="Load more"))  # a plain link: the next 20
    assert "after=" in page.url
    expect(rows).to_have_count(20)
    assert rows.first.inner_text() != first
    expect(page.get_by_role("link", name="Back to the newest")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Kind").select_option(label="Purchase")
    click_and_load(page, page.get_by_role("button", name="Show"))
    assert page.url.endswith("/points?kind=purchase")
    expect(rows).to_have_count(20)
    expect(not_purchases(rows, page)).to_have_count(0)
    assert_accessible(page)
