"""Events, the member's side: the list with its filters, an event's page in each state, registering
and cancelling with and without htmx (and every refusal: a clear message, a 4xx, nothing changed),
the calendar file, "My events", and a fixed number of queries whatever the number of events and
registrations."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from portal.events import services
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members.models import Member, Tier
from portal.models import utcnow
from tests.factories import make_event, make_member, make_staff
from tests.helpers import counting_queries, csrf_token, html, login, post_form

HTMX = {"HX-Request": "true"}


def cards(page):
    """{event title: the HTML of its card} on /events."""
    found = re.findall(r'<article class="event-card[^"]*".*?</article>', page, re.S)
    return {re.search(r'<h2 [^>]*><a [^>]*>([^<]+)</a>', card).group(1): card for card in found}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def registration(member, event):
    return db.session.scalar(select(Registration).where(Registration.member_id == member.id,
                                                        Registration.event_id == event.id))


def register(client, event, **kwargs):
    return post_form(client, f"/events/{event.id}/register", {}, page="/events", **kwargs)


def cancel(client, event, **kwargs):
    return post_form(client, f"/events/{event.id}/cancel", {}, page="/events", **kwargs)


def status_part(page):
    return page.split('id="event-status"')[1].split("</section>")[0]


@pytest.fixture
def mei(app):
    member = make_member(name="Mei Lin", email="mei.events@example.com", tier="silver")
    db.session.commit()
    return member


# ---- the list ---------------------------------------------------------------------------------

def test_the_list_shows_upcoming_published_events_with_places_and_the_members_status(client, mei):
    other = make_member(name="Other")
    tea = make_event("Tea tasting", capacity=12, venue="Tea House")
    make_event("Saving webinar", online=True, starts_in=timedelta(days=2), picture="abc.png")
    full = make_event("Cooking class", capacity=1, starts_in=timedelta(days=3))
    make_event("Gala dinner", min_tier="gold", starts_in=timedelta(days=4))
    make_event("Secret draft", status="draft")
    make_event("Called off", status="cancelled")
    make_event("Last month", starts_in=timedelta(days=-30))
    for event, member in ((tea, mei), (full, other), (full, mei)):
        services.register(member, event)
    db.session.commit()
    login(client, mei.email)

    page = html(client.get("/events"))

    shown = cards(page)
    assert list(shown) == ["Saving webinar", "Cooking class", "Gala dinner", "Tea tasting"]  # soonest first
    assert "Tea House" in shown["Tea tasting"] and "11 places left" in shown["Tea tasting"]
    assert "You are registered" in shown["Tea tasting"]
    assert "Online" in shown["Saving webinar"] and "10 places left" in shown["Saving webinar"]
    assert 'src="/pictures/abc.png"' in shown["Saving webinar"]
    assert "https://meet.example.com" not in page  # the link is for confirmed members, on the event page
    assert "You are on the waitlist" in shown["Cooking class"] and "Full" in shown["Cooking class"]
    assert "For Gold members and above" in shown["Gala dinner"]
    assert re.search(r"\w{3} \d{1,2} \w{3} \d{4} \d\d:\d\d ?– ?", shown["Tea tasting"])  # event_time
    assert 'href="/events/mine"' in page


def test_the_filters_are_links_that_swap_the_list_with_htmx(client, mei):
    make_event("Tea tasting")
    make_event("Saving webinar", online=True)
    make_event("Gala dinner", min_tier="gold")
    make_event("Silver brunch", min_tier="silver")
    db.session.commit()
    login(client, mei.email)

    every = html(client.get("/events"))
    assert set(cards(every)) == {"Tea tasting", "Saving webinar", "Gala dinner", "Silver brunch"}
    assert re.search(r'<a href="/events" hx-get="/events"[^>]*hx-target="#event-results"[^>]*hx-push-url="true"\s+'
                     r'aria-current="page">All</a>', every)
    for show, expected in (("online", {"Saving webinar"}),
                           ("offline", {"Tea tasting", "Gala dinner", "Silver brunch"}),
                           ("my_tier", {"Tea tasting", "Saving webinar", "Silver brunch"})):
        page = html(client.get(f"/events?show={show}"))
        assert set(cards(page)) == expected, show
        assert re.search(rf'href="/events\?show={show}"[^>]*aria-current="page"', page), show
        assert page.count('aria-current="page"') == 1 + 1, show  # the filter, and the nav's "Events"

        fragment = client.get(f"/events?show={show}", headers=HTMX)
        assert "HX-Request" in fragment.headers["Vary"]
        text = html(fragment)
        assert "<html" not in text and text.strip().startswith('<div id="event-results">')
        assert set(cards(text)) == expected and re.search(rf'show={show}"[^>]*aria-current="page"', text)
    assert set(cards(html(client.get("/events?show=nonsense")))) == set(cards(every))


def test_the_list_says_when_there_is_nothing_to_show(client, mei):
    make_event("Gala dinner", min_tier="diamond")
    db.session.commit()
    login(client, mei.email)
    assert "No upcoming events of this kind." in html(client.get("/events?show=my_tier"))
    assert "No upcoming events of this kind." in html(client.get("/events?show=online"))


# ---- an event's page ------------------------------------------------------------------------------

def test_an_event_page_shows_the_details_with_line_breaks_and_never_raw_html(client, mei):
    event = make_event("Tea tasting", description="First line\nSecond <script>alert(1)</script>",
                       venue="Tea House", address="1 Leaf Road", attendance_points=50, capacity=8)
    db.session.commit()
    login(client, mei.email)
    response = client.get(f"/events/{event.id}")
    page = html(response)
    assert response.status_code == 200
    assert '<p class="description">First line\nSecond &lt;script&gt;alert(1)&lt;/script&gt;</p>' in page
    assert "Tea House" in page and "1 Leaf Road" in page and "8 places left" in page and "Every member" in page
    assert "<script>alert" not in page
    status = status_part(page)
    assert ">Register</button>" in status and "Cancel registration" not in status


def test_draft_and_unknown_events_are_not_found(client, mei):
    draft = make_event("Secret draft", status="draft")
    db.session.commit()
    login(client, mei.email)
    for url in (f"/events/{draft.id}", "/events/999999", f"/events/{draft.id}/calendar.ics"):
        assert client.get(url).status_code == 404, url
    assert register(client, draft).status_code == 404
    assert count(Registration) == 0


def test_a_cancelled_event_and_a_past_event_say_so_and_offer_no_button(client, mei):
    called_off = make_event("Called off", cancel_reason="The hall flooded.")
    services.register(mei, called_off)
    called_off.status = "cancelled"
    past = make_event("Last month", starts_in=timedelta(days=-30))
    db.session.commit()
    login(client, mei.email)
    page = html(client.get(f"/events/{called_off.id}"))
    assert "This event is cancelled." in page and "The hall flooded." in page
    assert "Register</button>" not in page and "Cancel registration" not in page
    assert "You are registered" not in page
    page = html(client.get(f"/events/{past.id}"))
    assert "This event is over." in page and "Register</button>" not in page


def test_a_gold_only_event_tells_a_regular_member_which_tier_opens_it(client):
    ann = make_member(name="Ann Regular", tier="regular")
    gala = make_event("Gala dinner", min_tier="gold")
    db.session.commit()
    login(client, ann.email)
    page = html(client.get(f"/events/{gala.id}"))
    assert "Only for Gold members and above. Your tier: Regular." in page
    assert ">Register</button>" not in page and f"/events/{gala.id}/register" not in page

    response = register(client, gala)
    assert response.status_code == 422
    assert "Only for Gold members and above. Your tier: Regular." in html(response)
    assert count(Registration) == 0 and count(OutboxMessage) == 0


def test_the_registration_dates_are_shown_when_it_is_not_open(client, mei):
    soon = make_event("Soon", registration_opens_at=utcnow() + timedelta(days=1))
    late = make_event("Late", registration_closes_at=utcnow() - timedelta(hours=1))
    db.session.commit()
    login(client, mei.email)
    assert re.search(r"Registration opens on \d{1,2} \w{3} \d{4} \d\d:\d\d\.", html(client.get(f"/events/{soon.id}")))
    assert re.search(r"Registration closed on \d{1,2} \w{3} \d{4} \d\d:\d\d\.", html(client.get(f"/events/{late.id}")))


# ---- registering and cancelling -------------------------------------------------------------------

def test_registering_without_javascript_confirms_emails_the_calendar_file_and_redirects(client, mei):
    event = make_event("Tea tasting", capacity=5)
    db.session.commit()
    login(client, mei.email)

    response = register(client, event)

    assert response.status_code == 303 and response.headers["Location"] == f"/events/{event.id}"
    assert registration(mei, event).status == "confirmed"
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "event_registered")).all()
    assert mail.to_email == mei.email
    assert [a.content_type for a in mail.attachments] == ["text/calendar"]
    page = html(client.get(response.headers["Location"]))
    assert "You are registered for “Tea tasting”." in page
    status = status_part(page)
    assert "You are registered" in status and f'href="/events/{event.id}/calendar.ics"' in status
    assert "Add to calendar" in status and 'role="img" aria-label="Check-in code for Tea tasting"' in status
    assert ">Cancel registration</button>" in status and ">Register</button>" not in status
    assert "4 places left" in page


def test_registering_with_htmx_swaps_the_status_part(client, mei):
    event = make_event("Tea tasting", capacity=5)
    db.session.commit()
    login(client, mei.email)
    page = html(client.get(f"/events/{event.id}"))
    assert f'hx-post="/events/{event.id}/register" hx-target="#event-status" hx-swap="outerHTML"' in page

    response = register(client, event, headers=HTMX)

    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    fragment = html(response)
    assert "<html" not in fragment and fragment.strip().startswith('<section id="event-status"')
    assert "You are registered. We emailed you the details." in fragment and "Add to calendar" in fragment
    assert '<dd id="event-places" hx-swap-oob="true">4 places left</dd>' in fragment  # the count moves too
    assert registration(mei, event).status == "confirmed"

    response = cancel(client, event, headers=HTMX)
    fragment = html(response)
    assert response.status_code == 200 and "<html" not in fragment
    assert "Your registration is cancelled." in fragment and ">Register</button>" in fragment
    assert '<dd id="event-places" hx-swap-oob="true">5 places left</dd>' in fragment
    assert registration(mei, event).status == "cancelled"


def test_a_full_event_puts_members_on_the_waitlist_with_their_position(client, mei):
    event = make_event("Cooking class", capacity=1)
    first, second = make_member(name="First"), make_member(name="Second")
    services.register(first, event)
    services.register(second, event)
    db.session.commit()
    login(client, mei.email)
    page = html(client.get(f"/events/{event.id}"))
    assert "No places are left: registering puts you on the waitlist." in page and ">Register</button>" in page

    assert register(client, event).status_code == 303
    assert registration(mei, event).status == "waitlisted"
    status = status_part(html(client.get(f"/events/{event.id}")))
    assert "You are on the waitlist" in status and "1 ahead of you" in status
    assert "Add to calendar" not in status and "Check-in code" not in status
    assert ">Cancel registration</button>" in status  # she may leave the queue
    assert client.get(f"/events/{event.id}/calendar.ics").status_code == 404

    services.cancel_registration(registration(first, event))  # Second moves up, Mei is next
    db.session.commit()
    assert "You are next in line" in status_part(html(client.get(f"/events/{event.id}")))


def test_cancelling_frees_the_place_for_the_first_on_the_waitlist_who_is_told(client, mei):
    event = make_event("Cooking class", capacity=1)
    waiting = make_member(name="Wai Ting", email="wai@example.com")
    services.register(mei, event)
    services.register(waiting, event)
    db.session.commit()
    login(client, mei.email)

    response = cancel(client, event)

    assert response.status_code == 303 and response.headers["Location"] == f"/events/{event.id}"
    assert registration(mei, event).status == "cancelled"
    assert registration(waiting, event).status == "confirmed"
    promoted = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "event_promoted")).all()
    assert [m.to_email for m in promoted] == ["wai@example.com"]
    page = html(client.get(f"/events/{event.id}"))
    assert "Your registration for “Cooking class” is cancelled." in page
    assert "No places are left" in page  # the place went to the waitlist


def test_registering_again_after_cancelling_works(client, mei):
    event = make_event("Tea tasting")
    db.session.commit()
    login(client, mei.email)
    register(client, event)
    cancel(client, event)
    assert register(client, event).status_code == 303
    assert registration(mei, event).status == "confirmed" and count(Registration) == 1


def _closed(event):
    event.registration_closes_at = utcnow() - timedelta(minutes=5)


def _started(event):
    event.starts_at, event.ends_at = utcnow() - timedelta(minutes=5), utcnow() + timedelta(hours=1)


def _cancelled(event):
    event.status = "cancelled"


def _not_yet(event):
    event.registration_opens_at = utcnow() + timedelta(days=1)


@pytest.mark.parametrize(("change", "message"), [
    (_closed, r"Registration closed on \d{1,2} \w{3} \d{4} \d\d:\d\d\."),
    (_started, r"The event has started: registration is closed\."),
    (_cancelled, r"This event is cancelled\."),
    (_not_yet, r"Registration opens on \d{1,2} \w{3} \d{4} \d\d:\d\d\."),
])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_refused_registration_says_why_with_422_and_changes_nothing(client, mei, change, message, htmx):
    event = make_event("Tea tasting")
    db.session.commit()
    login(client, mei.email)
    token = csrf_token(client, f"/events/{event.id}")  # the page was open while it was possible...
    change(event)  # ...then it was not
    db.session.commit()
    before = (count(Registration), count(OutboxMessage))

    response = client.post(f"/events/{event.id}/register", data={"csrf_token": token},
                           headers=HTMX if htmx else {})

    assert response.status_code == 422
    text = html(response)
    assert re.search(f'<p class="why" role="alert">{message}</p>', text), text
    assert ("<html" in text) is not htmx
    assert (count(Registration), count(OutboxMessage)) == before == (0, 0)


def test_registering_twice_says_so_and_keeps_one_registration(client, mei):
    event = make_event("Tea tasting")
    db.session.commit()
    login(client, mei.email)
    assert register(client, event).status_code == 303
    before = (count(Registration), count(OutboxMessage))
    for headers in ({}, HTMX):
        response = register(client, event, headers=headers)
        assert response.status_code == 422
        assert "You are already registered for this event." in html(response)
    assert (count(Registration), count(OutboxMessage)) == before
    assert registration(mei, event).status == "confirmed"


def test_cancelling_after_the_cut_off_says_until_when_it_was_possible_and_changes_nothing(client, mei):
    event = make_event("Tea tasting", starts_in=timedelta(hours=30), cancel_cutoff_hours=24)
    services.register(mei, event)
    db.session.commit()
    login(client, mei.email)
    assert ">Cancel registration</button>" in html(client.get(f"/events/{event.id}"))
    event.starts_at, event.ends_at = utcnow() + timedelta(hours=20), utcnow() + timedelta(hours=22)
    db.session.commit()
    page = html(client.get(f"/events/{event.id}"))
    assert ">Cancel registration</button>" not in page
    assert re.search(r"Cancelling was possible until \d{1,2} \w{3} \d{4} \d\d:\d\d\.", page)
    before = (count(OutboxMessage),)

    for headers in ({}, HTMX):
        response = cancel(client, event, headers=headers)
        assert response.status_code == 422
        assert re.search(r'<p class="why" role="alert">Cancelling was possible until [^<]+\.</p>', html(response))
    assert registration(mei, event).status == "confirmed" and (count(OutboxMessage),) == before


def test_cancelling_without_a_registration_is_not_found(client, mei):
    event = make_event("Tea tasting")
    db.session.commit()
    login(client, mei.email)
    assert cancel(client, event).status_code == 404


def test_a_post_without_the_csrf_token_is_refused(client, mei):
    event = make_event("Tea tasting")
    db.session.commit()
    login(client, mei.email)
    assert client.post(f"/events/{event.id}/register").status_code == 400
    assert count(Registration) == 0


# ---- the online link, the calendar file ----------------------------------------------------------

def test_the_online_link_is_shown_only_to_confirmed_members(client, mei):
    webinar = make_event("Saving webinar", online=True, capacity=1, online_url="https://meet.example.com/secret-77")
    confirmed = make_member(name="Con Firmed", email="confirmed@example.com")
    services.register(confirmed, webinar)
    db.session.commit()
    login(client, mei.email)
    assert "secret-77" not in html(client.get(f"/events/{webinar.id}"))  # not registered
    register(client, webinar)
    assert registration(mei, webinar).status == "waitlisted"
    assert "secret-77" not in html(client.get(f"/events/{webinar.id}"))  # on the waitlist
    client.post("/logout", data={"csrf_token": csrf_token(client, "/events")})
    login(client, "confirmed@example.com")
    assert 'href="https://meet.example.com/secret-77"' in html(client.get(f"/events/{webinar.id}"))


def test_the_calendar_file_is_the_members_own_registration(client, mei):
    event = make_event("Tea tasting", venue="Tea House")
    other = make_member(name="Other")
    services.register(other, event)
    db.session.commit()
    login(client, mei.email)
    assert client.get(f"/events/{event.id}/calendar.ics").status_code == 404  # only the other holds one
    register(client, event)

    response = client.get(f"/events/{event.id}/calendar.ics")

    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="event-{event.id}.ics"'
    text = html(response)
    assert "BEGIN:VCALENDAR" in text and "SUMMARY:Tea tasting" in text and "Tea House" in text
    assert f"UID:registration-{registration(mei, event).id}@" in text
    assert f"registration-{registration(other, event).id}@" not in text
    cancel(client, event)
    assert client.get(f"/events/{event.id}/calendar.ics").status_code == 404


# ---- My events --------------------------------------------------------------------------------------

def test_my_events_lists_upcoming_and_past_attended_or_not(client, mei):
    staff = make_staff("expansion")
    soon = make_event("Tea tasting", starts_in=timedelta(days=2))
    waiting = make_event("Cooking class", capacity=1, starts_in=timedelta(days=5))
    services.register(make_member(name="First"), waiting)
    went = make_event("Spring picnic", starts_in=timedelta(days=10))
    missed = make_event("Winter walk", starts_in=timedelta(days=12))
    queued = make_event("Autumn fair", capacity=1, starts_in=timedelta(days=14))
    services.register(make_member(name="Holder"), queued)
    make_event("Not mine")
    for event in (soon, waiting, went, missed, queued):
        services.register(mei, event)
    services.check_in(registration(mei, went), staff, went)
    for event, days_ago in ((went, 20), (missed, 40), (queued, 50)):
        event.starts_at = utcnow() - timedelta(days=days_ago)
        event.ends_at = event.starts_at + timedelta(hours=2)
    db.session.commit()
    login(client, mei.email)

    page = html(client.get("/events/mine"))

    upcoming = page.split('id="upcoming-heading"')[1].split('id="past-heading"')[0]
    past = page.split('id="past-heading"')[1].split("</section>")[0]
    assert re.findall(r"<strong>(.*?)</strong>", upcoming) == ["Tea tasting", "Cooking class"]
    assert re.findall(r"<strong>(.*?)</strong>", past) == ["Spring picnic", "Winter walk", "Autumn fair"]
    assert re.search(r"Autumn fair.*?Was on the waitlist<", past, re.S)  # never had a place to miss
    assert "Confirmed" in upcoming and "On the waitlist" in upcoming
    assert re.search(r"Spring picnic.*?Attended<.*?Winter walk.*?Did not attend<", past, re.S)
    assert "Not mine" not in page
    assert f'href="/events/{soon.id}"' in upcoming


# ---- a fixed number of queries --------------------------------------------------------------------

def bulk_events(count, label):
    """`count` published events, one a day from tomorrow, inserted in bulk; their ids."""
    now = utcnow()
    gold = db.session.scalar(select(Tier.id).where(Tier.code == "gold"))
    db.session.execute(insert(Event), [
        {"title": f"{label} {n}", "starts_at": now + timedelta(days=1 + n % 300, hours=n % 7),
         "ends_at": now + timedelta(days=1 + n % 300, hours=n % 7 + 2), "capacity": 20, "status": "published",
         "online": n % 2 == 0, "venue": "" if n % 2 == 0 else "Hall", "min_tier_id": gold if n % 5 == 0 else None,
         "published_at": now}
        for n in range(count)
    ])
    return db.session.scalars(select(Event.id).where(Event.title.like(f"{label} %"))).all()


def bulk_registrations(event_ids, count, label):
    """`count` members, inserted in bulk, each registered for one of `event_ids` in turn (confirmed, or
    waitlisted for every third)."""
    regular = db.session.scalar(select(Tier.id).where(Tier.code == "regular"))
    db.session.execute(insert(Member), [
        {"name": f"Bulk {n}", "email": f"bulk-{label}-{n}@example.com", "password_hash": "x", "status": "active",
         "tier_id": regular} for n in range(count)])
    ids = db.session.scalars(select(Member.id).where(Member.email.like(f"bulk-{label}-%"))).all()
    now = utcnow()
    db.session.execute(insert(Registration), [
        {"event_id": event_ids[n % len(event_ids)], "member_id": member_id,
         "status": "waitlisted" if n % 3 == 0 else "confirmed", "registered_at": now,
         "queued_at": now - timedelta(seconds=n) if n % 3 == 0 else None}
        for n, member_id in enumerate(ids)])
    db.session.commit()


def queries(client, urls):
    counts = {}
    for url in urls:
        with counting_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = statements
    return counts


def test_the_list_and_an_event_page_run_the_same_queries_with_5_and_500_events_and_10_and_10000_registrations(
        client, mei):
    mine = make_event("Mine", capacity=10_000)
    queue = make_event("Queue", capacity=1)
    services.register(make_member(name="Holder"), queue)
    services.register(mei, mine)
    services.register(mei, queue)
    first = bulk_events(3, "first")
    bulk_registrations([mine.id, queue.id, *first], 10, "few")
    login(client, mei.email)
    urls = ["/events", "/events?show=my_tier", "/events?show=online", f"/events?show=my_tier&after={first[0]}",
            f"/events/{mine.id}", f"/events/{queue.id}"]

    few = queries(client, urls)
    assert len(cards(html(client.get("/events")))) == 5
    more = bulk_events(495, "more")
    bulk_registrations([mine.id, queue.id, *first, *more], 9_990, "many")
    assert count(Registration) == 10_000 + 3 and count(Event) == 500
    many = queries(client, urls)
    assert len(cards(html(client.get("/events")))) == 20  # a page at a time
    assert "ahead of you" in html(client.get(f"/events/{queue.id}"))

    for url in urls:
        assert len(many[url]) == len(few[url]), f"{url}: {len(few[url])} → {len(many[url])}\n" + "\n".join(many[url])
    # the member with the bell's count, the member's tier, then the events, their counts and her registrations
    assert len(few["/events"]) == 5, "\n".join(few["/events"])
    # the event page adds her registration, the counts and, on the waitlist, her place in it
    assert len(few[f"/events/{mine.id}"]) <= 6, "\n".join(few[f"/events/{mine.id}"])
    assert len(few[f"/events/{queue.id}"]) <= 7, "\n".join(few[f"/events/{queue.id}"])


# ---- 20 at a time: "Load more" (issue 11) -------------------------------------------------------

def titles(page):
    """The cards' titles in the order shown (repeats kept)."""
    return re.findall(r'<h2 id="event-\d+-title"><a [^>]*>([^<]+)</a>', page)


