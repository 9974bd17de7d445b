"""The events rules (portal/events/services.py) on both databases: registering with a waitlist, one
registration per member, every refusal writing nothing, cancelling and the cut-off, every freed
place promoting the first in the queue, capacity, changes and SEQUENCE, cancelling an event,
check-in through the ledger, check-in tokens, and the member's timeline."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from icalendar import Calendar
from sqlalchemy import func, select

from jobs.queues import PENDING
from portal.audit.models import AuditEntry
from portal.care.models import Notification
from portal.events import messages, services
from portal.events.models import Event, Registration
from portal.events.services import CheckInError, Counts, EventError, RegistrationRefused
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members import ledger
from portal.members.models import PointsEntry
from portal.members.reasons import describe_reasons
from portal.members.timeline import recent_activity
from portal.models import utcnow
from tests.factories import event_fields, make_event, make_member, make_staff
from tests.helpers import counting_queries, login, tampered


def emails_to(member, template=None):
    query = select(OutboxMessage).where(OutboxMessage.member_id == member.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return db.session.scalars(query.order_by(OutboxMessage.id)).all()


def notifications_of(member, template=None):
    query = select(Notification).where(Notification.member_id == member.id)
    if template:
        query = query.where(Notification.template == template)
    return db.session.scalars(query.order_by(Notification.id)).all()


def rows_written():
    """How many rows the things a registration writes have: to compare before and after a refusal."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Registration, OutboxMessage, Notification, AuditEntry, PointsEntry))


def reload(registration):
    return db.session.get(Registration, registration.id, populate_existing=True)


def news_jobs():
    """The change/cancellation news jobs this transaction will enqueue when it commits."""
    return [args for func, args, *_ in db.session.info.get(PENDING, []) if func == messages.NEWS_JOB]


def members(count, **fields):
    return [make_member(name=f"Member {n}", **fields) for n in range(count)]


# --- registering ---------------------------------------------------------------------------------


def test_places_are_confirmed_while_they_last_then_members_queue_in_order(app):
    event = make_event(capacity=2)
    people = members(5)
    now = utcnow()
    registrations = [services.register(m, event, now=now + timedelta(seconds=n)) for n, m in enumerate(people)]

    assert [r.status for r in registrations] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [services.waitlist_position(r) for r in registrations] == [None, None, 1, 2, 3]
    assert services.counts(event) == Counts(confirmed=2, waitlisted=3, attended=0)
    assert services.counts(event).places_left(event) == 0
    assert [r.confirmed_at is not None for r in registrations] == [True, True, False, False, False]
    assert [r.queued_at is not None for r in registrations] == [False, False, True, True, True]
    for member, registration in zip(people, registrations, strict=True):
        [email] = emails_to(member)
        assert email.template == "event_registered"
        if registration.status == "confirmed":  # a calendar file for a confirmed place only
            assert [(a.filename, a.content_type) for a in email.attachments] == \
                [(f"event-{event.id}.ics", "text/calendar")]
        else:
            assert email.attachments == []
            assert f"number {services.waitlist_position(registration)} in the queue" in email.body_text
        [notice] = notifications_of(member)
        assert notice.template == "event_registered" and notice.link == f"/events/{event.id}"


def test_counts_for_many_events_in_one_query(app):
    full, empty = make_event(capacity=1), make_event()
    for member in members(3):
        services.register(member, full)
    with counting_queries() as statements:
        found = services.counts_for([full, empty])
    assert found == {full.id: Counts(1, 2, 0), empty.id: Counts(0, 0, 0)} and len(statements) == 1
    assert services.counts_for([]) == {}


def test_a_member_cannot_hold_two_registrations(app):
    event = make_event(capacity=5)
    mei = make_member(name="Mei Lin")
    first = services.register(mei, event)
    written = rows_written()
    with pytest.raises(RegistrationRefused) as refused:
        services.register(mei, event)
    assert refused.value.refusal.code == "registered" and rows_written() == written
    assert services.registration_of(mei, event).id == first.id


