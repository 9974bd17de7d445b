"""Journeys on a phone: a member finds an event, registers, gets the confirmation email with its
calendar file, cancels, and the first on the waitlist is promoted and told; a Regular member sees
why a Gold-only event has no Register button; the same register / cancel without JavaScript; a
member on a full event joins the waitlist and sees how many are ahead.

Every journey makes its own members and events (the demo accounts are shared and only read).
"""

import re
import time
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.events import services
from portal.events.models import Registration
from portal.extensions import db
from portal.members.models import Member
from tests.helpers import (
    HOME,
    add_event,
    assert_accessible,
    assert_no_sideways_scroll,
    click_and_load,
    log_in,
    member_nav_link,
    staff_page,
)

pytestmark = pytest.mark.e2e


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def register_by_service(live_server, email, event_id):
    """`email`'s member registers for the event (as if on another phone); returns the status."""
    with live_server.app.test_request_context():
        member = db.session.scalar(select(Member).where(Member.email == email))
        registration = services.register(member, services.lock_event(event_id))
        db.session.commit()
        return registration.status


def status_of(live_server, email, event_id):
    with live_server.app.app_context():
        return db.session.scalar(select(Registration.status).join(Member).where(
            Member.email == email, Registration.event_id == event_id))


def email_with_subject(mailbox, to, subject, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.to(to):
            if message["Subject"] == subject:
                return message
        time.sleep(0.05)
    raise AssertionError(f"no email “{subject}” to {to}; got {[m['Subject'] for m in mailbox.to(to)]}")


def unique(title):
    return f"{title} {uuid.uuid4().hex[:6]}"


def test_mei_registers_gets_the_calendar_file_cancels_and_the_waitlist_moves_up(page, new_context, live_server,
                                                                                mailbox, new_member):
    mei = new_member(name="Mei Wong")
    wai = new_member(name="Wai Ting")
    title = unique("Tea ceremony")
    event_id = add_event(live_server.app, title, capacity=1, venue="Tea House", address="1 Leaf Road",
                         description="Learn to brew.\nBring a friend.", starts_in=timedelta(days=6))
    log_in(page, mei.email, mei.password)
    page.wait_for_url(HOME)

    # She finds it: Events in the navigation, the offline ones
    click_and_load(page, member_nav_link(page, "Events"))
    expect(page.get_by_role("heading", name="Events", level=1)).to_be_visible()
    check(page)
    filters = page.get_by_role("navigation", name="Show events")
    filters.get_by_role("link", name="Offline").click()
    expect(filters.get_by_role("link", name="Offline")).to_have_attribute("aria-current", "page")
    expect(page).to_have_url(re.compile(r"/events\?show=offline$"))
    card = page.get_by_role("article", name=title)
    expect(card.get_by_text("Tea House")).to_be_visible()
    expect(card.get_by_text("1 place left")).to_be_visible()
    check(page)

    # The event's page: Register swaps the status part (htmx)
    click_and_load(page, card.get_by_role("link", name=title))
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.get_by_text("Bring a friend.")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Register", exact=True).click()
    status = page.get_by_role("region", name="Your registration")
    expect(status.get_by_text("You are registered. We emailed you the details.")).to_be_visible()
    expect(status.get_by_text("You are registered", exact=True)).to_be_visible()
    calendar_link = status.get_by_role("link", name="Add to calendar")
    expect(calendar_link).to_be_visible()
    expect(status.get_by_role("img", name=f"Check-in code for {title}")).to_be_visible()
    assert status_of(live_server, mei.email, event_id) == "confirmed"
    check(page)
    calendar = page.request.get(calendar_link.get_attribute("href"))
    assert calendar.status == 200 and calendar.headers["content-type"].startswith("text/calendar")
    assert f"SUMMARY:{title}" in calendar.text()

    # The confirmation email, with the calendar file, reaches the mail server
    message = email_with_subject(mailbox, mei.email, f"You are registered: {title}")
    [attachment] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert f"SUMMARY:{title}" in attachment.get_payload(decode=True).decode()
    assert attachment.get_filename() == f"event-{event_id}.ics"

    # Wai, on another phone, joins the waitlist of the now full event
    assert register_by_service(live_server, wai.email, event_id) == "waitlisted"
    page.reload()
    expect(page.get_by_text("Full: you can join the waitlist")).to_be_visible()

    # Mei cancels before the cut-off: Wai, first in the queue, has the place and is told
    expect(status.get_by_text(re.compile(r"^You can cancel until "))).to_be_visible()
    status.get_by_role("button", name="Cancel registration").click()
    expect(status.get_by_text("Your registration is cancelled.")).to_be_visible()
    expect(status.get_by_role("button", name="Register", exact=True)).to_be_visible()
    expect(status.get_by_role("link", name="Add to calendar")).to_have_count(0)
    check(page)
    assert status_of(live_server, mei.email, event_id) == "cancelled"
    assert status_of(live_server, wai.email, event_id) == "confirmed"
    email_with_subject(mailbox, mei.email, f"Registration cancelled: {title}")
    promoted = email_with_subject(mailbox, wai.email, f"A place opened for you: {title}")
    assert any(part.get_content_type() == "text/calendar" for part in promoted.iter_attachments())

    # Wai sees it in the portal too: the notification, and the event says he is registered
    other = new_context().new_page()
    log_in(other, wai.email, wai.password)
    other.wait_for_url(HOME)
    click_and_load(other, other.get_by_role("link", name=re.compile(r"^Notifications: \d+ unread$")))
    expect(other.get_by_text(f"A place opened for you: {title}")).to_be_visible()
    assert_accessible(other)
    click_and_load(other, other.get_by_role("link", name="Open the event").first)
    expect(other.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(other.get_by_text("You are registered", exact=True)).to_be_visible()
    check(other)

    # "My events": hers is gone, his is there
    click_and_load(page, page.get_by_role("link", name="My events"))
    expect(page.get_by_role("heading", name="My events", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(re.escape(title)))).to_have_count(0)
    check(page)
    other.goto("/events/mine")
    expect(other.get_by_role("link", name=re.compile(re.escape(title)))).to_be_visible()
    check(other)


def test_a_regular_member_sees_why_a_gold_only_event_has_no_register_button(page, live_server, new_member):
    ren = new_member(name="Ren Regular")
    title = unique("Gold gala")
    add_event(live_server.app, title, min_tier="gold")
    log_in(page, ren.email, ren.password)
    page.wait_for_url(HOME)
    page.goto("/events")
    card = page.get_by_role("article", name=title)
    expect(card.get_by_text("For Gold members and above")).to_be_visible()
    check(page)
    page.get_by_role("navigation", name="Show events").get_by_role("link", name="Open to my tier").click()
    expect(page.get_by_role("article", name=title)).to_have_count(0)
    check(page)

    page.go_back()
    click_and_load(page, page.get_by_role("article", name=title).get_by_role("link", name=title))
    expect(page.get_by_text("Only for Gold members and above. Your tier: Regular.")).to_be_visible()
    expect(page.get_by_role("button", name="Register")).to_have_count(0)
    check(page)


def test_registering_and_cancelling_work_without_javascript(no_js_page, live_server, mailbox, new_member):
    page = no_js_page
    nora = new_member(name="Nora Noscript")
    title = unique("Night walk")
    event_id = add_event(live_server.app, title, online=True, online_url="https://meet.example.com/night-walk")
    log_in(page, nora.email, nora.password)
    page.wait_for_url(HOME)
    page.goto("/events")
    filters = page.get_by_role("navigation", name="Show events")
    click_and_load(page, filters.get_by_role("link", name="Online"))
    expect(page).to_have_url(re.compile(r"/events\?show=online$"))
    expect(filters.get_by_role("link", name="Online")).to_have_attribute("aria-current", "page")
    card = page.get_by_role("article", name=title)
    expect(card.get_by_text("Online", exact=True)).to_be_visible()
    check(page)

    click_and_load(page, card.get_by_role("link", name=title))
    expect(page.get_by_role("link", name="https://meet.example.com/night-walk")).to_have_count(0)
    click_and_load(page, page.get_by_role("button", name="Register", exact=True))
    expect(page).to_have_url(re.compile(rf"/events/{event_id}$"))
    expect(page.get_by_text(f"You are registered for “{title}”. We emailed you the details.")).to_be_visible()
    expect(page.get_by_role("link", name="Add to calendar")).to_be_visible()
    expect(page.get_by_role("link", name="https://meet.example.com/night-walk")).to_be_visible()
    check(page)
    email_with_subject(mailbox, nora.email, f"You are registered: {title}")

    click_and_load(page, page.get_by_role("button", name="Cancel registration"))
    expect(page.get_by_text(f"Your registration for “{title}” is cancelled.")).to_be_visible()
    expect(page.get_by_role("button", name="Register", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="https://meet.example.com/night-walk")).to_have_count(0)
    check(page)
    assert status_of(live_server, nora.email, event_id) == "cancelled"


def test_on_a_full_event_members_join_the_waitlist_and_see_how_many_are_ahead(page, new_context, live_server,
                                                                             new_member):
    holder, first, second = new_member(name="Hal Holder"), new_member(name="Fay First"), new_member(name="Sam Second")
    title = unique("Cooking class")
    event_id = add_event(live_server.app, title, capacity=1)
    assert register_by_service(live_server, holder.email, event_id) == "confirmed"
    assert register_by_service(live_server, first.email, event_id) == "waitlisted"

    log_in(page, second.email, second.password)
    page.wait_for_url(HOME)
    page.goto(f"/events/{event_id}")
    expect(page.get_by_text("No places are left: registering puts you on the waitlist.")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Register", exact=True).click()
    status = page.get_by_role("region", name="Your registration")
    expect(status.get_by_text("You are on the waitlist", exact=True)).to_be_visible()
    expect(status.get_by_text("1 ahead of you")).to_be_visible()
    expect(status.get_by_role("link", name="Add to calendar")).to_have_count(0)
    check(page)

    fay = new_context().new_page()
    log_in(fay, first.email, first.password)
    fay.wait_for_url(HOME)
    fay.goto(f"/events/{event_id}")
    expect(fay.get_by_text("You are next in line")).to_be_visible()
    check(fay)
    page.goto("/events")
    expect(page.get_by_role("article", name=title).get_by_text("You are on the waitlist")).to_be_visible()


def test_staff_raise_the_capacity_of_a_full_event_and_the_waitlisted_member_is_confirmed(page, new_context,
                                                                                        live_server, new_member,
                                                                                        mailbox):
    holder, wai = new_member(name="Hal Holder"), new_member(name="Wai Waiting")
    title = unique("Dumpling class")
    event_id = add_event(live_server.app, title, capacity=1)
    assert register_by_service(live_server, holder.email, event_id) == "confirmed"

    # Wai, on her phone, finds the event full and joins the waitlist
    log_in(page, wai.email, wai.password)
    page.wait_for_url(HOME)
    page.goto(f"/events/{event_id}")
    page.get_by_role("button", name="Register", exact=True).click()
    status = page.get_by_role("region", name="Your registration")
    expect(status.get_by_text("You are on the waitlist", exact=True)).to_be_visible()
    expect(status.get_by_text("You are next in line")).to_be_visible()
    check(page)

    # Expansion staff raise the capacity on the event's registrations page
    desk = staff_page(new_context)
    log_in(desk, "expansion@example.com")
    desk.wait_for_url("**/admin/")
    desk.goto(f"/admin/events/{event_id}/registrations")
    waitlist = desk.get_by_role("region", name=re.compile(r"^Waitlist"))
    expect(waitlist.get_by_text(wai.name)).to_be_visible()
    check(desk)
    desk.get_by_role("spinbutton", name="Capacity").fill("2")
    click_and_load(desk, desk.get_by_role("button", name="Save capacity"))
    registered = desk.get_by_role("region", name=re.compile(r"^Registered"))
    expect(registered.get_by_text(wai.name)).to_be_visible()
    check(desk)

    # Wai is confirmed, told by email and in the portal
    assert status_of(live_server, wai.email, event_id) == "confirmed"
    promoted = email_with_subject(mailbox, wai.email, f"A place opened for you: {title}")
    assert any(part.get_content_type() == "text/calendar" for part in promoted.iter_attachments())
    page.goto(f"/events/{event_id}")
    status = page.get_by_role("region", name="Your registration")
    expect(status.get_by_text("You are registered", exact=True)).to_be_visible()
    expect(status.get_by_role("link", name="Add to calendar")).to_be_visible()
    check(page)