def more_link(page):
    """The Load more link's URL (it is the same for the plain link and htmx), or None."""
    found = re.search(r'<a id="load-more-link" class="button" href="([^"]+)" hx-get="\1" hx-target="#events-list" '
                      r'hx-swap="beforeend"\s+hx-select="#events-list > li" hx-select-oob="#load-more">Load more</a>',
                      page)
    return found and found.group(1).replace("&amp;", "&")


def same_time_events(count, at, label="Event", **fields):
    """`count` published events starting at the same moment `at`, inserted in bulk; ids in insert order."""
    db.session.execute(insert(Event), [
        {"title": f"{label} {n:02d}", "starts_at": at, "ends_at": at + timedelta(hours=2), "capacity": 20,
         "status": "published", "venue": "Hall", "published_at": utcnow(), **fields} for n in range(count)])
    return db.session.scalars(select(Event.id).where(Event.title.like(f"{label} %")).order_by(Event.id)).all()


@pytest.fixture
def paged(mei):
    """45 events: 10 a day apart, then 25 starting at one moment (across the first page's end and
    the second's), then 10 more; made latest first (so that ids do not follow the starts); the
    expected order, by start and then id."""
    now = utcnow()
    for n in range(10):
        make_event(f"Late {n:02d}", starts_in=timedelta(days=30 - n), online=n % 2 == 0)
    same_time_events(25, now + timedelta(days=12), "Same")
    for n in range(9):
        make_event(f"Day {n}", starts_in=timedelta(days=9 - n))
    make_event("Early", starts_in=timedelta(hours=5))
    db.session.commit()
    order = db.session.scalars(select(Event.title).order_by(Event.starts_at, Event.id)).all()
    assert len(order) == 45
    return order


