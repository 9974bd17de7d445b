"""Journeys on the staff's ticket pages: a ticket left past its first-reply time appears under
"Breached" and the team lead gets exactly one email, however often escalation runs; service staff
reply to a ticket through its page and set it "Waiting on member".

The journeys make their own members and tickets through the services (the demo data is read by
other journeys); the e2e server shares one database, so they look only at their own tickets.
"""

import time
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.auth.models import StaffUser
from portal.extensions import db
from portal.models import utcnow
from portal.tickets import services
from tests.factories import make_member, make_ticket
from tests.helpers import assert_accessible, assert_no_sideways_scroll, click_and_load, log_in, staff_page

pytestmark = pytest.mark.e2e


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def file_ticket(live_server, run, hours_ago=0, kind="consultation"):
    """A new member's ticket filed `hours_ago` hours ago; returns (number, member name, member email)."""
    with live_server.app.app_context():
        member = make_member(name=f"Mei {run}", email=f"mei-{run}@example.com")
        ticket = make_ticket(member, kind=kind, subject=f"Voucher {run}", body=f"My voucher {run} was refused.",
                             now=utcnow() - timedelta(hours=hours_ago))
        db.session.commit()
        return ticket.number, member.name, member.email


def escalate(live_server):
    with live_server.app.app_context():
        counts = services.escalate()
        db.session.commit()
        return counts


def colleague_writes(live_server, number, body):
    """Another service user adds an internal note to the ticket."""
    with live_server.app.app_context():
        ticket = services.ticket_for_staff(number)
        colleague = StaffUser(name="Cora Colleague", email=f"cora-{uuid.uuid4().hex[:8]}@example.com",
                              role="service", password_hash="x", language="en")
        db.session.add(colleague)
        db.session.flush()
        services.staff_reply(ticket, colleague, body, internal=True, seen_version=ticket.version)
        db.session.commit()


def breach_emails(mailbox, to, number, wait=5.0):
    deadline = time.monotonic() + wait
    found = []
    while time.monotonic() < deadline:
        found = [m for m in mailbox.to(to) if number in m["Subject"] and "Breached" in m["Subject"]]
        if found:
            break
        time.sleep(0.1)
    return found


def test_a_ticket_past_its_due_time_is_breached_and_the_lead_hears_once(new_context, live_server, mailbox):
    run = uuid.uuid4().hex[:6]
    # A consultation filed 30 hours ago: its first reply (24 h) is overdue, its resolution (48 h) is not.
    number, name, _email = file_ticket(live_server, run, hours_ago=30)
    escalate(live_server)
    escalate(live_server)  # the job runs every 5 minutes: the same breach is told once
    assert len(breach_emails(mailbox, "lead@example.com", number)) == 1
    time.sleep(1)  # anything sent late would show up now
    assert len(breach_emails(mailbox, "lead@example.com", number, wait=0.5)) == 1

    page = staff_page(new_context)
    log_in(page, "lead@example.com")
    page.wait_for_url("**/admin/")
    click_and_load(page, page.get_by_role("navigation", name="Staff").get_by_role("link", name="Tickets"))
    check(page)
    breached = page.get_by_role("navigation", name="Clock").get_by_role("link", name="Breached")
    breached.click()
    expect(breached).to_have_attribute("aria-current", "page")
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("Breached")
    expect(row).to_contain_text(name)
    check(page)
    click_and_load(page, row.get_by_role("link", name=number))
    expect(page.get_by_role("heading", name=f"Voucher {run}")).to_be_visible()
    expect(page.get_by_role("region", name="Status")).to_contain_text("Breached")
    check(page)


def test_service_staff_reply_and_set_the_ticket_waiting_on_the_member(new_context, live_server, mailbox):
    run = uuid.uuid4().hex[:6]
    number, _name, email = file_ticket(live_server, run)

    page = staff_page(new_context)
    log_in(page, "service@example.com")
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/tickets/{number}")
    check(page)
    page.get_by_label("Message").fill(f"Hello, we are looking into voucher {run}.")
    colleague_writes(live_server, number, f"Colleague note {run}")  # while this page was open
    page.get_by_role("button", name="Reply", exact=True).click()
    warning = page.get_by_role("alert").filter(has_text="This ticket changed while you were writing")
    expect(warning.first).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text=f"Colleague note {run}")).to_be_visible()
    expect(page.get_by_label("Message")).to_have_value(f"Hello, we are looking into voucher {run}.")
    check(page)
    page.get_by_role("button", name="Reply", exact=True).click()  # sent again, against the new version
    expect(page.get_by_role("status")).to_contain_text("Your reply is sent to the member.")
    expect(page.get_by_role("region", name="Conversation")).to_contain_text(f"we are looking into voucher {run}")
    expect(page.get_by_role("region", name="Status")).to_contain_text("In progress")
    check(page)
    page.get_by_role("button", name="Waiting on member").click()
    expect(page.get_by_role("status")).to_contain_text("The ticket is now “Waiting on member”.")
    expect(page.get_by_role("region", name="Status")).to_contain_text("Paused: waiting on the member")
    check(page)
    page.reload()
    expect(page.get_by_role("region", name="Status")).to_contain_text("Waiting on member")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(number in (m["Subject"] or "") for m in mailbox.to(email)
                                                  if "looking into" in str(m.get_body(("plain",)).get_content())):
        time.sleep(0.1)
    assert any("looking into" in str(m.get_body(("plain",)).get_content()) for m in mailbox.to(email))