def test_registering_again_after_cancelling_reuses_the_row_and_joins_the_end_of_the_queue(app):
    event = make_event(capacity=1)
    ann, ben, cat = members(3)
    now = utcnow()
    services.register(ann, event, now=now)
    ben_first = services.register(ben, event, now=now + timedelta(minutes=1))
    services.register(cat, event, now=now + timedelta(minutes=2))
    assert services.waitlist_position(ben_first) == 1

    services.cancel_registration(ben_first, now=now + timedelta(minutes=3))
    assert reload(ben_first).status == "cancelled"
    again = services.register(ben, event, now=now + timedelta(minutes=4))

    assert again.id == ben_first.id and again.status == "waitlisted"
    assert again.cancelled_at is None and again.registered_at == now + timedelta(minutes=4)
    assert services.waitlist_position(again) == 2  # behind Cat, who queued while Ben was out
    assert db.session.scalar(select(func.count()).select_from(Registration)
                             .where(Registration.member_id == ben.id)) == 1


def test_registering_again_with_a_place_free_confirms_the_same_row(app):
    event = make_event(capacity=3)
    mei = make_member()
    first = services.register(mei, event)
    services.cancel_registration(first)
    again = services.register(mei, event)
    assert (again.id, again.status, again.queued_at, again.cancelled_at) == (first.id, "confirmed", None, None)


# --- refusals: each with its reason, and nothing written ----------------------------------------


def refusal_case(case, now):
    """(event, member, registering moment) for a refusal `case`."""
    if case == "draft":
        return make_event(status="draft"), make_member(), now
    if case == "cancelled":
        return make_event(status="cancelled"), make_member(), now
    if case == "not_yet":
        return make_event(registration_opens_at=now + timedelta(days=1)), make_member(), now
    if case == "closed":
        return make_event(registration_closes_at=now - timedelta(hours=1)), make_member(), now
    if case == "started":
        event = make_event()
        return event, make_member(), event.starts_at + timedelta(minutes=1)
    if case == "tier":
        return make_event(min_tier="gold"), make_member(tier="silver"), now
    event, member = make_event(), make_member()
    services.register(member, event, now=now)
    return event, member, now


@pytest.mark.parametrize("case", ["draft", "cancelled", "not_yet", "closed", "started", "tier", "registered"])
def test_each_refusal_says_why_and_writes_nothing(app, case):
    now = utcnow()
    event, member, at = refusal_case(case, now)
    written = rows_written()
    assert services.why_not(event, member, services.registration_of(member, event), now=at).code == case

    with pytest.raises(RegistrationRefused) as refused:
        services.register(member, event, now=at)

    refusal = refused.value.refusal
    assert refusal.code == case
    assert rows_written() == written
    if case == "not_yet":
        assert refusal.date == event.registration_opens_at
    if case == "closed":
        assert refusal.date == event.registration_closes_at
    if case == "tier":
        assert refusal.tier.code == "gold"


def test_the_tier_rule_lets_the_tier_and_those_above_in(app):
    event = make_event(min_tier="silver")
    assert services.register(make_member(tier="silver"), event).status == "confirmed"
    assert services.register(make_member(tier="gold"), event).status == "confirmed"
    assert services.why_not(event, make_member(tier="regular")).code == "tier"


# --- cancelling ----------------------------------------------------------------------------------


def test_after_the_cutoff_a_member_may_not_cancel_but_staff_may(app):
    event = make_event(capacity=1, cancel_cutoff_hours=24)
    mei, ann = members(2)
    staff = make_staff("expansion")
    place = services.register(mei, event)
    queued = services.register(ann, event)
    late = event.cancel_until + timedelta(minutes=1)
    written = rows_written()

    with pytest.raises(RegistrationRefused) as refused:
        services.cancel_registration(place, now=late)
    assert (refused.value.refusal.code, refused.value.refusal.date) == ("cutoff", event.cancel_until)
    assert rows_written() == written and reload(place).status == "confirmed"

    services.cancel_registration(place, staff=staff, reason="Asked at the desk", now=late)
    place = reload(place)
    assert (place.status, place.cancelled_by_staff_id, place.cancelled_at) == ("cancelled", staff.id, late)
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "registration.cancel")).all()
    assert (audit.target_id, audit.reason, audit.before, audit.actor_staff_id) == \
        (place.id, "Asked at the desk", {"status": "confirmed"}, staff.id)
    assert [e.template for e in emails_to(mei)] == ["event_registered", "event_registration_cancelled"]
    assert reload(queued).status == "confirmed"  # the freed place went to the queue
    assert [e.template for e in emails_to(ann)] == ["event_registered", "event_promoted"]


