"""Journeys on a phone, WITHOUT logging in: a new member opens the link of a 4-question survey,
answers (after a first try with nothing filled in), sees "Thank you", and the link again says
"already answered"; an expired link and a tampered one show the one clear page (404).

The survey is built with the models directly (the builder's pages are tested on their own).
"""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.members.models import Member
from portal.models import utcnow
from portal.surveys import services
from portal.surveys.models import Invitation, Response
from tests.factories import make_member
from tests.helpers import (
    SMALL_PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    click_and_load,
    log_in,
    member_nav_link,
    survey_build,
    tampered,
    unique_email,
)

pytestmark = pytest.mark.e2e

INVALID = "This survey link is not valid or has expired"


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def invite_new_member(live_server, expired=False, language="en"):
    """A new member invited to a new 4-question survey worth 40 points; (link path, invitation id, email)."""
    with live_server.app.app_context():
        member = make_member(name="Lin Survey", email=unique_email("survey"), language=language)
        survey = survey_build(title=f"Visit survey {member.id}", points=40,
                              introduction="Thank you for visiting.\nFour quick questions.",
                              kinds=("rating", "nps", "single_choice", "text"))
        invitation = services.invite(member, survey, email=False)
        if expired:
            invitation.expires_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        return f"/s/{services.invitation_token(invitation)}", invitation.id, member.email


def question(page, text):
    return page.get_by_role("group", name=re.compile(re.escape(text)))


def test_a_member_answers_a_survey_from_the_link_without_logging_in(page, live_server):
    link, invitation_id, email = invite_new_member(live_server)
    response = page.goto(link)
    assert response.status == 200 and response.headers["referrer-policy"] == "no-referrer"
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Visit survey \d+$"))
    expect(page.get_by_text("You earn 40 points for answering.")).to_be_visible()
    expect(page.get_by_text("Question 1 of 4")).to_be_visible()
    expect(page.get_by_text("0 of 4 questions answered")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)  # never asked to log in
    check(page)
    page.set_viewport_size(SMALL_PHONE)
    assert_no_sideways_scroll(page)

    # Sending nothing: each required question says so, next to it, under a summary
    answer = click_and_load(page, page.get_by_role("button", name="Send my answers"))
    assert answer.status == 422
    expect(page.get_by_role("alert")).to_contain_text("Please check your answers")
    rating = question(page, "How satisfied are you with the programme?")
    expect(rating.get_by_text("Please answer this question.")).to_be_visible()
    expect(question(page, "Where do you usually shop with us?").get_by_text("Please answer this question.")) \
        .to_be_visible()
    check(page)

    # Answering, the progress follows
    rating.get_by_role("radio", name="9", exact=True).check()
    expect(page.get_by_text("1 of 4 questions answered")).to_be_visible()
    question(page, "How likely are you to recommend us").get_by_role("radio", name="10", exact=True).check()
    question(page, "Where do you usually shop with us?").get_by_role("radio", name="Online").check()
    comment = page.get_by_role("textbox", name="Anything else you would like to tell us?")
    comment.fill("Lovely staff.")
    expect(page.get_by_text("13 of 5,000 characters")).to_be_visible()
    expect(page.get_by_text("4 of 4 questions answered")).to_be_visible()
    check(page)

    click_and_load(page, page.get_by_role("button", name="Send my answers"))
    expect(page.get_by_role("heading", name="Thank you", exact=True)).to_be_visible()
    expect(page.get_by_text("40 points were added to your balance.")).to_be_visible()
    check(page)

    with live_server.app.app_context():
        saved = db.session.scalar(select(Response).where(Response.invitation_id == invitation_id))
        assert saved is not None and len(saved.answers) == 4
        assert db.session.get(Invitation, invitation_id).opened_at is not None
        assert db.session.scalar(select(Member.points_balance).where(Member.email == email)) == 40

    response = page.goto(link)
    assert response.status == 200
    expect(page.get_by_role("heading", name="Thank you — already answered")).to_be_visible()
    check(page)


def test_the_page_speaks_the_members_language(page, live_server):
    link, _invitation_id, _email = invite_new_member(live_server, language="zh_Hant")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="送出我的回答")).to_be_visible()
    expect(question(page, "您對會員計畫滿意嗎？").get_by_text("10＝非常滿意")).to_be_visible()
    check(page)


def test_an_expired_link_and_a_tampered_link_show_the_clear_page(page, live_server):
    expired, _, _ = invite_new_member(live_server, expired=True)
    good, _, _ = invite_new_member(live_server)
    forged = tampered(good)
    for link in (expired, forged):
        response = page.goto(link)
        assert response.status == 404, link
        expect(page.get_by_role("heading", name=INVALID)).to_be_visible()
        expect(page.get_by_role("link", name="Log in to see your surveys")).to_be_visible()
        check(page)


def test_a_logged_in_member_finds_the_survey_under_more_answers_it_and_sees_it_on_the_home_page(page, live_server):
    link, _invitation_id, email = invite_new_member(live_server)
    log_in(page, email)  # made with the factories' password, the demo one
    click_and_load(page, member_nav_link(page, "Surveys"))
    expect(page.get_by_role("heading", name="Surveys", level=1)).to_be_visible()
    title = page.get_by_role("heading", level=2).first.inner_text()
    assert title.startswith("Visit survey")
    check(page)

    page.get_by_role("link", name="Answer the survey").click()  # a boosted link: the page's script still runs
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    question(page, "How satisfied are you").get_by_role("radio", name="8", exact=True).check()
    expect(page.get_by_text("1 of 4 questions answered")).to_be_visible()
    question(page, "How likely are you to recommend us").get_by_role("radio", name="7", exact=True).check()
    question(page, "Where do you usually shop with us?").get_by_role("radio", name="Both").check()
    click_and_load(page, page.get_by_role("button", name="Send my answers"))
    expect(page.get_by_role("heading", name="Thank you", exact=True)).to_be_visible()

    page.goto("/")
    activity = page.get_by_role("list", name="Recent activity")
    expect(activity.get_by_role("listitem").filter(has_text="Answered a survey").filter(has_text=title)) \
        .to_have_count(1)
    expect(activity.get_by_role("listitem").filter(has_text="+40")).to_contain_text(title)
    page.goto("/surveys")
    expect(page.get_by_text("No surveys are waiting for you.")).to_be_visible()
    check(page)


def test_the_link_works_without_javascript(no_js_page, live_server):
    page = no_js_page
    link, invitation_id, _email = invite_new_member(live_server)
    page.goto(link)
    expect(page.get_by_text("0 of 4 questions answered")).to_be_visible()  # as the server counted them
    question(page, "How satisfied are you").get_by_role("radio", name="10", exact=True).check()
    question(page, "Where do you usually shop with us?").get_by_role("radio", name="In a store").check()
    answer = click_and_load(page, page.get_by_role("button", name="Send my answers"))
    assert answer.status == 422  # the recommendation is missing; what was chosen stays chosen
    expect(page.get_by_text("2 of 4 questions answered")).to_be_visible()
    expect(question(page, "How satisfied are you").get_by_role("radio", name="10", exact=True)).to_be_checked()
    check(page)
    question(page, "How likely are you to recommend us").get_by_role("radio", name="0", exact=True).check()
    click_and_load(page, page.get_by_role("button", name="Send my answers"))
    expect(page.get_by_role("heading", name="Thank you", exact=True)).to_be_visible()
    check(page)
    with live_server.app.app_context():
        saved = db.session.scalar(select(Response).where(Response.invitation_id == invitation_id))
        assert sorted(answer.number for answer in saved.answers if answer.number is not None) == [0, 10]
