"""Journey: the team lead imports a purchases CSV with two bad rows; the preview lists the rows it
will import and names the bad lines and their reasons; the import records the rest; the member, on
their phone, sees the balance and history grow by their tier's multiplier.

The journey makes its own member (the demo accounts are read by other journeys); the references
are unique to this run.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.members import tiers
from portal.members.models import Member
from portal.models import utcnow
from portal.purchases.services import points_for
from tests.helpers import DESKTOP, HOME, PHONE, assert_accessible, click_and_load, log_in, member_nav_link

pytestmark = pytest.mark.e2e

AMOUNTS = (Decimal("1234.56"), Decimal("88.80"))


def expected_points(live_server, email):
    """(balance now, points each purchase will earn, member number, points the preview shows): each
    purchase earns at the member's tier when it is recorded, which the first purchase may raise; the
    preview counts at the tier they have now."""
    with live_server.app.app_context():
        member = db.session.scalar(select(Member).where(Member.email == email))
        every_tier = tiers.all_tiers()
        qualifying, _ = tiers.qualifying_summary(member)
        tier, earned = member.tier, []
        for amount in AMOUNTS:
            points = points_for(amount, tier.multiplier)
            earned.append(points)
            qualifying += points
            reached = tiers.tier_for_points(qualifying, every_tier)
            tier = reached if reached.rank > tier.rank else tier
        return member.points_balance, earned, member.number, [points_for(a, member.tier.multiplier) for a in AMOUNTS]


def test_lead_imports_purchases_and_the_member_sees_them_with_their_tiers_multiplier(
        new_context, live_server, new_member, tmp_path):
    run = uuid.uuid4().hex[:8].upper()
    member = new_member(name=f"Importer {run}")
    balance, earned, number, preview_points = expected_points(live_server, member.email)
    references = (f"E2E-{run}-1", f"E2E-{run}-2")
    now = utcnow()
    csv_file = tmp_path / "purchases.csv"
    csv_file.write_text("\n".join([
        "member,amount,date,reference",
        f"{number},{AMOUNTS[0]},{(now - timedelta(minutes=10)).isoformat()},{references[0]}",
        f"{member.email},{AMOUNTS[1]},{(now - timedelta(minutes=5)).isoformat()},{references[1]}",
        f"M999999,45.00,{now.date().isoformat()},E2E-{run}-3",
        f"{member.email},-20.00,{now.date().isoformat()},E2E-{run}-4",
    ]) + "\n", encoding="utf-8-sig")  # as a spreadsheet saves "CSV UTF-8": with a BOM

    lead = new_context().new_page()
    lead.set_viewport_size(DESKTOP)
    log_in(lead, "lead@example.com")
    lead.wait_for_url("**/admin/")
    click_and_load(lead, lead.get_by_role("navigation", name="Staff").get_by_role("link", name="Imports"))
    expect(lead.get_by_role("heading", name="Import purchases", level=1)).to_be_visible()
    assert_accessible(lead)

    # The preview: the two bad lines, each with its reason; nothing recorded yet
    lead.get_by_label("CSV file").set_input_files(csv_file)
    click_and_load(lead, lead.get_by_role("button", name="Check the file"))
    expect(lead.get_by_role("heading", name="Preview of purchases.csv")).to_be_visible()
    problems = lead.get_by_role("table", name="2 rows cannot be imported")
    rows = problems.get_by_role("row")
    expect(rows).to_have_count(3)  # the heading and the two bad rows
    expect(rows.nth(1)).to_contain_text("4")
    expect(rows.nth(1)).to_contain_text("Unknown member “M999999”.")
    expect(rows.nth(2)).to_contain_text("5")
    expect(rows.nth(2)).to_contain_text("The amount must be more than 0.")
    expect(lead.get_by_text("2 purchases can be imported, worth 1,323.36")).to_be_visible()
    to_import = lead.get_by_role("table", name="2 rows to import").get_by_role("row")
    expect(to_import).to_have_count(3)  # the heading and the two good rows, as they will be recorded
    for n, (line, amount, reference, points) in enumerate(zip(("2", "3"), ("1,234.56", "88.80"), references,
                                                              preview_points, strict=True), start=1):
        for cell in (line, f"{member.name} {number}", amount, reference, f"{points:,}"):
            expect(to_import.nth(n).get_by_role("cell", name=cell, exact=True)).to_be_visible()
    assert_accessible(lead)

    click_and_load(lead, lead.get_by_role("button", name="Import 2 purchases"))
    expect(lead.get_by_role("status")).to_contain_text(
        f"Imported 2 purchases worth 1,323.36: {sum(earned):,} points.")
    assert_accessible(lead)

    # The same file again adds nothing: the preview says the rows are already imported
    lead.get_by_label("CSV file").set_input_files(csv_file)
    click_and_load(lead, lead.get_by_role("button", name="Check the file"))
    already = f"Already imported: the reference {references[0]} is recorded."
    expect(lead.get_by_role("cell", name=already)).to_be_visible()
    expect(lead.get_by_text("Nothing in this file can be imported.")).to_be_visible()
    expect(lead.get_by_role("button", name="Import 2 purchases")).to_have_count(0)
    assert_accessible(lead)

    # The member, on their phone: the balance on their home, and both purchases in the points history
    phone = new_context().new_page()
    phone.set_viewport_size(PHONE)
    log_in(phone, member.email, member.password)
    phone.wait_for_url(HOME)
    expect(phone.get_by_text(f"{balance + sum(earned):,}", exact=True)).to_be_visible()
    assert_accessible(phone)
    click_and_load(phone, member_nav_link(phone, "Points"))  # in "More" on a phone
    history = phone.get_by_role("list", name="History").get_by_role("listitem")
    for reference, points in zip(references, earned, strict=True):
        entry = history.filter(has_text=reference)
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text("Purchase")
        expect(entry).to_contain_text(f"+{points:,}")
    assert_accessible(phone)