def test_a_waitlisted_member_may_leave_the_queue_after_the_cutoff_but_not_after_the_start(app):
    event = make_event(capacity=1)
    services.register(make_member(), event)
    queued = services.register(make_member(), event)
    with pytest.raises(RegistrationRefused) as refused:
        services.cancel_registration(queued, staff=make_staff(), now=event.starts_at)
    assert refused.value.refusal.code == "started"  # not even staff, once it started
    services.cancel_registration(queued, now=event.cancel_until + timedelta(hours=1))
    assert reload(queued).status == "cancelled"
    with pytest.raises(RegistrationRefused) as refused:
        services.cancel_registration(queued)
    assert refused.value.refusal.code == "not_registered"


def test_cancelling_a_waitlisted_place_promotes_nobody_and_sends_no_calendar_file(app):
    event = make_event(capacity=1)
    first = services.register(make_member(), event)
    second, third = (services.register(member, event) for member in members(2))
    services.cancel_registration(second)
    assert (reload(first).status, reload(third).status) == ("confirmed", "waitlisted")
    assert services.waitlist_position(reload(third)) == 1
    [email] = emails_to(second.member, "event_registration_cancelled")
    assert email.attachments == []  # nothing was in their calendar


def test_cancelling_a_confirmed_place_sends_a_calendar_file_that_removes_it(app):
    event = make_event()
    place = services.register(make_member(), event)
    services.cancel_registration(place)
    [email] = emails_to(place.member, "event_registration_cancelled")
    [attachment] = email.attachments
    assert b"METHOD:CANCEL" in attachment.content and b"STATUS:CANCELLED" in attachment.content


# --- every freed place goes to the first in the queue, who is told ------------------------------


def assert_told_of_promotion(member, event):
    [email] = emails_to(member, "event_promoted")
    [attachment] = email.attachments
    assert attachment.filename == f"event-{event.id}.ics" and b"METHOD:PUBLISH" in attachment.content
    [notice] = notifications_of(member, "event_promoted")
    assert notice.link == f"/events/{event.id}"


def test_every_freed_place_promotes_the_first_in_the_queue(app):
    event = make_event(capacity=2)
    staff = make_staff("expansion")
    people = members(7)
    now = utcnow()
    regs = [services.register(m, event, now=now + timedelta(seconds=n)) for n, m in enumerate(people)]
    assert [r.status for r in regs] == ["confirmed"] * 2 + ["waitlisted"] * 5

    promoted = services.cancel_registration(regs[0], now=now + timedelta(minutes=1))  # the member cancels
    assert promoted.status == "cancelled" and reload(regs[2]).status == "confirmed"
    assert_told_of_promotion(people[2], event)

    services.cancel_registration(regs[1], staff=staff, now=now + timedelta(minutes=2))  # staff cancel
    assert reload(regs[3]).status == "confirmed"
    assert_told_of_promotion(people[3], event)

    raised = services.change_capacity(event, 4, staff, now=now + timedelta(minutes=3))  # +2 promotes 2
    assert [r.id for r in raised] == [regs[4].id, regs[5].id]
    for member in people[4:6]:
        assert_told_of_promotion(member, event)
    assert reload(regs[6]).status == "waitlisted" and services.waitlist_position(reload(regs[6])) == 1
    assert emails_to(people[6], "event_promoted") == []
    assert services.counts(event) == Counts(confirmed=4, waitlisted=1)
    assert all(reload(r).told_sequence == event.sequence for r in regs[2:6])
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.capacity")).all()
    assert (audit.before, audit.after) == ({"capacity": 2}, {"capacity": 4})


def test_raising_capacity_beyond_the_queue_confirms_everyone_queued(app):
    event = make_event(capacity=1)
    regs = [services.register(m, event) for m in members(3)]
    assert len(services.change_capacity(event, 10, make_staff())) == 2
    assert {reload(r).status for r in regs} == {"confirmed"}


def test_capacity_below_the_confirmed_count_is_refused(app):
    event = make_event(capacity=3)
    staff = make_staff("expansion")
    for member in members(3):
        services.register(member, event)
    for capacity in (2, 0):
        with pytest.raises(EventError) as refused:
            services.change_capacity(event, capacity, staff)
        assert (refused.value.code, refused.value.confirmed) == ("capacity", 3)
    assert db.session.get(Event, event.id, populate_existing=True).capacity == 3
    assert services.change_capacity(event, 3, staff) == []
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.capacity")).all() == []


