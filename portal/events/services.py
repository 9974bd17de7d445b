"""Events: registering, cancelling, the waitlist, capacity, check-in, and the staff's changes.

Capacity and the waitlist go through this module only. Every change to who holds a place at an
event first locks the event row (SELECT … FOR UPDATE on PostgreSQL; on SQLite every transaction
begins IMMEDIATE, see portal/sqlite.py), then counts: so 50 members registering at once for 10
places give exactly 10 confirmed, and a freed place goes to the first in the queue, once.
Lock order, everywhere: the event row, then its registrations, then the member (the ledger locks it).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from portal.audit.services import record
from portal.events import messages
from portal.events.locks import lock_event, locked_registration
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member, Tier
from portal.models import utcnow

# What the event form sets by assignment; capacity, status and the time and place have their own functions.
DETAIL_FIELDS = ("title", "title_zh", "description", "description_zh", "registration_opens_at",
                 "registration_closes_at", "min_tier_id", "attendance_points", "cancel_cutoff_hours")
# A change to any of these is news to everyone registered: a new calendar file, SEQUENCE + 1.
SCHEDULE_FIELDS = ("starts_at", "ends_at", "online", "online_url", "venue", "address")


@dataclass(frozen=True)
class Refusal:
    """Why a member cannot register (or cancel): `code` is one of REFUSALS; `tier` and `date` go
    with some of them."""

    code: str
    tier: Tier | None = None
    date: datetime | None = None


# draft/cancelled: the event is not open; not_yet: registration opens at `date`; closed: it closed
# at `date`; started; tier: `tier` opens it; registered: they already hold a registration;
# cutoff: cancelling closed at `date`; not_registered: nothing to cancel.
REFUSALS = ("draft", "cancelled", "not_yet", "closed", "started", "tier", "registered", "cutoff",
            "not_registered")


class RegistrationRefused(Exception):
    """The rules do not allow this registration or cancellation; `refusal` says why."""

    def __init__(self, refusal):
        super().__init__(refusal.code)
        self.refusal = refusal


class EventError(Exception):
    """A staff change that cannot be made: `code` says why (capacity: below the `confirmed` count;
    status: not possible in the event's status; checked_in: the registration was attended)."""

    def __init__(self, code, confirmed=None):
        super().__init__(code)
        self.code = code
        self.confirmed = confirmed


class CheckInError(Exception):
    """A check-in that cannot be made: `code` is unknown, other_event, cancelled, waitlisted,
    already or not_registered; `registration` is the one found, if any."""

    def __init__(self, code, registration=None):
        super().__init__(code)
        self.code = code
        self.registration = registration


# What other features do when a member is checked in (surveys invites to its after-event surveys):
# functions taking the registration, called at the end of check_in(), in its transaction. Events
# imports none of them: create_app() registers them through after_check_in().
AFTER_CHECK_IN = []


def after_check_in(reaction):
    """Call `reaction(registration)` after every check-in (once, however often it is registered)."""
    if reaction not in AFTER_CHECK_IN:
        AFTER_CHECK_IN.append(reaction)
    return reaction


# ---- reading --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    confirmed: int = 0
    waitlisted: int = 0
    attended: int = 0

    def places_left(self, event):
        return max(event.capacity - self.confirmed, 0)


def _counts_query(event_ids):
    return (
        select(Registration.event_id,
               func.count().filter(Registration.status == "confirmed"),
               func.count().filter(Registration.status == "waitlisted"),
               func.count().filter(Registration.status == "confirmed", Registration.checked_in_at.is_not(None)))
        .where(Registration.event_id.in_(event_ids), Registration.status != "cancelled")
        .group_by(Registration.event_id)
    )


def counts_for(events):
    """{event id: Counts} for `events`, in one query whatever their number."""
    ids = [event.id for event in events]
    found = {event_id: Counts(*numbers) for event_id, *numbers in db.session.execute(_counts_query(ids))} if ids else {}
    return {event_id: found.get(event_id, Counts()) for event_id in ids}


def counts(event):
    """The event's Counts: confirmed, waitlisted, attended."""
    return counts_for([event])[event.id]


def _confirmed_count(event_id):
    return db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.event_id == event_id, Registration.status == "confirmed"))