def test_the_list_shows_20_events_and_load_more_appends_the_rest_in_order(client, mei, paged):
    login(client, mei.email)
    page = html(client.get("/events"))
    assert titles(page) == paged[:20] and "Back to the soonest" not in page
    seen, link, sizes = titles(page), more_link(page), []
    while link:
        fragment = client.get(link, headers=HTMX)
        assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
        text = html(fragment)
        assert "<html" not in text and text.strip().startswith('<div id="event-results">')
        sizes.append(len(titles(text)))
        seen += titles(text)
        link = more_link(text)
    assert sizes == [20, 5]  # 45 events: 20 on the page, then 20 and the last 5
    assert seen == paged  # the same order, none twice, none left out (25 start at the same moment)
    assert re.search(r'<div id="load-more" class="load-more">\s*</div>', text)  # the last page: no link


def test_load_more_without_javascript_opens_the_next_20_with_a_way_back(client, mei, paged):
    login(client, mei.email)
    response = client.get(more_link(html(client.get("/events"))))
    page = html(response)
    assert page.startswith("<!doctype html>") and "<nav" in page  # a whole page
    assert titles(page) == paged[20:40]
    assert '<p class="notice">Later events. <a class="more" href="/events">Back to the soonest</a></p>' in page
    assert more_link(page)