def test_capacity_may_be_lowered_to_the_confirmed_count(app):
    event = make_event(capacity=5)
    services.register(make_member(), event)
    services.change_capacity(event, 1, make_staff())
    assert event.capacity == 1
    assert services.register(make_member(), event).status == "waitlisted"


# --- staff changes: details, time and place, cancelling the event ---------------------------------


def test_only_a_change_of_time_or_place_raises_the_sequence_and_only_a_new_start_resets_reminders(app):
    event = make_event()
    staff = make_staff("expansion")
    regs = [services.register(m, event) for m in members(2)]
    for registration in regs:
        registration.reminded_at = utcnow()
    db.session.flush()

    assert services.update_event(event, event_fields(event, title="Tea tasting, renamed",
                                                     attendance_points=80), staff) is False
    assert event.sequence == 0 and news_jobs() == []
    assert all(reload(r).reminded_at is not None for r in regs)
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.update")).all()
    assert audit.after == {"title": "Tea tasting, renamed", "attendance_points": 80}

    assert services.update_event(event, event_fields(event, venue="Da'an store"), staff) is True
    assert event.sequence == 1 and news_jobs() == [(event.id,)]
    assert all(reload(r).reminded_at is not None for r in regs)  # the same start: reminded once is enough

    later = event.starts_at + timedelta(hours=1)
    assert services.update_event(event, event_fields(event, starts_at=later, ends_at=later + timedelta(hours=2)),
                                 staff) is True
    assert event.sequence == 2
    assert all(reload(r).reminded_at is None for r in regs)  # a new start: its own reminder
    # the registrations keep the sequence they were told about: the news job tells them
    assert sorted(messages.news_due(event.id)) == sorted(r.id for r in regs)


def test_the_same_times_given_in_the_programme_zone_are_no_change(app):
    """The staff form may give times in the programme's zone; the stored ones read back in UTC."""
    event = make_event()
    db.session.expire(event)  # as a request finds it: read back from the database, in UTC
    taipei = ZoneInfo("Asia/Taipei")
    same = event_fields(event, starts_at=event.starts_at.astimezone(taipei), ends_at=event.ends_at.astimezone(taipei))
    assert services.update_event(event, same, make_staff()) is False
    assert event.sequence == 0 and news_jobs() == []
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.update")).all() == []


def test_a_draft_moves_without_news(app):
    event = make_event(status="draft")
    assert services.update_event(event, event_fields(event, venue="Elsewhere"), make_staff()) is True
    assert event.sequence == 0 and news_jobs() == []


def test_publishing_only_a_draft(app):
    staff = make_staff()
    event = make_event(status="draft")
    services.publish(event, staff, now=utcnow())
    assert event.status == "published" and event.published_at is not None
    with pytest.raises(EventError) as refused:
        services.publish(event, staff)
    assert refused.value.code == "status"


def test_cancelling_an_event_keeps_the_registrations_and_tells_everyone_later(app):
    event = make_event(capacity=1)
    staff = make_staff("expansion")
    place, queued = (services.register(m, event) for m in members(2))
    services.cancel_event(event, "  The room flooded  ", staff)

    assert (event.status, event.sequence, event.cancel_reason) == ("cancelled", 1, "The room flooded")
    assert event.cancelled_at is not None and news_jobs() == [(event.id,)]
    assert (reload(place).status, reload(queued).status) == ("confirmed", "waitlisted")
    assert sorted(messages.news_due(event.id)) == sorted([place.id, queued.id])
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.cancel")).all()
    assert (audit.reason, audit.before, audit.after) == ("The room flooded", {"status": "published"},
                                                         {"status": "cancelled"})
    for change in (lambda: services.cancel_event(event, "", staff),
                   lambda: services.update_event(event, event_fields(event), staff)):
        with pytest.raises(EventError) as refused:
            change()
        assert refused.value.code == "status"
    with pytest.raises(RegistrationRefused) as refused:
        services.register(make_member(), event)
    assert refused.value.refusal.code == "cancelled"
    with pytest.raises(RegistrationRefused) as refused:
        services.cancel_registration(place)
    assert refused.value.refusal.code == "cancelled"
    assert services.change_capacity(event, 5, staff) == []  # nobody is promoted into a cancelled event
    assert reload(queued).status == "waitlisted"


