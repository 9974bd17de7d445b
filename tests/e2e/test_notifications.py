"""Journey: an email to a member also lights the bell; the member reads it and marks it read."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.mail.outbox import queue_email
from portal.members.models import Member
from tests.e2e.conftest import HOME, assert_accessible, assert_no_sideways_scroll, click_and_load, log_in

pytestmark = pytest.mark.e2e


def test_the_bell_shows_an_emailed_message_until_it_is_read(page, live_server, new_member, mailbox):
    tess = new_member(name="Tess Bell")
    with live_server.app.test_request_context():
        member = db.session.scalar(select(Member).where(Member.email == tess.email))
        queue_email("reset_password", member.email, {"name": member.name, "link": "http://127.0.0.1/x",
                                                      "minutes": 60}, member=member, to_name=member.name)
        db.session.commit()
    mailbox.wait_for(tess.email)  # the email went out as well

    log_in(page, tess.email, tess.password)
    page.wait_for_url(HOME)
    bell = page.get_by_role("link", name="Notifications: 1 unread")
    expect(bell).to_be_visible()
    assert_no_sideways_scroll(page)
    click_and_load(page, bell)
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_text("Choose a new password for the Member Portal")).to_be_visible()
    assert_accessible(page)
    click_and_load(page, page.get_by_role("button", name="Mark all as read"))
    expect(page.get_by_text("All notifications are marked as read.")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Mark all as read")).to_have_count(0)
    assert_accessible(page)
