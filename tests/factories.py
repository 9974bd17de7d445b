"""Plain functions that make rows for tests: make_member(), make_staff(), make_reward(), make_event()."""

import itertools
from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import StaffUser
from portal.auth.passwords import hash_password
from portal.events.models import Event
from portal.extensions import db
from portal.members.models import Member, Tier
from portal.models import utcnow
from portal.rewards.models import Reward

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


def make_event(title="Test event", starts_in=timedelta(days=7), hours=2, capacity=10, status="published",
               min_tier=None, online=False, **fields):
    """An event starting `starts_in` from now for `hours` (`min_tier` a tier code), flushed. Online
    events get a URL, others a venue, unless given."""
    now = utcnow()
    starts_at = fields.pop("starts_at", now + starts_in)
    event = Event(
        title=title, starts_at=starts_at, ends_at=fields.pop("ends_at", starts_at + timedelta(hours=hours)),
        capacity=capacity, status=status, online=online,
        online_url=fields.pop("online_url", "https://meet.example.com/room-1" if online else ""),
        venue=fields.pop("venue", "" if online else "Taipei Community Hall"),
        min_tier=db.session.scalar(select(Tier).where(Tier.code == min_tier)) if min_tier else None,
        published_at=now if status != "draft" else None, **fields,
    )
    db.session.add(event)
    db.session.flush()
    return event