def test_news_of_the_news_job_goes_once(app):
    event = make_event()
    staff = make_staff()
    place = services.register(make_member(), event)
    services.update_event(event, event_fields(event, venue="Another hall"), staff)
    assert messages.tell_news(messages.news_due(event.id)) == [place.id]
    assert messages.tell_news([place.id]) == [] and messages.news_due() == []
    [email] = emails_to(place.member, "event_changed")
    [attachment] = email.attachments
    assert b"SEQUENCE:1" in attachment.content and b"Another hall" in attachment.content


# --- check-in --------------------------------------------------------------------------------------


def test_check_in_awards_the_points_once_through_the_ledger(app):
    event = make_event(title="Tea tasting", title_zh="品茶會", attendance_points=150)
    staff = make_staff("operations")
    mei = make_member(name="Mei Lin")
    place = services.register(mei, event)
    before = mei.points_balance

    services.check_in(place, staff, event)

    place = reload(place)
    assert place.checked_in_at is not None and place.checked_in_by_staff_id == staff.id and place.attended
    [entry] = db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == mei.id)).all()
    assert (entry.kind, entry.amount, entry.reason_code, entry.reason_params) == \
        ("event_attendance", 150, "event_attendance", {"event_id": event.id})
    assert place.points_entry_id == entry.id and entry.actor_staff_id == staff.id
    assert mei.points_balance == before + 150 == ledger.ledger_balance(mei.id)
    assert services.counts(event).attended == 1
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "registration.check_in")).all()
    assert audit.after == {"event": event.id, "points": 150}

    with pytest.raises(CheckInError) as again:
        services.check_in(place, staff, event)
    assert again.value.code == "already" and again.value.registration.id == place.id
    assert mei.points_balance == before + 150 == ledger.ledger_balance(mei.id)
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)
                             .where(PointsEntry.member_id == mei.id)) == 1

    # the ledger row names the event, in the reader's language
    with app.test_request_context():
        assert describe_reasons([entry])(entry) == "Tea tasting"
    with app.test_request_context(), force_locale("zh_Hant"):
        assert describe_reasons([entry])(entry) == "品茶會"


def test_check_in_without_points_writes_no_ledger_row(app):
    event = make_event(attendance_points=0)
    place = services.register(make_member(), event)
    services.check_in(place, make_staff(), event)
    assert reload(place).attended and reload(place).points_entry_id is None
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == 0


def test_check_in_refusals(app):
    staff = make_staff("operations")
    event, other = make_event(capacity=1, attendance_points=50), make_event(title="Other")
    place = services.register(make_member(), event)
    queued = services.register(make_member(), event)
    gone = services.register(make_member(), other)
    services.cancel_registration(gone)
    elsewhere = services.register(make_member(), other)
    written = rows_written()

    for registration, page_event, code in ((queued, event, "waitlisted"), (gone, other, "cancelled"),
                                           (elsewhere, event, "other_event")):
        with pytest.raises(CheckInError) as refused:
            services.check_in(registration, staff, page_event)
        assert refused.value.code == code
    assert rows_written() == written

    services.cancel_event(other, "", staff)
    with pytest.raises(CheckInError) as refused:
        services.check_in(elsewhere, staff, other)
    assert refused.value.code == "event_cancelled"
    assert reload(place).checked_in_at is None


def test_check_in_tokens(app):
    event, other = make_event(), make_event(title="Other")
    place = services.register(make_member(), event)
    theirs = services.register(make_member(), other)
    token = services.check_in_token(place)

    assert token.startswith("R.") and services.registration_for_token(token).id == place.id
    assert services.registration_for_token(f"  {token}\n").id == place.id  # a scanner's whitespace
    forged = tampered(token)
    for bad in (forged, token[2:], "R.", "", None, "R.not-a-token", "R." + token):
        assert services.registration_for_token(bad) is None, bad

    found = services.registration_for_token(services.check_in_token(theirs))  # another event's code
    assert found.id == theirs.id
    with pytest.raises(CheckInError) as refused:
        services.check_in(found, make_staff(), event)
    assert refused.value.code == "other_event"


def test_a_token_signed_with_another_key_is_refused(app, monkeypatch):
    place = services.register(make_member(), make_event())
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-that-is-long-enough-too")
    foreign = services.check_in_token(place)
    monkeypatch.undo()
    assert services.registration_for_token(foreign) is None


# --- the member's registrations and timeline --------------------------------------------------------