def waitlist_position(registration):
    """How many are ahead of a waitlisted registration, plus one (None when it is not waitlisted)."""
    if registration.status != "waitlisted":
        return None
    ahead = db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.event_id == registration.event_id, Registration.status == "waitlisted",
        (Registration.queued_at < registration.queued_at)
        | ((Registration.queued_at == registration.queued_at) & (Registration.id < registration.id)),
    ))
    return ahead + 1


def registration_of(member, event):
    """The member's registration for `event` (any status), or None."""
    return db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.member_id == member.id))


def why_not(event, member, registration=None, now=None):
    """The reason `member` cannot register for `event` now, or None when they can."""
    now = now or utcnow()
    if event.status != "published":
        return Refusal(event.status)
    if event.starts_at <= now:
        return Refusal("started")
    if event.registration_opens_at is not None and event.registration_opens_at > now:
        return Refusal("not_yet", date=event.registration_opens_at)
    if event.closes_at <= now:
        return Refusal("closed", date=event.closes_at)
    if event.min_tier is not None and event.min_tier.rank > member.tier.rank:
        return Refusal("tier", tier=event.min_tier)
    if registration is not None and registration.status != "cancelled":
        return Refusal("registered")
    return None


def why_not_cancel(event, registration, now=None):
    """The reason a member cannot cancel `registration` themselves now, or None when they can."""
    now = now or utcnow()
    if registration is None or registration.status == "cancelled":
        return Refusal("not_registered")
    if event.status == "cancelled":
        return Refusal("cancelled")
    if registration.checked_in_at is not None or event.starts_at <= now:
        return Refusal("started")
    if registration.status == "confirmed" and event.cancel_until <= now:
        return Refusal("cutoff", date=event.cancel_until)
    return None  # a waitlisted member may always leave the queue before the start


# ---- registering and cancelling ------------------------------------------------------------

def register(member, event, now=None):
    """Register `member` for `event`: confirmed while places remain, else waitlisted at the end of
    the queue; the member is emailed. Raises RegistrationRefused (nothing is written)."""
    event = lock_event(event.id)
    now = now or utcnow()  # read once the lock is held: the queue's order is the order of the lock
    registration = locked_registration(event.id, member.id)
    if (refusal := why_not(event, member, registration, now)) is not None:
        raise RegistrationRefused(refusal)
    status = "confirmed" if _confirmed_count(event.id) < event.capacity else "waitlisted"
    if registration is None:
        registration = Registration(event_id=event.id, member_id=member.id, revision=0)
        db.session.add(registration)
    else:
        registration.revision += 1  # registered again: the calendar copy of the cancellation is replaced
    registration.status, registration.registered_at = status, now
    registration.queued_at = now if status == "waitlisted" else None
    registration.confirmed_at = now if status == "confirmed" else None
    registration.cancelled_at = registration.cancelled_by_staff_id = registration.reminded_at = None
    registration.told_sequence = event.sequence
    db.session.flush()
    messages.tell_registered(registration, position=waitlist_position(registration))
    return registration


def cancel_registration(registration, staff=None, reason="", now=None):
    """Cancel a registration, by the member (before the cut-off) or by `staff` (any time before the
    start); a freed place goes to the waitlist at once. Raises RegistrationRefused."""
    now = now or utcnow()
    event = lock_event(registration.event_id)
    registration = locked_registration(event.id, registration.member_id)
    refusal = why_not_cancel(event, registration, now)
    if staff is not None and refusal is not None and refusal.code == "cutoff":
        refusal = None  # staff may cancel after the members' cut-off
    if refusal is not None:
        raise RegistrationRefused(refusal)
    was = registration.status
    registration.status, registration.cancelled_at, registration.queued_at = "cancelled", now, None
    registration.revision += 1
    registration.cancelled_by_staff_id = staff.id if staff is not None else None
    db.session.flush()
    if staff is not None:
        record("registration.cancel", registration, actor=staff, member=registration.member, at=now,
               reason=reason or "", before={"status": was}, after={"status": "cancelled", "event": event.id})
    messages.tell_cancelled(registration, by_staff=staff is not None, reason=reason or "",
                            had_place=was == "confirmed")
    if was == "confirmed":
        promote_from_waitlist(event, now)
    return registration


