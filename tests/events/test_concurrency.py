"""Registrations racing on committed data, each thread with its own connection (as in
tests/rewards/test_redemption_concurrency.py), on both databases: never over capacity, one
registration per member, and the queue kept in order whatever races with it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.models import StaffUser
from portal.events import services
from portal.events.models import Event, Registration
from portal.events.services import RegistrationRefused
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members.models import Member
from portal.models import utcnow
from tests.factories import make_event, make_member, make_staff
from tests.helpers import run_together

RACERS = 50
PLACES = 10


def committed(app, members, capacity):
    """`members` members and a published event with `capacity` places, committed: (member ids, event id)."""
    with app.app_context():
        ids = [make_member(name=f"Racer {n}").id for n in range(members)]
        event = make_event("Race night", capacity=capacity)
        db.session.commit()
        return ids, event.id


def register(member_id, event_id):
    """One registration in its own transaction: ("confirmed" | "waitlisted", position told) or ("refused", why)."""
    member = db.session.get(Member, member_id)
    event = db.session.get(Event, event_id)
    try:
        registration = services.register(member, event)
    except RegistrationRefused as refused:
        db.session.rollback()
        return ("refused", refused.refusal.code)
    position = services.waitlist_position(registration)
    db.session.commit()
    return (registration.status, position)


def cancel(member_id, event_id):
    registration = db.session.scalar(select(Registration).where(
        Registration.event_id == event_id, Registration.member_id == member_id))
    services.cancel_registration(registration)
    db.session.commit()
    return ("cancelled", member_id)


def errors_in(results):
    return [result for result in results if isinstance(result, BaseException)]


def standing(event_id):
    """{status: [member ids]}: confirmed by id, the waitlist in its order."""
    rows = db.session.scalars(select(Registration).where(Registration.event_id == event_id)
                              .execution_options(populate_existing=True)).all()
    confirmed = sorted(r.member_id for r in rows if r.status == "confirmed")
    queue = [r.member_id for r in sorted((r for r in rows if r.status == "waitlisted"),
                                         key=lambda r: (r.queued_at, r.id))]
    return {"confirmed": confirmed, "waitlisted": queue,
            "positions": [services.waitlist_position(r) for r in sorted(
                (r for r in rows if r.status == "waitlisted"), key=lambda r: (r.queued_at, r.id))]}


def test_fifty_members_registering_at_once_for_ten_places(committing_app):
    app = committing_app
    ids, event_id = committed(app, RACERS, PLACES)

    results = run_together(app, RACERS, lambda i: register(ids[i], event_id))

    assert errors_in(results) == [], f"unexpected errors: {errors_in(results)!r}"
    statuses = [status for status, _ in results]
    assert statuses.count("confirmed") == PLACES and statuses.count("waitlisted") == RACERS - PLACES
    # each waitlisted member was told a position of their own, 1 to 40, as the queue stood then
    told = sorted(position for status, position in results if status == "waitlisted")
    assert told == list(range(1, RACERS - PLACES + 1))
    with app.app_context():
        now = standing(event_id)
        assert len(now["confirmed"]) == PLACES and len(now["waitlisted"]) == RACERS - PLACES
        assert now["positions"] == list(range(1, RACERS - PLACES + 1))  # distinct, no gaps
        assert db.session.scalar(select(func.count()).select_from(Registration)) == RACERS
        assert services.counts(db.session.get(Event, event_id)) == services.Counts(PLACES, RACERS - PLACES)
        # told by position: a member told "number n" is the n-th in the queue
        told_by_member = {ids[i]: results[i][1] for i in range(RACERS) if results[i][0] == "waitlisted"}
        assert [told_by_member[m] for m in now["waitlisted"]] == now["positions"]
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == RACERS


def test_one_member_double_clicking_registers_once(committing_app):
    app = committing_app
    [member_id], event_id = committed(app, 1, PLACES)

    results = run_together(app, 12, lambda i: register(member_id, event_id))

    assert errors_in(results) == [], f"unexpected errors: {errors_in(results)!r}"
    assert sorted(results) == [("confirmed", None)] + [("refused", "registered")] * 11
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_cancellations_racing_with_registrations_keep_the_queue_in_order(committing_app):
    app = committing_app
    ids, event_id = committed(app, 30, PLACES)
    holders, queued, newcomers = ids[:PLACES], ids[PLACES:20], ids[20:]
    with app.app_context():  # ten places taken, then ten queued in a known order
        event = db.session.get(Event, event_id)
        start = utcnow() - timedelta(minutes=5)
        for n, member_id in enumerate(holders + queued):
            services.register(db.session.get(Member, member_id), event, now=start + timedelta(seconds=n))
        db.session.commit()
    leaving = holders[:5]

    def work(i):
        if i < len(leaving):
            return cancel(leaving[i], event_id)
        return register(newcomers[i - len(leaving)], event_id)

    results = run_together(app, len(leaving) + len(newcomers), work)

    assert errors_in(results) == [], f"unexpected errors: {errors_in(results)!r}"
    # a freed place goes to the first in the queue at once: no newcomer gets one
    assert [r[0] for r in results[len(leaving):]] == ["waitlisted"] * len(newcomers)
    with app.app_context():
        now = standing(event_id)
        assert now["confirmed"] == sorted(holders[5:] + queued[:5])  # the earliest queued were promoted
        assert now["waitlisted"][:5] == queued[5:]  # the rest of the old queue still ahead of newcomers
        assert sorted(now["waitlisted"][5:]) == sorted(newcomers)
        assert now["positions"] == list(range(1, 16))
        assert len(now["confirmed"]) <= db.session.get(Event, event_id).capacity


@pytest.mark.parametrize("raise_by", [5, 15])
def test_a_capacity_raise_racing_with_registrations(committing_app, raise_by):
    app = committing_app
    ids, event_id = committed(app, 25, PLACES)
    holders, queued, newcomers = ids[:PLACES], ids[PLACES:15], ids[15:]
    with app.app_context():
        event = db.session.get(Event, event_id)
        start = utcnow() - timedelta(minutes=5)
        for n, member_id in enumerate(holders + queued):
            services.register(db.session.get(Member, member_id), event, now=start + timedelta(seconds=n))
        staff_id = make_staff("expansion").id
        db.session.commit()

    def work(i):
        if i == len(newcomers):
            promoted = services.change_capacity(db.session.get(Event, event_id), PLACES + raise_by,
                                                db.session.get(StaffUser, staff_id))
            db.session.commit()
            return ("raised", len(promoted))
        return register(newcomers[i], event_id)

    results = run_together(app, len(newcomers) + 1, work)

    assert errors_in(results) == [], f"unexpected errors: {errors_in(results)!r}"
    capacity = PLACES + raise_by
    with app.app_context():
        now = standing(event_id)
        assert db.session.get(Event, event_id).capacity == capacity
        assert len(now["confirmed"]) == min(capacity, 25)  # never over, and no place left empty
        assert set(queued) <= set(now["confirmed"])  # the old queue was ahead of every newcomer
        assert set(now["waitlisted"]) <= set(newcomers)
        assert now["positions"] == list(range(1, 25 - len(now["confirmed"]) + 1))
