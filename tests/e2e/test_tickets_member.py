"""Journeys on a phone: Mei files a complaint with a photo, gets the confirmation email, finds it
in "My tickets" and on its page sees when we will reply; another member opening her ticket's URL or
its picture's URL gets 404. The same filing and a reply without JavaScript.

Every journey makes its own members (the demo accounts are shared and only read).
"""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.helpers import (
    HOME,
    assert_accessible,
    assert_no_sideways_scroll,
    click_and_load,
    log_in,
    member_nav_link,
    png,
)

pytestmark = pytest.mark.e2e

NUMBER = re.compile(r"T-\d{4}-\d{6}")


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def email_with_subject(mailbox, to, subject, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.to(to):
            if subject.search(message["Subject"]):
                return message
        time.sleep(0.05)
    raise AssertionError(f"no email “{subject.pattern}” to {to}; got {[m['Subject'] for m in mailbox.to(to)]}")


def file_complaint(page, subject, photo=True):
    """On the New ticket page: a complaint with a photo; returns the ticket's number."""
    page.get_by_label("What is it about?").select_option(label="Complaint")
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message").fill("The cup I got with my voucher was chipped.\nPhoto attached.")
    if photo:
        page.get_by_label("Pictures (optional, up to 3)").set_input_files(
            files=[{"name": "cup.png", "mimeType": "image/png", "buffer": png(40, 30)}])
    click_and_load(page, page.get_by_role("button", name="Send", exact=True))
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_visible()
    return NUMBER.search(page.url).group(0)


def test_mei_files_a_complaint_with_a_photo_and_another_member_cannot_open_it(page, new_context, live_server,
                                                                           mailbox, new_member):
    mei = new_member(name="Mei Chen")
    ann = new_member(name="Ann Other")
    log_in(page, mei.email, mei.password)
    page.wait_for_url(HOME)

    # My tickets, from the navigation (in "More" on a phone), then New ticket
    click_and_load(page, member_nav_link(page, "My tickets"))
    expect(page.get_by_role("heading", name="My tickets", level=1)).to_be_visible()
    expect(page.get_by_text("You have not sent us anything yet.")).to_be_visible()
    check(page)
    click_and_load(page, page.get_by_role("link", name="New ticket"))
    expect(page.get_by_role("heading", name="New ticket", level=1)).to_be_visible()
    check(page)

    # No message: the form again, with the reason, nothing filed
    page.get_by_label("Subject").fill("Forgot the message")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Write a message of 1 to 10,000 characters.")).to_be_visible()
    check(page)

    number = file_complaint(page, "Chipped cup")
    expect(page.get_by_text(f"Thank you: your ticket {number} is filed.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^We will reply by \w{3} \d\d:\d\d"))).to_be_visible()
    expect(page.get_by_text("Photo attached.")).to_be_visible()
    photo = page.get_by_role("link", name="cup.png")
    expect(photo).to_be_visible()
    check(page)
    photo_url = photo.get_attribute("href")
    response = page.request.get(photo_url)
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    assert response.body() == png(40, 30)
    assert "no-store" in response.headers["cache-control"]

    # The confirmation email reaches the mail server
    email_with_subject(mailbox, mei.email, re.compile(re.escape(number)))

    # She finds it in My tickets
    click_and_load(page, page.get_by_role("link", name="My tickets").first)
    row = page.get_by_role("link", name=re.compile("Chipped cup"))
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("Complaint")
    expect(row).to_contain_text("Received")
    check(page)

    # Ann, on her phone, guesses the URLs: 404 and nothing of Mei's
    other = new_context().new_page()
    log_in(other, ann.email, ann.password)
    other.wait_for_url(HOME)
    for url in (f"/tickets/{number}", photo_url):
        response = other.goto(url)
        assert response.status == 404, url
        expect(other.get_by_text("Chipped cup")).to_have_count(0)
    check(other)


def test_filing_and_replying_work_without_javascript(no_js_page, new_member):
    page = no_js_page
    mei = new_member(name="Mei NoScript")
    log_in(page, mei.email, mei.password)
    page.wait_for_url(HOME)
    page.goto("/tickets/new")
    number = file_complaint(page, "No script cup")
    expect(page.get_by_text(f"Thank you: your ticket {number} is filed.")).to_be_visible()
    check(page)
    page.get_by_label("Your reply").fill("One more detail: see https://example.com/receipt")
    click_and_load(page, page.get_by_role("button", name="Send reply"))
    expect(page.get_by_text("Your reply is sent.")).to_be_visible()
    link = page.get_by_role("link", name="https://example.com/receipt")
    expect(link).to_have_attribute("rel", "noopener nofollow ugc")
    check(page)
