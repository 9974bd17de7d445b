"""Journeys: the team lead, on a desktop, finds a member, gives them 500 points and keeps them in
Gold; the member sees the points on their phone; the audit log has both changes. Staff read the
member page on a phone too.

Each journey makes its own member (the demo accounts are read by other journeys).
"""

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member
from portal.models import add_months, utcnow
from tests.helpers import (
    DESKTOP,
    HOME,
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    click_and_load,
    log_in,
    staff_page,
)

pytestmark = pytest.mark.e2e

def mark_page(page):
    """Tag the loaded document; a full page load would drop the tag."""
    page.evaluate("() => { window.sameDocument = true }")


def still_same_page(page):
    return page.evaluate("() => window.sameDocument === true")


def member_id(live_server, email):
    with live_server.app.app_context():
        return db.session.scalar(select(Member.id).where(Member.email == email))


def test_lead_adjusts_points_and_keeps_a_tier_and_the_member_and_the_audit_log_show_it(new_context, new_member):
    run = uuid.uuid4().hex[:6]
    member = new_member(name=f"Journey {run} Member")
    reason = f"Goodwill {run}"
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
    lead.get_by_role("searchbox", name="Search members").press_sequentially(run, delay=60)
    expect(lead).to_have_url(re.compile(rf"[?&]q={run}(&|$)"))
    member_link = lead.get_by_role("link", name=member.name, exact=True)
    expect(member_link).to_be_visible()
    expect(lead.get_by_role("cell", name=member.email)).to_be_visible()
    assert still_same_page(lead), "the search reloaded the page"
    assert_accessible(lead)

    # The member's page: adjust +500; the confirmation takes the focus, with the new entry just below it
    click_and_load(lead, member_link)
    expect(lead.get_by_role("heading", name=member.name, level=1)).to_be_visible()
    assert_accessible(lead)
    balance = lead.get_by_role("status", name="Points balance")
    expect(balance).to_have_text("0")
    form = lead.get_by_role("form", name="Adjust points")
    form.get_by_label("Points", exact=True).fill("500")
    form.get_by_label("Reason", exact=True).fill(reason)
    mark_page(lead)
    form.get_by_role("button", name="Adjust points").click()
    confirmation = lead.get_by_role("status").filter(has_text="Added 500 points. The balance is now 500.")
    expect(confirmation).to_be_focused()
    expect(confirmation).to_be_in_viewport()
    ledger_table = lead.get_by_role("table", name="Ledger")
    entry = ledger_table.get_by_role("row").filter(has_text=reason)
    expect(entry).to_contain_text("+500")
    expect(entry).to_contain_text("Lee Team Lead")
    expect(entry).to_contain_text("Adjustment")
    expect(entry).to_be_in_viewport()  # where the lead is looking, not below the fold
    expect(entry.get_by_role("cell").first).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    expect(ledger_table.get_by_role("row").nth(1)).to_contain_text(reason)  # newest first: at the top
    expect(balance).to_have_text("500")
    assert still_same_page(lead), "the adjustment reloaded the page"
    assert_accessible(lead)

    # The section menu leads to the tier; keep the member in Gold until a chosen day
    sections = lead.get_by_role("navigation", name="On this page")
    sections.get_by_role("link", name="Tier").click()
    expect(lead.get_by_role("heading", name="Tier", exact=True, level=2)).to_be_in_viewport()
    tier_form = lead.get_by_role("form", name="Change tier")
    zone = ZoneInfo("Asia/Taipei")
    default = add_months(datetime.now(zone).date(), 12)
    keep = tier_form.get_by_label("Keep until")
    expect(keep).to_have_value(default.isoformat())  # 12 months ahead unless the lead says otherwise
    kept_until = (datetime.now(zone).date() + timedelta(days=200)).isoformat()
    tier_form.get_by_label("Tier", exact=True).select_option(label="Gold")
    tier_form.get_by_label("Reason", exact=True).fill(f"Partner {run}")
    keep.fill(kept_until)
    tier_form.get_by_role("button", name="Change tier").click()
    tier_notice = lead.get_by_role("status").filter(has_text="The member is now in the Gold tier.")
    expect(tier_notice).to_be_focused()
    expect(tier_notice).to_contain_text(f"until {kept_until}")
    history = lead.get_by_role("table", name="Tier history").get_by_role("row").filter(has_text=f"Partner {run}")
    expect(history).to_contain_text(kept_until)
    expect(lead.get_by_role("definition").filter(has_text=f"Gold until {kept_until}")).to_be_visible()
    assert still_same_page(lead)
    assert_accessible(lead)
    click_and_load(lead, lead.get_by_role("button", name="Log out"))

    # The member, on their phone, sees the new balance on their home
    phone = new_context().new_page()
    phone.set_viewport_size(PHONE)
    log_in(phone, member.email, member.password)
    phone.wait_for_url(HOME)
    expect(phone.get_by_role("main")).to_contain_text("500")
    assert_accessible(phone)

    # The audit log has both changes, with who did them and why
    log_in(lead, "lead@example.com")
    lead.wait_for_url("**/admin/")
    click_and_load(lead, lead.get_by_role("navigation", name="Staff").get_by_role("link", name="Audit log"))
    expect(lead.get_by_role("heading", name="Audit log")).to_be_visible()
    row = lead.get_by_role("row").filter(has_text=reason)
    expect(row).to_have_count(1)
    for text in ("Lee Team Lead", "Points adjusted", member.name, "+500", "→ 500"):
        expect(row).to_contain_text(text)
    tier_row = lead.get_by_role("row").filter(has_text=f"Partner {run}")
    for text in ("Tier changed", "Regular → Gold", f"Kept until: {kept_until}"):
        expect(tier_row).to_contain_text(text)
    assert_accessible(lead)


