"""Plain functions that make rows for tests: make_member(), make_staff(), make_reward(), make_event(),
make_survey(), make_ticket()."""

import itertools
from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import StaffUser
from portal.auth.passwords import hash_password
from portal.events import services as events
from portal.extensions import db
from portal.members.models import Member, Tier
from portal.models import utcnow
from portal.rewards.models import Reward
from portal.surveys import builder
from portal.tickets import services as tickets

PASSWORD = "portal-demo"
_seq = itertools.count(1)


def unique_email(prefix="member"):
    return f"{prefix}{next(_seq)}-{id(_seq) % 10000}@example.com"


def make_member(name="Test Member", email=None, password=PASSWORD, tier="regular",
                status="active", language="en", **fields):
    """An active, verified member at `tier` (a tier code), flushed."""
    member = Member(
        name=name, email=email or unique_email(), password_hash=hash_password(password),
        status=status, language=language,
        email_verified_at=utcnow() if status == "active" else None,
        tier=db.session.scalar(select(Tier).where(Tier.code == tier)), **fields,
    )
    db.session.add(member)
    db.session.flush()
    return member


def make_staff(role="admin", name=None, email=None, password=PASSWORD, language="en"):
    """A staff user with `role`, flushed."""
    staff = StaffUser(
        name=name or f"Staff {role}", email=email or unique_email(role), role=role,
        password_hash=hash_password(password), language=language,
    )
    db.session.add(staff)
    db.session.flush()
    return staff


def make_reward(name="Test reward", points_cost=100, stock=None, min_tier=None, **fields):
    """A reward in the catalogue (`min_tier` a tier code; stock None = unlimited), flushed."""
    reward = Reward(
        name=name, points_cost=points_cost, stock=stock, active=fields.pop("active", True),
        min_tier=db.session.scalar(select(Tier).where(Tier.code == min_tier)) if min_tier else None, **fields,
    )
    db.session.add(reward)
    db.session.flush()
    return reward


def make_event(title="Tea tasting", capacity=10, staff=None, status="published", min_tier=None, starts_at=None,
               starts_in=timedelta(days=7), hours=2, online=False, **fields):
    """An event made through the events services (`status`: draft, published or cancelled, with
    `cancel_reason`), starting at `starts_at` (else `starts_in` from now) for `hours`; `min_tier` a
    tier code. Online events get a URL, others a venue and address, unless given. Flushed."""
    staff = staff or make_staff("expansion")
    starts_at = starts_at or utcnow() + starts_in
    cancel_reason = fields.pop("cancel_reason", "")
    values = {
        "title": title, "title_zh": "", "description": "", "description_zh": "",
        "registration_opens_at": None, "registration_closes_at": None,
        "min_tier_id": db.session.scalar(select(Tier.id).where(Tier.code == min_tier)) if min_tier else None,
        "attendance_points": 0, "cancel_cutoff_hours": 24, "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=hours), "online": online,
        "online_url": "https://meet.example.com/room-1" if online else "",
        "venue": "" if online else "Xinyi flagship", "address": "" if online else "11 Songren Road, Taipei",
        "capacity": capacity, **fields,
    }
    picture = values.pop("picture", None)
    event = events.create_event(values, staff, picture=picture)
    if status in ("published", "cancelled"):
        events.publish(event, staff)
    if status == "cancelled":
        events.cancel_event(event, cancel_reason, staff)
    else:
        event.cancel_reason = cancel_reason  # as a test sets the status by hand
    return event


def event_fields(event, **changes):
    """What the event form would send for `event` (every detail, time and place field), with `changes`."""
    return {field: getattr(event, field) for field in (*events.DETAIL_FIELDS, *events.SCHEDULE_FIELDS)} \
        | changes


def make_survey(title="Member satisfaction", questions=(("rating", "How satisfied are you?"),), staff=None,
                **fields):
    """A draft survey made through the builder, with `questions` as (kind, text) pairs or (kind, text,
    choices) for a choice question (choices: labels, or (label, label_zh) pairs); other survey fields
    (points, trigger, status …) as keywords. Flushed."""
    staff = staff or make_staff("operations")
    status = fields.pop("status", "draft")
    values = {"title": title, "title_zh": "", "introduction": "", "introduction_zh": "", "points": 0,
              "expiry_days": 30, "reminder_days": 3, "anonymous": False, "trigger": None, **fields}
    survey = builder.create_survey(values, staff)
    for kind, text, *rest in questions:
        choices = [choice if isinstance(choice, tuple) else (choice, "") for choice in (rest[0] if rest else ())]
        if kind in builder.CHOICE_KINDS and not choices:
            choices = [("Yes", "是"), ("No", "否")]
        builder.add_question(survey, kind, text, staff, choices=choices)
    if status != "draft":
        survey.status, survey.first_sent_at = status, utcnow()
        db.session.flush()
    return survey


def make_ticket(member=None, kind="complaint", subject="My voucher did not work", body="It was refused at the till.",
                status="new", staff=None, now=None, **fields):
    """A ticket filed through the tickets services by `member` (a new member when None), then moved
    to `status` (new, in_progress, waiting_on_member, resolved, closed) by `staff`. Flushed."""
    member = member or make_member()
    ticket = tickets.open_ticket(member, kind, subject, body, now=now, **fields)
    path = {"new": [], "in_progress": ["in_progress"], "waiting_on_member": ["waiting_on_member"],
            "resolved": ["resolved"], "closed": ["resolved", "closed"]}[status]
    if path:
        staff = staff or make_staff("service")
        for to in path:
            tickets.change_status(ticket, to, staff=staff, now=now)
    return ticket
