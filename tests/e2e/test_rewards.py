"""Journeys: a member redeems a reward on her phone, gets the voucher by email, staff mark it used
and she sees it used; on a 360×800 phone the confirm button and then the success message and the
whole voucher fit the first screen; staff change a reward's stock by units while members redeem;
a reward Mei cannot afford, or whose tier she lacks, says why and has no button.

Journeys that redeem use their own members (Mei's demo account is shared and only read here).
"""

import re
import time
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member
from portal.rewards.models import Reward
from tests import services
from tests.helpers import (
    HOME,
    SMALL_PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    click_and_load,
    in_viewport,
    log_in,
    staff_page,
)

pytestmark = pytest.mark.e2e

CODE = re.compile(r"^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$")


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def balance_of(live_server, email):
    with live_server.app.app_context():
        return db.session.scalar(select(Member.points_balance).where(Member.email == email))


def mei_balance(live_server):
    return balance_of(live_server, "mei@example.com")


def reward_cost(live_server, name):
    with live_server.app.app_context():
        return db.session.scalar(select(Reward.points_cost).where(Reward.name == name))


def reward_id(live_server, name):
    with live_server.app.app_context():
        return db.session.scalar(select(Reward.id).where(Reward.name == name))


def member_with_points(live_server, new_member, points, **fields):
    """A new member (see `new_member`) who has earned `points`."""
    member = new_member(**fields)
    with live_server.app.app_context():
        row = db.session.scalar(select(Member).where(Member.email == member.email))
        ledger.earn(row, points, "purchase", f"e2e-seed-{row.id}")
        db.session.commit()
    return member