def test_on_a_phone_staff_read_a_member_page_with_whole_email_words_and_sections_in_reach(new_context, new_member,
                                                                                          live_server):
    made = new_member(name=f"Phone {uuid.uuid4().hex[:6]}")
    with live_server.app.app_context():
        member = db.session.scalar(select(Member).where(Member.email == made.email))
        for n in range(55):
            ledger.earn(member, 1, "purchase", f"e2e-phone:{member.id}:{n}", reason=f"Small {n:02d}")
        db.session.commit()
    page = new_context().new_page()  # the phone viewport
    log_in(page, "service@example.com")
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/members/{member_id(live_server, made.email)}")
    expect(page.get_by_role("heading", name=made.name, level=1)).to_be_visible()
    assert_no_sideways_scroll(page)
    assert_accessible(page)

    # the email wraps, if at all, only before its "@" or a dot: each piece stays on one line
    email = page.get_by_text(made.email, exact=True)
    pieces = email.evaluate("""element => [...element.children].filter(child => child.textContent)
        .map(child => [child.textContent, new Set([...child.getClientRects()].map(b => Math.round(b.top))).size])""")
    assert "".join(text for text, _lines in pieces) == made.email
    assert all(lines == 1 for _text, lines in pieces), pieces

    # below a page of ledger rows, the section menu is still on screen and leads back up
    page.get_by_role("link", name="Older entries").scroll_into_view_if_needed()
    sections = page.get_by_role("navigation", name="On this page")
    expect(sections).to_be_in_viewport()
    sections.get_by_role("link", name="Redemptions").click()
    expect(page.get_by_role("heading", name="Redemptions", level=2)).to_be_in_viewport()
    expect(page.get_by_text("No redemptions yet.")).to_be_visible()


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
    confirmation = page.get_by_role("status").filter(has_text="Added 120 points. The balance is now 120.")
    expect(confirmation).to_be_focused()  # without JavaScript too: the page opens where the form was
    expect(confirmation).to_be_in_viewport()
    expect(page.get_by_role("status", name="Points balance")).to_have_text("120")
    entry = page.get_by_role("table", name="Ledger").get_by_role("row").filter(has_text="Welcome gift")
    expect(entry).to_contain_text("Olive Operations")
    expect(entry).to_be_in_viewport()
    assert_accessible(page)


def test_older_ledger_entries_load_below_without_a_page_load(new_context, live_server, new_member):
    made = new_member(name=f"Longhistory {uuid.uuid4().hex[:6]}")
    with live_server.app.app_context():
        member = db.session.scalar(select(Member).where(Member.email == made.email))
        start = utcnow() - timedelta(days=200)
        for n in range(30):
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
    expect(rows).to_have_count(1 + 20 + 1)  # the heading, 20 entries, "Older entries"
    expect(rows.nth(1)).to_contain_text("Purchase 29")
    assert_accessible(page)
    mark_page(page)
    page.get_by_role("link", name="Older entries").click()
    expect(rows).to_have_count(1 + 30)
    expect(rows.last).to_contain_text("Purchase 00")
    expect(page.get_by_role("link", name="Older entries")).to_have_count(0)
    assert still_same_page(page), "loading older entries reloaded the page"
    assert_accessible(page)