def test_load_more_keeps_the_filter(client, mei, paged):
    make_event("Online 1", online=True, starts_in=timedelta(days=40))
    for n in range(24):
        make_event(f"Online {n + 2}", online=True, starts_in=timedelta(days=40, minutes=n))
    db.session.commit()
    online = db.session.scalars(select(Event.title).where(Event.online.is_(True))
                                .order_by(Event.starts_at, Event.id)).all()
    assert len(online) == 30
    login(client, mei.email)
    page = html(client.get("/events?show=online", headers=HTMX))
    assert titles(page) == online[:20]
    link = more_link(page)
    assert "show=online" in link and "after=" in link
    rest = html(client.get(link, headers=HTMX))
    assert titles(rest) == online[20:] and more_link(rest) is None
    plain = html(client.get(link))
    assert '<a class="more" href="/events?show=online">Back to the soonest</a>' in plain
    assert re.search(r'href="/events\?show=online"[^>]*aria-current="page"', plain)


def test_load_more_after_an_event_that_was_since_cancelled_keeps_its_place(client, mei, paged):
    login(client, mei.email)
    link = more_link(html(client.get("/events")))
    last = db.session.get(Event, int(re.search(r"after=(\d+)", link).group(1)))
    last.status, last.cancelled_at = "cancelled", utcnow()
    db.session.commit()
    assert titles(html(client.get(link, headers=HTMX))) == paged[20:40]


def test_a_bad_cursor_gives_the_first_page_an_empty_one_or_422_and_never_a_draft(client, mei, paged):
    draft = make_event("Secret draft", status="draft", starts_in=timedelta(hours=1))
    db.session.commit()
    login(client, mei.email)
    assert titles(html(client.get("/events?after=not-a-number"))) == paged[:20]  # ignored: the first page
    assert titles(html(client.get("/events?after=0"))) == paged[:20]
    for after in (draft.id, 999_999, -5):
        for headers in ({}, HTMX):
            response = client.get(f"/events?after={after}", headers=headers)
            page = html(response)
            assert response.status_code == 200 and titles(page) == [], after
            assert "No later events." in page and "Secret draft" not in page and more_link(page) is None
    assert client.get("/events?after=99999999999999999999").status_code == 422
    assert "Secret draft" not in "".join(html(client.get(f"/events?after={paged_id}", headers=HTMX))
                                         for paged_id in db.session.scalars(select(Event.id)))