def promote_from_waitlist(event, now=None):
    """Confirm the first waitlisted members, in order, while the event has places; each is told.
    The caller holds the event's lock (lock_event). Returns the registrations promoted."""
    now = now or utcnow()
    free = event.capacity - _confirmed_count(event.id)
    if free <= 0 or event.status != "published" or event.starts_at <= now:
        return []
    promoted = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.status == "waitlisted")
        .order_by(Registration.queued_at, Registration.id).limit(free)
        .with_for_update().execution_options(populate_existing=True)
    ).all()
    for registration in promoted:
        registration.status, registration.confirmed_at, registration.queued_at = "confirmed", now, None
        registration.told_sequence = event.sequence
    db.session.flush()
    for registration in promoted:
        messages.tell_promoted(registration)
    return promoted


# ---- the member's registrations --------------------------------------------------------------

def my_registrations(member, now=None):
    """(upcoming, past): the member's registrations not cancelled, with their events; upcoming soonest
    first, past (ended) latest first."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(Registration).join(Registration.event)
        .options(joinedload(Registration.event).joinedload(Event.min_tier))
        .where(Registration.member_id == member.id, Registration.status != "cancelled",
               Event.status != "draft")
        .order_by(Event.starts_at)
    ).all()
    upcoming = [row for row in rows if row.event.ends_at > now]
    past = [row for row in reversed(rows) if row.event.ends_at <= now]
    return upcoming, past


# ---- check-in ---------------------------------------------------------------------------------

def check_in(registration, staff, event=None, now=None):
    """Mark a confirmed registration attended and award the event's points once, through the ledger
    (one idempotency key per registration). `event`: the event the staff page is for. Audited.
    Raises CheckInError (nothing changes)."""
    now = now or utcnow()
    if event is not None and registration.event_id != event.id:
        raise CheckInError("other_event", registration)
    event = lock_event(registration.event_id)
    registration = locked_registration(event.id, registration.member_id)
    if registration.status in ("cancelled", "waitlisted"):
        raise CheckInError(registration.status, registration)
    if registration.checked_in_at is not None:
        raise CheckInError("already", registration)
    if event.status != "published":
        raise CheckInError("event_" + event.status, registration)
    registration.checked_in_at, registration.checked_in_by_staff_id = now, staff.id
    if event.attendance_points > 0:
        entry = ledger.earn(registration.member, event.attendance_points, "event_attendance",
                            f"event-attendance:{registration.id}", reason_code="event_attendance",
                            reason_params={"event_id": event.id}, actor=staff, at=now)
        registration.points_entry_id = entry.id
    db.session.flush()
    record("registration.check_in", registration, actor=staff, member=registration.member, at=now,
           after={"event": event.id, "points": event.attendance_points})
    for reaction in AFTER_CHECK_IN:
        reaction(registration)
    return registration


def registration_for_member(event, member_id):
    """The member's registration for `event` with its member, or None."""
    return db.session.scalar(
        select(Registration).options(joinedload(Registration.member))
        .where(Registration.event_id == event.id, Registration.member_id == member_id)
    )


# ---- staff: events ------------------------------------------------------------------------------

def all_events(status=None):
    """Every event (or those of `status`), the next to start first, then the past, latest first."""
    now = utcnow()
    query = select(Event).options(joinedload(Event.min_tier))
    if status:
        query = query.where(Event.status == status)
    return db.session.scalars(query.order_by(
        case((Event.ends_at > now, 0), else_=1), case((Event.ends_at > now, Event.starts_at)),
        Event.starts_at.desc(), Event.id.desc())).all()


def _plain(value):
    if isinstance(value, datetime):  # a moment in any zone (a form's local time) compared as UTC
        return value.astimezone(UTC).isoformat()
    return value.isoformat() if isinstance(value, date) else value


def _state(event, fields):
    return {field: _plain(getattr(event, field)) for field in fields}


def create_event(fields, staff, picture=None):
    """A new draft event from `fields` (DETAIL_FIELDS, SCHEDULE_FIELDS and capacity); audited.
    `picture` is a stored picture's file name."""
    event = Event(**{field: fields[field] for field in (*DETAIL_FIELDS, *SCHEDULE_FIELDS, "capacity")},
                  status="draft", picture=picture)
    db.session.add(event)
    db.session.flush()
    record("event.create", event, actor=staff, after=_state(event, (*DETAIL_FIELDS, *SCHEDULE_FIELDS, "capacity")))
    return event


