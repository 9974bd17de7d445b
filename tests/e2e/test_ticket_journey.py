"""The tickets journey the issue names first: Mei files a complaint on a phone with a photo → the
confirmation email reaches the SMTP server → service staff (on a desktop, another browser) open it in
the queue and reply → Mei sees the reply and the clock → staff set it "Waiting on member" → Mei's
page says the clock is paused → Mei replies → staff resolve it → the satisfaction invitation reaches
the SMTP server, and its link (on a phone, without logging in) records a score that the staff ticket
page shows.

The journey makes its own member (the demo accounts are shared and only read); staff are the demo's
service user.
"""

import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.helpers import (
    HOME,
    assert_accessible,
    assert_no_sideways_scroll,
    click_and_load,
    link_in,
    log_in,
    member_nav_link,
    png,
    staff_page,
)

pytestmark = pytest.mark.e2e

NUMBER = re.compile(r"T-\d{4}-\d{6}")
RESOLVE_BY = re.compile(r"^We aim to resolve it by \w{3} \d\d:\d\d")
PAUSED = "Waiting for your reply — our clock is paused"


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def email_with_subject(mailbox, to, subject, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.to(to):
            if subject.search(message["Subject"] or ""):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no email “{subject.pattern}” to {to}; got {[m['Subject'] for m in mailbox.to(to)]}")


def test_mei_complains_staff_reply_and_resolve_and_her_score_reaches_the_staff_page(
        page, new_context, live_server, mailbox, new_member):
    run = uuid.uuid4().hex[:6]
    mei = new_member(name=f"Mei Chen {run}")
    subject = f"Chipped cup {run}"

    # Mei, on her phone: My tickets → New ticket → a complaint with a photo
    log_in(page, mei.email, mei.password)
    page.wait_for_url(HOME)
    click_and_load(page, member_nav_link(page, "My tickets"))
    expect(page.get_by_role("heading", name="My tickets", level=1)).to_be_visible()
    check(page)
    click_and_load(page, page.get_by_role("link", name="New ticket"))
    expect(page.get_by_role("heading", name="New ticket", level=1)).to_be_visible()
    check(page)
    page.get_by_label("What is it about?").select_option(label="Complaint")
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message").fill("The cup I got with my voucher was chipped.\nPhoto attached.")
    page.get_by_label("Pictures (optional, up to 3)").set_input_files(
        files=[{"name": "cup.png", "mimeType": "image/png", "buffer": png(40, 30)}])
    click_and_load(page, page.get_by_role("button", name="Send", exact=True))
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_visible()
    number = NUMBER.search(page.url).group(0)
    ticket_url = page.url
    expect(page.get_by_text(f"Thank you: your ticket {number} is filed.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^We will reply by \w{3} \d\d:\d\d"))).to_be_visible()
    expect(page.get_by_role("link", name="cup.png")).to_be_visible()
    check(page)

    # The confirmation email reaches the SMTP server
    email_with_subject(mailbox, mei.email, re.compile(f"^We received your message: {number}$"))

    # Service staff, on a desktop in another browser: the queue, the complaint, a reply
    staff = staff_page(new_context)
    log_in(staff, "service@example.com")
    staff.wait_for_url("**/admin/")
    click_and_load(staff, staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Tickets"))
    expect(staff.get_by_role("heading", name="Tickets", level=1)).to_be_visible()
    complaints = staff.get_by_role("navigation", name="Kind").get_by_role("link", name=re.compile("^Complaint"))
    complaints.click()
    expect(complaints).to_have_attribute("aria-current", "page")
    row = staff.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text(mei.name)
    expect(row).to_contain_text("New")
    check(staff)
    click_and_load(staff, row.get_by_role("link", name=number))
    expect(staff.get_by_role("heading", name=subject, level=1)).to_be_visible()
    expect(staff.get_by_role("img", name="cup.png")).to_be_visible()
    check(staff)
    staff.get_by_label("Message").fill(f"Sorry about the cup, {run}. Could you tell us which store it was?")
    staff.get_by_role("button", name="Reply", exact=True).click()
    expect(staff.get_by_role("status")).to_contain_text("Your reply is sent to the member.")
    expect(staff.get_by_role("region", name="Status")).to_contain_text("In progress")
    check(staff)
    reply_email = email_with_subject(mailbox, mei.email, re.compile(f"^A reply about {number}: {re.escape(subject)}$"))

    # Mei follows the email's link back to her ticket: the reply and the resolution clock
    back = link_in(reply_email, "/tickets/")
    assert back.endswith(f"/tickets/{number}"), back
    page.goto(back)
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_visible()
    expect(page.get_by_text(f"Sorry about the cup, {run}.")).to_be_visible()
    expect(page.get_by_text(RESOLVE_BY)).to_be_visible()
    check(page)

    # Staff wait on Mei: her page says the clock is paused
    staff.get_by_role("button", name="Waiting on member").click()
    expect(staff.get_by_role("status")).to_contain_text("The ticket is now “Waiting on member”.")
    expect(staff.get_by_role("region", name="Status")).to_contain_text("Paused: waiting on the member")
    check(staff)
    page.reload()
    expect(page.get_by_text(PAUSED, exact=True)).to_be_visible()
    check(page)

    # Mei replies: the ticket is in progress again, the clock running
    page.get_by_label("Your reply").fill(f"It was the Xinyi store, {run}.")
    click_and_load(page, page.get_by_role("button", name="Send reply"))
    expect(page.get_by_text("Your reply is sent.")).to_be_visible()
    expect(page.get_by_text(RESOLVE_BY)).to_be_visible()
    expect(page.get_by_text(PAUSED, exact=True)).to_have_count(0)
    check(page)

    # Staff see her reply and resolve the ticket
    staff.reload()
    expect(staff.get_by_role("region", name="Conversation")).to_contain_text(f"It was the Xinyi store, {run}.")
    expect(staff.get_by_role("region", name="Status")).to_contain_text("In progress")
    staff.get_by_role("button", name="Resolve", exact=True).click()
    expect(staff.get_by_role("status")).to_contain_text("The ticket is now “Resolved”.")
    expect(staff.get_by_role("region", name="Status")).to_contain_text("Resolved on")
    check(staff)

    # The satisfaction invitation reaches the SMTP server; its link opens on a phone, no login
    invitation = email_with_subject(mailbox, mei.email, re.compile(r"^A few questions for you: How did we do\?$"))
    survey = new_context().new_page()  # another browser: no member session
    survey.goto(link_in(invitation, "/s/"))
    expect(survey.get_by_role("heading", name="How did we do?", level=1)).to_be_visible()
    check(survey)
    survey.get_by_role("group", name=re.compile("How satisfied are you with how we handled your ticket")) \
        .get_by_role("radio", name="9", exact=True).check()
    click_and_load(survey, survey.get_by_role("button", name="Send my answers"))
    expect(survey.get_by_role("heading", name="Thank you", exact=True)).to_be_visible()
    check(survey)

    # The staff ticket page shows the score, and so does Mei's
    staff.reload()
    expect(staff.get_by_role("region", name="Status")).to_contain_text("9 out of 10")
    check(staff)
    page.goto(ticket_url)
    expect(page.get_by_text(re.compile(r"^Resolved on "))).to_be_visible()
    expect(page.get_by_text("Your rating of our help: 9. Thank you!")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm resolution")).to_be_visible()
    check(page)
