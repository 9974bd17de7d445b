"""Journey: an email to a member also lights the bell; opening the list reads it; its link is a button."""

import pytest
from flask_babel import lazy_gettext as _l
from playwright.sync_api import expect
from sqlalchemy import select

from portal.care.messages import Link, tell_member
from portal.extensions import db
from portal.members.models import Member
from tests.helpers import HOME, assert_accessible, assert_no_sideways_scroll, click_and_load, log_in

pytestmark = pytest.mark.e2e


def test_the_bell_shows_an_emailed_message_until_the_list_is_opened(page, live_server, new_member, mailbox):
    tess = new_member(name="Tess Bell")
    with live_server.app.test_request_context():
        member = db.session.scalar(select(Member).where(Member.email == tess.email))
        tell_member(member, "expiry_notice",
                    {"name": "Tess", "batches": [], "balance": 0}, kind="account",
                    link=Link("members.points", _l("See my points")))
        db.session.commit()
    mailbox.wait_for(tess.email)  # the email went out as well

    log_in(page, tess.email, tess.password)
    page.wait_for_url(HOME)
    bell = page.get_by_role("link", name="Notifications: 1 unread")
    expect(bell).to_be_visible()
    assert_no_sideways_scroll(page)
    click_and_load(page, bell)
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_text("New", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()  # read by opening
    assert_accessible(page)
    click_and_load(page, page.get_by_role("link", name="See my points"))
    expect(page.get_by_role("heading", name="Points", level=1)).to_be_visible()