def voucher_email(mailbox, to, code, timeout=10.0):
    """The voucher email to `to` that carries `code`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.to(to):
            if code in services.text_of(message):
                return message
        time.sleep(0.05)
    raise AssertionError(f"no email with voucher {code} arrived")


def test_a_member_redeems_a_reward_gets_the_voucher_and_staff_mark_it_used(page, new_context, live_server, mailbox,
                                                                         new_member):
    member = member_with_points(live_server, new_member, 2000, name="Hua Chen")
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    before = balance_of(live_server, member.email)
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
    assert balance_of(live_server, member.email) == before  # nothing is spent before she confirms
    click_and_load(page, confirm.get_by_role("button", name="Confirm and redeem"))

    # The voucher: a success message, code, QR code, status
    expect(page).to_have_url(re.compile(r"/rewards/my/\d+$"))
    voucher_url = page.url
    expect(page.get_by_text("Redeemed: “Coffee for two”. Show this voucher to staff to collect it.")).to_be_visible()
    expect(page.get_by_role("heading", name="Coffee for two", level=1)).to_be_visible()
    code = page.get_by_role("main").get_by_text(CODE).inner_text().strip()
    expect(page.get_by_role("img", name=f"QR code of voucher {code}")).to_be_visible()
    expect(page.get_by_text("Ready to use", exact=True)).to_be_visible()
    assert balance_of(live_server, member.email) == before - cost
    check(page)

    # The email arrives, with the code and a link to the voucher
    message = voucher_email(mailbox, member.email, code)
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
    expect(lead.get_by_text("Hua Chen")).to_be_visible()
    assert_accessible(lead)
    click_and_load(lead, lead.get_by_role("button", name="Mark as used"))
    expect(lead.get_by_text(f"Voucher {code} is used")).to_be_visible()
    expect(lead.get_by_role("button", name="Mark as used")).to_have_count(0)
    assert_accessible(lead)

    # She sees it used, on the voucher and in "My rewards", where the whole row is the link
    page.goto(voucher_url)
    expect(page.get_by_text("Used", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_have_count(0)
    check(page)
    click_and_load(page, page.get_by_role("link", name="My rewards"))
    row = page.get_by_role("link", name=re.compile(code))
    expect(row.get_by_text("Used", exact=True)).to_be_visible()
    check(page)


SMALL_PHONE_WORDS = {  # what a member reads, in each language
    "en": {"reward": "Free delivery for a year", "redeem": "Redeem", "confirm": "Confirm and redeem",
           "redeemed": "Redeemed: “Free delivery for a year”.", "qr": "QR code of voucher", "mine": "My rewards"},
    "zh_Hant": {"reward": "一年免運費", "redeem": "兌換", "confirm": "確認兌換", "redeemed": "已兌換「一年免運費」。",
                "qr": "的 QR 碼", "mine": "我的兌換"},
}


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_on_a_small_phone_the_confirm_button_then_the_message_and_whole_voucher_fit_the_screen(
        new_context, live_server, new_member, language):
    words = SMALL_PHONE_WORDS[language]
    page = new_context().new_page()
    page.set_viewport_size(SMALL_PHONE)
    member = member_with_points(live_server, new_member, 2000, name="Ada Small", language=language)
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    url = f"/rewards/{reward_id(live_server, 'Free delivery for a year')}"

    # The confirmation as a page of its own (a link, or no JavaScript): the button on the first screen
    page.goto(url + "/redeem")
    confirm = page.get_by_role("button", name=words["confirm"])
    expect(confirm).to_be_visible()
    assert page.evaluate("() => window.scrollY") == 0 and in_viewport(page, confirm)
    check(page)

    # ...and opened in place by "Redeem" (htmx): the same
    page.goto(url)
    page.get_by_role("link", name=words["redeem"], exact=True).click()
    expect(confirm).to_be_visible()
    assert page.evaluate("() => window.scrollY") == 0 and in_viewport(page, confirm)
    click_and_load(page, confirm)

    # After redeeming: the success message and the whole voucher, QR code included, without scrolling
    expect(page).to_have_url(re.compile(r"/rewards/my/\d+$"))
    voucher_url = page.url
    message = page.get_by_text(words["redeemed"])
    voucher = page.get_by_role("region", name=words["reward"])
    qr = voucher.get_by_role("img", name=re.compile(re.escape(words["qr"])))
    expect(message).to_be_visible()
    expect(qr).to_be_visible()
    assert page.evaluate("() => window.scrollY") == 0
    assert in_viewport(page, message), message.bounding_box()
    assert in_viewport(page, voucher), voucher.bounding_box()
    assert in_viewport(page, qr), qr.bounding_box()
    check(page)

    # "My rewards": the whole row is one link to the voucher, at least 44 px high
    click_and_load(page, page.get_by_role("link", name=words["mine"], exact=True))
    [item] = page.get_by_role("main").get_by_role("listitem").all()
    row = item.get_by_role("link")
    expect(row).to_have_count(1)
    row_box, item_box = row.bounding_box(), item.bounding_box()
    assert row_box["height"] >= 44 and row_box["height"] >= item_box["height"] - 2, (row_box, item_box)
    assert row_box["width"] >= item_box["width"] - 2, (row_box, item_box)
    check(page)
    # A tap on the row's far corner, away from its text, opens the voucher
    row.click(position={"x": row_box["width"] - 4, "y": row_box["height"] - 4})
    expect(page).to_have_url(voucher_url)


def test_staff_change_stock_by_units_and_a_redemption_made_meanwhile_is_kept(page, new_context, live_server,
                                                                            new_member):
    name = f"Enamel pin {uuid.uuid4().hex[:6]}"
    lead = staff_page(new_context)
    log_in(lead, "lead@example.com")
    lead.wait_for_url("**/admin/")

    # Staff add a reward with 2 units
    lead.goto("/admin/rewards/")
    click_and_load(lead, lead.get_by_role("link", name="Add a reward"))
    lead.get_by_label("Name", exact=True).fill(name)
    lead.get_by_label("Points cost").fill("100")
    lead.get_by_label("Units in stock").fill("2")
    click_and_load(lead, lead.get_by_role("button", name="Add the reward"))
    expect(lead.get_by_text(f"The reward “{name}” is in the catalogue.")).to_be_visible()

    # ...and open its form: 2 in stock
    click_and_load(lead, lead.get_by_role("link", name=name))
    expect(lead.get_by_text("In stock now: 2")).to_be_visible()
    expect(lead.get_by_label("Unlimited stock")).not_to_be_checked()
    assert_accessible(lead)

    # Meanwhile a member redeems one on her phone
    member = member_with_points(live_server, new_member, 500, name="Pin Collector")
    log_in(page, member.email, member.password)
    page.wait_for_url(HOME)
    page.goto(f"/rewards/{reward_id(live_server, name)}/redeem")
    click_and_load(page, page.get_by_role("button", name="Confirm and redeem"))
    expect(page.get_by_text(f"Redeemed: “{name}”.")).to_be_visible()

    # Staff add 3 units to the form they opened with 2: the stock is 4, her unit stays sold
    lead.get_by_label("Change stock by").fill("3")
    click_and_load(lead, lead.get_by_role("button", name="Save the reward"))
    expect(lead.get_by_text(f"The reward “{name}” is saved.")).to_be_visible()
    expect(lead.get_by_text("In stock now: 4")).to_be_visible()

    # Taking away more than is left says so and changes nothing
    lead.get_by_label("Change stock by").fill("-5")
    click_and_load(lead, lead.get_by_role("button", name="Save the reward"))
    expect(lead.get_by_text("Only 4 in stock now: you can remove at most 4.")).to_be_visible()
    expect(lead.get_by_text("In stock now: 4")).to_be_visible()
    assert_accessible(lead)
    with live_server.app.app_context():
        assert db.session.scalar(select(Reward.stock).where(Reward.name == name)) == 4


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
