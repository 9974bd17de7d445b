"""Journeys: Mei redeems a reward on her phone, gets the voucher by email, staff mark it used and
she sees it used; a reward she cannot afford, or whose tier she lacks, says why and has no button.

Mei's demo account is shared with other journeys (they change her points), so balances are read
from the database at the time, never assumed.
"""

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.members.models import Member
from portal.rewards.models import Reward
from tests import services
from tests.e2e.conftest import HOME, assert_accessible, assert_no_sideways_scroll, click_and_load, log_in
from tests.e2e.test_staff_members import staff_page

pytestmark = pytest.mark.e2e

CODE = re.compile(r"^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$")


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def mei_balance(live_server):
    with live_server.app.app_context():
        return db.session.scalar(select(Member.points_balance).where(Member.email == "mei@example.com"))


def reward_cost(live_server, name):
    with live_server.app.app_context():
        return db.session.scalar(select(Reward.points_cost).where(Reward.name == name))


def voucher_email(mailbox, code, timeout=10.0):
    """The voucher email that carries `code` (Mei gets other mail from other journeys)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.to("mei@example.com"):
            if code in services.text_of(message):
                return message
        time.sleep(0.05)
    raise AssertionError(f"no email with voucher {code} arrived")


def test_mei_redeems_a_reward_gets_the_voucher_and_staff_mark_it_used(page, new_context, live_server, mailbox):
    log_in(page, "mei@example.com")
    page.wait_for_url(HOME)
    before = mei_balance(live_server)
    cost = reward_cost(live_server, "Coffee for two")

    # The catalogue, from the home page
    click_and_load(page, page.get_by_role("main").get_by_role("link", name="Rewards"))
    expect(page.get_by_role("heading", name="Rewards", exact=True)).to_be_visible()
    coffee = page.get_by_role("article", name="Coffee for two")
    expect(coffee.get_by_text("You can redeem this")).to_be_visible()
    check(page)

    # The reward's page: "Redeem" opens the confirmation in place (htmx), which asks before spending
    click_and_load(page, coffee.get_by_role("link", name="Coffee for two"))
    expect(page.get_by_role("heading", name="Coffee for two", level=1)).to_be_visible()
    check(page)
    page.get_by_role("link", name="Redeem", exact=True).click()
    confirm = page.get_by_role("form", name="Confirm your redemption")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(f"for {cost:,} points? You will have {before - cost:,} points left.")
    expect(page).to_have_url(re.compile(r"/rewards/\d+/redeem$"))
    check(page)
    assert mei_balance(live_server) == before  # nothing is spent before she confirms
    click_and_load(page, confirm.get_by_role("button", name="Confirm and redeem"))

    # The voucher: code, QR code, status
    expect(page).to_have_url(re.compile(r"/rewards/my/\d+$"))
    voucher_url = page.url
    expect(page.get_by_role("heading", name="Coffee for two", level=1)).to_be_visible()
    code = page.locator("dd.voucher-code").inner_text().strip()
    assert CODE.match(code), code
    expect(page.get_by_role("img", name=f"QR code of voucher {code}")).to_be_visible()
    expect(page.get_by_text("Ready to use", exact=True)).to_be_visible()
    assert mei_balance(live_server) == before - cost
    check(page)

    # The email arrives, with the code and a link to the voucher
    message = voucher_email(mailbox, code)
    assert message["Subject"] == "Your voucher for Coffee for two"
    assert voucher_url in services.text_of(message)

    # Staff, on a desktop: the voucher desk finds it as a scanner would type it, and marks it used
    lead = staff_page(new_context)
    log_in(lead, "lead@example.com")
    lead.wait_for_url("**/admin/")
    click_and_load(lead, lead.get_by_role("navigation", name="Staff").get_by_role("link", name="Rewards"))
    expect(lead.get_by_role("heading", name="Rewards catalogue")).to_be_visible()
    expect(lead.get_by_role("cell", name="Coffee for two")).to_be_visible()
    assert_accessible(lead)
    click_and_load(lead, lead.get_by_role("link", name="Vouchers: mark used or cancel"))
    assert_accessible(lead)
    search = lead.get_by_role("searchbox", name="Voucher code")
    search.fill(code.replace("-", "").lower())
    with lead.expect_navigation():
        search.press("Enter")
    expect(lead.get_by_role("heading", name=f"Voucher {code}")).to_be_visible()
    expect(lead.get_by_text("Mei Lin")).to_be_visible()
    assert_accessible(lead)
    click_and_load(lead, lead.get_by_role("button", name="Mark as used"))
    expect(lead.get_by_text(f"Voucher {code} is used")).to_be_visible()
    expect(lead.get_by_role("button", name="Mark as used")).to_have_count(0)
    assert_accessible(lead)

    # Mei sees it used, on the voucher and in "My rewards"
    page.goto(voucher_url)
    expect(page.get_by_text("Used", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_have_count(0)
    check(page)
    click_and_load(page, page.get_by_role("link", name="My rewards"))
    row = page.get_by_role("listitem").filter(has_text=code)
    expect(row.get_by_text("Used", exact=True)).to_be_visible()
    check(page)


def test_rewards_she_cannot_redeem_say_why_and_have_no_active_button(no_js_page, live_server):
    page = no_js_page  # and it all works without JavaScript
    log_in(page, "mei@example.com")
    page.wait_for_url(HOME)
    page.goto("/rewards")
    expect(page.get_by_role("heading", name="Rewards", exact=True)).to_be_visible()

    hotel = page.get_by_role("article", name="Weekend hotel stay")
    short = reward_cost(live_server, "Weekend hotel stay") - mei_balance(live_server)
    assert short > 0
    expect(hotel.get_by_text(f"You need {short:,} more points")).to_be_visible()
    spa = page.get_by_role("article", name="Spa afternoon")
    expect(spa.get_by_text("For Gold members and above")).to_be_visible()
    umbrella = page.get_by_role("article", name="Limited-edition umbrella")
    expect(umbrella.get_by_text("Out of stock")).to_be_visible()
    for card in (hotel, spa, umbrella):
        expect(card.get_by_role("link", name="Redeem")).to_have_count(0)
        expect(card.get_by_role("button", name="Redeem")).to_have_count(0)
    check(page)

    # The reward's own page says the same, and neither offers nor accepts a confirmation
    click_and_load(page, spa.get_by_role("link", name="Spa afternoon"))
    expect(page.get_by_text("For Gold members and above", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Redeem")).to_have_count(0)
    expect(page.get_by_role("button", name="Confirm and redeem")).to_have_count(0)
    check(page)
    page.goto(page.url + "/redeem")
    expect(page.get_by_text("For Gold members and above", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Confirm and redeem")).to_have_count(0)
