"""Journey: the team lead, on a desktop, finds Mei, gives her 500 points; Mei sees them on her
phone; the audit log has the adjustment.

Mei's demo account is shared with other journeys, so the balance is read from the page before
the adjustment, and the reason is unique to this run.
"""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member
from portal.models import utcnow
from tests.e2e.conftest import HOME, PHONE, assert_accessible, click_and_load, log_in

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}


def mark_page(page):
    """Tag the loaded document; a full page load would drop the tag."""
    page.evaluate("() => { window.sameDocument = true }")


def still_same_page(page):
    return page.evaluate("() => window.sameDocument === true")


def staff_page(new_context):
    page = new_context().new_page()
    page.set_viewport_size(DESKTOP)
    return page


def test_lead_adjusts_meis_points_and_mei_and_the_audit_log_show_it(new_context):
    reason = f"Goodwill {uuid.uuid4().hex[:8]}"
    lead = staff_page(new_context)
    log_in(lead, "lead@example.com")
    lead.wait_for_url("**/admin/")
    assert_accessible(lead)

    # Members: search as you type, results without a page load, the URL keeps the query
    staff_nav = lead.get_by_role("navigation", name="Staff")
    click_and_load(lead, staff_nav.get_by_role("link", name="Members"))
    expect(lead.get_by_role("heading", name="Members", exact=True)).to_be_visible()
    assert_accessible(lead)
    mark_page(lead)
    lead.get_by_role("searchbox", name="Search members").press_sequentially("mei", delay=60)
    expect(lead).to_have_url(re.compile(r"[?&]q=mei(&|$)"))
    mei_link = lead.get_by_role("link", name="Mei Lin", exact=True)
    expect(mei_link).to_be_visible()
    expect(lead.get_by_role("cell", name="mei@example.com")).to_be_visible()
    assert still_same_page(lead), "the search reloaded the page"
    assert_accessible(lead)

    # Mei's page: adjust +500; the entry and the new balance show at once
    click_and_load(lead, mei_link)
    expect(lead.get_by_role("heading", name="Mei Lin", level=1)).to_be_visible()
    assert_accessible(lead)
    balance = lead.get_by_role("status", name="Points balance")
    before = int(balance.inner_text().replace(",", ""))
    after = f"{before + 500:,}"
    form = lead.get_by_role("form", name="Adjust points")
    form.get_by_label("Points", exact=True).fill("500")
    form.get_by_label("Reason", exact=True).fill(reason)
    mark_page(lead)
    form.get_by_role("button", name="Adjust points").click()
    ledger = lead.get_by_role("table", name="Ledger")
    entry = ledger.get_by_role("row").filter(has_text=reason)
    expect(entry).to_contain_text("+500")
    expect(entry).to_contain_text("Lee Team Lead")
    expect(entry).to_contain_text("Adjustment")
    expect(ledger.get_by_role("row").nth(1)).to_contain_text(reason)  # newest first: at the top
    expect(balance).to_have_text(after)
    expect(lead.get_by_role("status").filter(has_text="Added 500 points.")).to_be_visible()
    assert still_same_page(lead), "the adjustment reloaded the page"
    assert_accessible(lead)
    click_and_load(lead, lead.get_by_role("button", name="Log out"))

    # Mei, on her phone, sees the new balance on her home
    mei = new_context().new_page()
    mei.set_viewport_size(PHONE)
    log_in(mei, "mei@example.com")
    mei.wait_for_url(HOME)
    expect(mei.get_by_role("main")).to_contain_text(after)
    assert_accessible(mei)

    # The audit log has the adjustment, with who did it and why
    log_in(lead, "lead@example.com")
    lead.wait_for_url("**/admin/")
    click_and_load(lead, lead.get_by_role("navigation", name="Staff").get_by_role("link", name="Audit log"))
    expect(lead.get_by_role("heading", name="Audit log")).to_be_visible()
    row = lead.get_by_role("row").filter(has_text=reason)
    expect(row).to_have_count(1)
    for text in ("Lee Team Lead", "Points adjusted", "Mei Lin", "+500", f"→ {after}"):
        expect(row).to_contain_text(text)
    assert_accessible(lead)


def test_the_members_area_works_without_javascript(no_js_page, new_member):
    member = new_member(name=f"Nojs {uuid.uuid4().hex[:6]} Tester")
    page = no_js_page
    page.set_viewport_size(DESKTOP)
    log_in(page, "ops@example.com")
    page.wait_for_url("**/admin/")
    page.goto("/admin/members")
    page.get_by_role("searchbox", name="Search members").fill(member.name.split()[1])
    click_and_load(page, page.get_by_role("button", name="Search"))
    expect(page).to_have_url(re.compile(r"[?&]q="))
    assert_accessible(page)
    click_and_load(page, page.get_by_role("link", name=member.name, exact=True))

    form = page.get_by_role("form", name="Adjust points")
    form.get_by_label("Points", exact=True).fill("-5")
    form.get_by_label("Reason", exact=True).fill("Too much")
    answer = click_and_load(page, form.get_by_role("button", name="Adjust points"))
    assert answer.status == 422
    expect(form.get_by_text("The member has 0 points: an adjustment cannot take away more than that.")).to_be_visible()
    assert_accessible(page)

    form.get_by_label("Points", exact=True).fill("120")
    form.get_by_label("Reason", exact=True).fill("Welcome gift")
    click_and_load(page, form.get_by_role("button", name="Adjust points"))
    expect(page).to_have_url(re.compile(r"/admin/members/\d+$"))
    expect(page.get_by_text("Added 120 points. The balance is now 120.")).to_be_visible()
    expect(page.get_by_role("status", name="Points balance")).to_have_text("120")
    expect(page.get_by_role("table", name="Ledger").get_by_role("row").filter(has_text="Welcome gift")).to_contain_text(
        "Olive Operations")
    assert_accessible(page)


def test_older_ledger_entries_load_below_without_a_page_load(new_context, live_server, new_member):
    made = new_member(name=f"Longhistory {uuid.uuid4().hex[:6]}")
    with live_server.app.app_context():
        member = db.session.scalar(select(Member).where(Member.email == made.email))
        start = utcnow() - timedelta(days=200)
        for n in range(60):
            ledger.earn(member, 10, "purchase", f"e2e-older:{member.id}:{n}", at=start + timedelta(days=n),
                        reason=f"Purchase {n:02d}")
        db.session.commit()
        member_id = member.id
    page = staff_page(new_context)
    log_in(page, "service@example.com")  # member service reads the member page, and changes nothing
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/members/{member_id}")
    expect(page.get_by_role("form", name="Adjust points")).to_have_count(0)
    rows = page.get_by_role("table", name="Ledger").get_by_role("row")
    expect(rows).to_have_count(1 + 50 + 1)  # the heading, 50 entries, "Older entries"
    expect(rows.nth(1)).to_contain_text("Purchase 59")
    assert_accessible(page)
    mark_page(page)
    page.get_by_role("link", name="Older entries").click()
    expect(rows).to_have_count(1 + 60)
    expect(rows.last).to_contain_text("Purchase 00")
    expect(page.get_by_role("link", name="Older entries")).to_have_count(0)
    assert still_same_page(page), "loading older entries reloaded the page"
    assert_accessible(page)
