"""The survey journey the issue names: operations build a 4-question survey and send it to Gold
members → the invitation reaches the SMTP server → the link from the email opens on a phone without
logging in → the member answers → "Thank you" → the link again says "already answered" → staff see
the response in the results, with the chart and the satisfaction %."""

import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests.factories import make_member
from tests.helpers import (
    SMALL_PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    click_and_load,
    link_in,
    log_in,
    staff_page,
    unique_email,
)

pytestmark = pytest.mark.e2e


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def email_to(mailbox, to, subject, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.to(to):
            if message["Subject"] == subject:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no email “{subject}” to {to}; got {[m['Subject'] for m in mailbox.to(to)]}")


def add_question(page, kind, text, choices=None):
    add = page.get_by_role("form", name="Add a question")
    add.get_by_label("Kind").select_option(label=kind)
    add.get_by_label("Question", exact=True).fill(text)
    if choices:
        add.get_by_label("Choices").fill(choices)
    click_and_load(page, add.get_by_role("button", name="Add the question"))
    expect(page.get_by_text(text, exact=True)).to_be_visible()


def test_operations_build_and_send_a_survey_a_gold_member_answers_and_staff_see_the_result(
        new_context, live_server, mailbox):
    run = uuid.uuid4().hex[:6]
    email = unique_email("gold")
    with live_server.app.app_context():
        make_member(name=f"Gil Gold {run}", email=email, tier="gold")
        db.session.commit()
    title = f"Gold lounge survey {run}"

    staff = staff_page(new_context)
    log_in(staff, "ops@example.com")
    staff.wait_for_url("**/admin/")
    click_and_load(staff, staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Surveys"))
    click_and_load(staff, staff.get_by_role("link", name="New survey"))
    staff.get_by_label("Title", exact=True).fill(title)
    click_and_load(staff, staff.get_by_role("button", name="Save as a draft"))
    add_question(staff, "Rating from 1 to 10", "How satisfied are you with the Gold lounge?")
    add_question(staff, "Recommendation from 0 to 10 (NPS)", "How likely are you to recommend the lounge?")
    add_question(staff, "One choice", "How often do you visit?", "Every week\nEvery month\nRarely")
    add_question(staff, "Free text", "What should we change?")
    check(staff)

    click_and_load(staff, staff.get_by_role("link", name="Send", exact=True))
    staff.get_by_label("Chosen tiers").check()
    staff.get_by_role("checkbox", name=re.compile("^Gold")).check()
    check(staff)
    click_and_load(staff, staff.get_by_role("button", name="Send", exact=True))
    expect(staff.get_by_text("Done: every invitation is made and its email queued.")).to_be_visible(timeout=20000)
    check(staff)

    # The invitation reaches the SMTP server; its link opens on a phone, without logging in
    invitation = email_to(mailbox, email, f"A few questions for you: {title}")
    link = link_in(invitation, "/s/")
    phone = new_context().new_page()  # another browser: no staff session, no member session
    phone.set_viewport_size(SMALL_PHONE)
    phone.goto(link)
    expect(phone.get_by_role("heading", name=title, level=1)).to_be_visible()
    check(phone)
    phone.get_by_role("group", name=re.compile("How satisfied are you with the Gold lounge")) \
        .get_by_role("radio", name="9", exact=True).check()
    phone.get_by_role("group", name=re.compile("How likely are you to recommend the lounge")) \
        .get_by_role("radio", name="10", exact=True).check()
    phone.get_by_role("group", name=re.compile("How often do you visit")) \
        .get_by_role("radio", name="Every week").check()
    phone.get_by_role("textbox", name="What should we change?").fill("More tea, please.")
    click_and_load(phone, phone.get_by_role("button", name="Send my answers"))
    expect(phone.get_by_role("heading", name="Thank you", exact=True)).to_be_visible()
    check(phone)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Thank you — already answered")).to_be_visible()
    check(phone)

    # Staff see the response in the results: the chart and the satisfaction %
    click_and_load(staff, staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Surveys"))
    click_and_load(staff, staff.get_by_role("link", name=title))
    click_and_load(staff, staff.get_by_role("link", name="Results", exact=True))
    expect(staff.get_by_text("Target 90%: met").first).to_be_visible()
    expect(staff.get_by_role("img").first).to_be_visible()
    expect(staff.get_by_text("More tea, please.")).to_be_visible()
    check(staff)