def test_my_registrations_upcoming_and_past(app):
    mei = make_member()
    now = utcnow()
    soon, later = make_event(title="Soon"), make_event(title="Later", starts_at=now + timedelta(days=9))
    past = make_event(title="Past", starts_at=now - timedelta(days=20) + timedelta(minutes=5))
    draft = make_event(title="Draft", status="draft")
    dropped = make_event(title="Dropped")
    for event in (later, soon, dropped):
        services.register(mei, event)
    services.register(mei, past, now=now - timedelta(days=21))
    services.cancel_registration(services.registration_of(mei, dropped))
    db.session.add(Registration(event_id=draft.id, member_id=mei.id, status="confirmed"))
    db.session.flush()

    upcoming, ended = services.my_registrations(mei, now=now)
    assert [r.event.title for r in upcoming] == ["Soon", "Later"]
    assert [r.event.title for r in ended] == ["Past"]


def test_a_registration_shows_in_the_recent_activity_with_the_events_title(app):
    mei = make_member(name="Mei Lin")
    event = make_event(title="Tea tasting", title_zh="品茶會")
    services.register(mei, event)
    [first, *_] = recent_activity(mei)
    assert (first.source, first.kind, first.ref_id, first.reason_params) == \
        ("event", "confirmed", event.id, {"event_id": event.id})
    with app.test_request_context():
        assert str(first.label) == "Registered for an event"
        assert describe_reasons([first])(first) == "Tea tasting"
    with app.test_request_context(), force_locale("zh_Hant"):
        assert describe_reasons([first])(first) == "品茶會"


def test_a_cancelled_registration_shows_when_it_was_cancelled(app):
    mei = make_member(name="Mei Lin")
    registration = services.register(mei, make_event(), now=utcnow() - timedelta(days=3))
    services.cancel_registration(registration)
    [first, *_] = recent_activity(mei)
    assert first.kind == "cancelled" and first.when == registration.cancelled_at


def test_the_home_shows_registrations_within_its_query_budget(client):
    """tests/members/test_queries.py holds the home to 7 queries; the events add none but the names of
    the events it shows (one query for every kind of name)."""
    mei = make_member(name="Mei Lin", email="mei.events@example.com", tier="silver")
    ledger.earn(mei, 100, "purchase", "events-home", reason="A purchase")
    db.session.commit()
    login(client, "mei.events@example.com")
    with counting_queries() as without_events:
        assert client.get("/").status_code == 200
    for n in range(12):
        services.register(mei, make_event(title=f"Evening {n}"))
    db.session.commit()
    with counting_queries() as statements:
        response = client.get("/")
    html = response.get_data(as_text=True)
    assert "Registered for an event" in html and "Evening 11" in html
    assert len(statements) == len(without_events) + 1 <= 8, "\n".join(statements)
    assert len([s for s in statements if "FROM events" in s]) == 1


def test_all_events_lists_the_next_first_then_the_past(app):
    now = utcnow()
    far = make_event(title="Far", starts_at=now + timedelta(days=30))
    near = make_event(title="Near", starts_at=now + timedelta(days=1))
    old = make_event(title="Old", starts_at=now - timedelta(days=40))
    older = make_event(title="Older", starts_at=now - timedelta(days=90))
    draft = make_event(title="Draft", status="draft", starts_at=now + timedelta(days=2))
    assert [e.id for e in services.all_events()] == [near.id, draft.id, far.id, old.id, older.id]
    assert [e.id for e in services.all_events("draft")] == [draft.id]


def test_correcting_an_event_that_is_over_is_no_news(app):
    event = make_event(starts_at=utcnow() - timedelta(days=2))
    registration = services.register(make_member(), make_event())  # another event's member: untouched
    assert services.update_event(event, event_fields(event, address="12 Songren Road"), make_staff()) is False
    assert event.sequence == 0 and news_jobs() == [] and registration.told_sequence == 0


def test_cancelling_and_registering_again_raise_the_calendar_files_sequence(app):
    member, event = make_member(), make_event()
    registration = services.register(member, event)

    def sequence():
        return int(Calendar.from_ical(messages.calendar_file(registration).data).walk("VEVENT")[0]["SEQUENCE"])

    assert sequence() == 0
    services.cancel_registration(registration)
    assert sequence() == 1
    registration = services.register(member, event)
    assert sequence() == 2
