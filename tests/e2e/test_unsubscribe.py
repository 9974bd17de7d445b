"""Journey: one-click unsubscribe from a survey email's List-Unsubscribe header (RFC 8058) turns survey
emails off without a login; the member sees it on their profile; the next send leaves them out; the
email's visible link opens the confirmation page, whose Undo turns them back on."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.members.models import Member
from portal.surveys import services as surveys
from portal.surveys.models import Question, Survey
from tests.helpers import HOME, assert_accessible, assert_no_sideways_scroll, click_and_load, link_in, log_in

pytestmark = pytest.mark.e2e


def invite_to_a_new_survey(live_server, email, title):
    """Invite the member with `email` to a new one-question survey, through the service every sender
    uses; returns the invitation's id, or None when the member was left out."""
    with live_server.app.test_request_context():
        member = db.session.scalar(select(Member).where(Member.email == email))
        survey = Survey(title=title)
        survey.questions = [Question(kind="rating", text="How satisfied are you?", position=1)]
        db.session.add(survey)
        db.session.flush()
        invitation = surveys.invite(member, survey)
        db.session.commit()
        return invitation.id if invitation is not None else None


def test_one_click_unsubscribe_from_the_header_turns_survey_emails_off(page, live_server, new_member, mailbox):
    tess = new_member(name="Tess Unsub")
    assert invite_to_a_new_survey(live_server, tess.email, "Tea tasting survey") is not None
    [invitation] = mailbox.wait_for(tess.email)
    assert invitation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(invitation["List-Unsubscribe"])
    assert header.startswith("<") and header.endswith(">")
    one_click = header[1:-1]
    assert one_click.startswith(live_server.url + "/unsubscribe/")

    # What a mailbox provider does: a POST with no cookies and no CSRF token.
    answer = page.request.post(one_click, data="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 200 and "You will no longer receive survey emails." in answer.text()

    # The next send leaves Tess out: no invitation, no email.
    assert invite_to_a_new_survey(live_server, tess.email, "Next survey") is None

    log_in(page, tess.email, tess.password)
    page.wait_for_url(HOME)
    page.goto("/profile")
    expect(page.get_by_role("heading", name="Profile", level=1)).to_be_visible()
    expect(page.get_by_label("Satisfaction surveys by email")).not_to_be_checked()
    expect(page.get_by_label("News and offers by email")).to_be_checked()
    expect(page.get_by_label("Event reminders by email")).to_be_checked()
    assert_accessible(page)

    # The visible link in the email's footer opens the confirmation page (already unsubscribed).
    visible = link_in(invitation, "/unsubscribe/")
    assert visible == one_click
    page.goto(visible)
    expect(page.get_by_role("heading", name="Unsubscribed", level=1)).to_be_visible()
    expect(page.get_by_text("You will no longer receive survey emails.")).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    click_and_load(page, page.get_by_role("button", name="Undo"))
    expect(page.get_by_role("heading", name="Subscribed again", level=1)).to_be_visible()
    expect(page.get_by_text("Survey emails are on again.")).to_be_visible()
    assert_accessible(page)
    click_and_load(page, page.get_by_role("link", name="Open my profile"))
    expect(page.get_by_label("Satisfaction surveys by email")).to_be_checked()
    assert len(mailbox.to(tess.email)) == 1  # the survey Tess was left out of sent nothing


def test_a_tampered_unsubscribe_link_shows_the_clear_page(page, live_server):
    response = page.goto("/unsubscribe/WzEsInN1cnZleSJd.tampered")
    assert response.status == 404
    expect(page.get_by_role("heading", name="This unsubscribe link does not work", level=1)).to_be_visible()
    assert_accessible(page)
