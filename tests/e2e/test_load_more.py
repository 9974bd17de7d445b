"""Journeys on a phone: the events list and "My tickets" show 20 at a time; "Load more" appends the
rest in place (htmx, no reload), in the same order, none twice; without JavaScript the same link
opens the next 20 with a way back to the start.

The live server is shared: the events made here start a year or more ahead (after every other
journey's), several at the same moment, and the order expected is read from the database at the
time. The tickets belong to a member made here.
"""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.events.models import Event
from portal.extensions import db
from portal.members.models import Member
from portal.models import utcnow
from tests.factories import make_event, make_ticket
from tests.helpers import HOME, assert_accessible, assert_no_sideways_scroll, click_and_load, log_in, member_nav_link

pytestmark = pytest.mark.e2e

EXTRA_EVENTS = 45
TICKETS = 26


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


@pytest.fixture(scope="module")
def far_events(live_server):
    """45 published events a year ahead: ten at one moment (across the first page's end: the demo has
    a few events before them), the rest a day apart."""
    run = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        start = utcnow().replace(microsecond=0) + timedelta(days=400)
        for n in range(EXTRA_EVENTS):
            at = start if 10 <= n < 20 else start + timedelta(days=n - 20 if n < 10 else n)
            make_event(f"Far {run} {n:02d}", starts_at=at, online=n % 3 == 0)
        db.session.commit()
    return run


def upcoming_titles(live_server):
    """The titles the events list shows, in its order, as the database says now."""
    with live_server.app.app_context():
        return db.session.scalars(select(Event.title).where(Event.status == "published", Event.ends_at > utcnow())
                                  .order_by(Event.starts_at, Event.id)).all()


def event_cards(page):
    return page.get_by_role("list", name="Upcoming events").get_by_role("listitem")


def shown_titles(page):
    return [title.strip() for title in event_cards(page).get_by_role("heading", level=2).all_inner_texts()]


def test_a_member_loads_more_events_in_place_on_a_phone(page, live_server, new_member, far_events):
    tess = new_member(name="Tess Events")
    log_in(page, tess.email, tess.password)
    page.wait_for_url(HOME)
    click_and_load(page, member_nav_link(page, "Events"))
    expected = upcoming_titles(live_server)
    assert len(expected) > 40  # at least two taps of "Load more"
    expect(event_cards(page)).to_have_count(20)
    assert shown_titles(page) == expected[:20]
    check(page)

    page.evaluate("() => { window.__marker = 1 }")
    url = page.url
    shown = 20
    while shown < len(expected):
        page.get_by_role("link", name="Load more").click()
        shown = min(shown + 20, len(expected))
        expect(event_cards(page)).to_have_count(shown)
    assert page.evaluate("() => window.__marker") == 1, "the page was reloaded"
    assert page.url == url
    assert shown_titles(page) == expected  # the same order, none twice, none left out
    assert [title for title in expected if title.startswith(f"Far {far_events} ")][-1] == shown_titles(page)[-1]
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)  # nothing more
    check(page)


def test_the_events_load_more_works_without_javascript(no_js_page, live_server, new_member, far_events):
    page = no_js_page
    tess = new_member(name="Tess Plain")
    log_in(page, tess.email, tess.password)
    page.wait_for_url(HOME)
    page.goto("/events")
    expected = upcoming_titles(live_server)
    expect(event_cards(page)).to_have_count(20)

    click_and_load(page, page.get_by_role("link", name="Load more"))  # a plain link: the next 20
    assert "after=" in page.url
    expect(event_cards(page)).to_have_count(min(20, len(expected) - 20))
    assert shown_titles(page) == expected[20:40]
    assert_accessible(page)
    click_and_load(page, page.get_by_role("link", name="Back to the soonest"))
    assert page.url.endswith("/events")
    assert shown_titles(page) == expected[:20]


def member_with_tickets(live_server, new_member, name):
    """A member with 26 tickets, filed a minute apart (the oldest first); their subjects, newest first."""
    member = new_member(name=name)
    now = utcnow()
    with live_server.app.test_request_context():
        mine = db.session.scalar(select(Member).where(Member.email == member.email))
        for n in range(TICKETS):
            make_ticket(mine, kind="feedback", subject=f"Feedback number {n:02d}",
                        now=now - timedelta(minutes=TICKETS - n))
        db.session.commit()
    return member, [f"Feedback number {n:02d}" for n in reversed(range(TICKETS))]


def ticket_rows(page):
    return page.get_by_role("list", name="My tickets").get_by_role("listitem")


def shown_subjects(page):
    return [subject.strip() for subject in ticket_rows(page).locator("strong").all_inner_texts()]


def test_a_member_loads_more_of_her_tickets_in_place_on_a_phone(page, live_server, new_member):
    ivy, subjects = member_with_tickets(live_server, new_member, "Ivy Tickets")
    log_in(page, ivy.email, ivy.password)
    page.wait_for_url(HOME)
    click_and_load(page, member_nav_link(page, "My tickets"))  # in "More" on a phone
    expect(ticket_rows(page)).to_have_count(20)
    assert shown_subjects(page) == subjects[:20]
    check(page)

    page.evaluate("() => { window.__marker = 1 }")
    url = page.url
    page.get_by_role("link", name="Load more").click()
    expect(ticket_rows(page)).to_have_count(TICKETS)
    assert page.evaluate("() => window.__marker") == 1, "the page was reloaded"
    assert page.url == url
    assert shown_subjects(page) == subjects
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)
    check(page)


def test_my_tickets_load_more_works_without_javascript(no_js_page, live_server, new_member):
    page = no_js_page
    ivy, subjects = member_with_tickets(live_server, new_member, "Ivy Plain")
    log_in(page, ivy.email, ivy.password)
    page.wait_for_url(HOME)
    page.goto("/tickets")
    expect(ticket_rows(page)).to_have_count(20)

    click_and_load(page, page.get_by_role("link", name="Load more"))
    assert "after=" in page.url
    expect(ticket_rows(page)).to_have_count(TICKETS - 20)
    assert shown_subjects(page) == subjects[20:]
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)
    assert_accessible(page)
    click_and_load(page, page.get_by_role("link", name="Back to the newest"))
    assert page.url.endswith("/tickets")
    assert shown_subjects(page) == subjects[:20]