def update_event(event, fields, staff, picture=None, now=None):
    """Change an event's details and its time or place; a changed time or place raises the calendar
    SEQUENCE and everyone registered is emailed an updated calendar file. Capacity changes go
    through change_capacity(). Audited. Returns whether the time or place changed."""
    event = lock_event(event.id)
    if event.status == "cancelled":
        raise EventError("status")
    every = (*DETAIL_FIELDS, *SCHEDULE_FIELDS, "picture")
    before = _state(event, every)
    over = event.ends_at <= (now or utcnow())
    for field in (*DETAIL_FIELDS, *SCHEDULE_FIELDS):
        setattr(event, field, fields[field])
    if picture:
        event.picture = picture
    after = _state(event, every)
    changed = sorted(key for key in every if after[key] != before[key])
    # An event that is over has no calendar to update: correcting its address is no news.
    moved = any(key in SCHEDULE_FIELDS for key in changed) and not over
    if moved and event.status == "published":
        event.sequence += 1
        if "starts_at" in changed:
            _renew_reminders(event)
    db.session.flush()
    db.session.refresh(event)  # min_tier follows min_tier_id
    if changed:
        record("event.update", event, actor=staff, at=now, before={k: before[k] for k in changed},
               after={k: after[k] for k in changed})
    if moved and event.status == "published":
        messages.tell_changed_later(event)
    return moved


def _renew_reminders(event):
    """A new start time deserves its own reminder: the ones already sent are forgotten."""
    db.session.execute(
        Registration.__table__.update().where(Registration.event_id == event.id).values(reminded_at=None))


def change_capacity(event, capacity, staff, now=None):
    """Raise or lower the capacity, never below the confirmed count; raising it promotes the first
    waitlisted members at once. Audited; raises EventError("capacity")."""
    now = now or utcnow()
    event = lock_event(event.id)
    confirmed = _confirmed_count(event.id)
    if capacity < max(confirmed, 1):
        raise EventError("capacity", confirmed=confirmed)
    before = event.capacity
    if capacity == before:
        return []
    event.capacity = capacity
    db.session.flush()
    record("event.capacity", event, actor=staff, at=now, before={"capacity": before}, after={"capacity": capacity})
    return promote_from_waitlist(event, now)


def publish(event, staff, now=None):
    """Put a draft event on the members' list; audited."""
    now = now or utcnow()
    event = lock_event(event.id)
    if event.status != "draft":
        raise EventError("status")
    event.status, event.published_at = "published", now
    db.session.flush()
    record("event.publish", event, actor=staff, at=now, before={"status": "draft"}, after={"status": "published"})
    return event


def cancel_event(event, reason, staff, now=None):
    """Cancel an event: everyone registered or waitlisted is emailed by a job (with a calendar file
    that removes it); the registrations stay as the record of who was registered. Audited; raises
    EventError("status")."""
    now = now or utcnow()
    event = lock_event(event.id)
    if event.status == "cancelled":
        raise EventError("status")
    was = event.status
    event.status, event.cancelled_at, event.cancel_reason = "cancelled", now, (reason or "").strip()
    event.sequence += 1
    db.session.flush()
    record("event.cancel", event, actor=staff, at=now, reason=event.cancel_reason,
           before={"status": was}, after={"status": "cancelled"})
    if was == "published":
        messages.tell_changed_later(event)
    return event


def registrations(event, status=None):
    """The event's registrations (of `status`), with members: confirmed first, then the waitlist in
    order, then cancelled."""
    query = select(Registration).options(joinedload(Registration.member).joinedload(Member.tier)) \
        .where(Registration.event_id == event.id)
    if status:
        query = query.where(Registration.status == status)
    order = case((Registration.status == "confirmed", 0), (Registration.status == "waitlisted", 1), else_=2)
    return db.session.scalars(query.order_by(order, Registration.queued_at, Registration.registered_at,
                                             Registration.id)).all()


# ---- check-in tokens: what the QR code on a member's event page carries -------------------------

CHECK_IN_SALT = "event-check-in"


def _check_in_serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CHECK_IN_SALT)


def check_in_token(registration):
    """A signed token naming the registration (and its event), for its check-in QR code."""
    return "R." + _check_in_serializer().dumps([registration.id, registration.event_id])


def registration_for_token(token):
    """The registration a check-in token names, or None when it is tampered with or not one of ours."""
    text = (token or "").strip()
    if not text.startswith("R."):
        return None
    try:
        registration_id, event_id = _check_in_serializer().loads(text[2:])
    except (BadSignature, TypeError, ValueError):
        return None
    registration = db.session.get(Registration, registration_id) if isinstance(registration_id, int) else None
    return registration if registration is not None and registration.event_id == event_id else None
