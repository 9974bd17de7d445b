"""The check-in desk: what staff type or scan, read as a registration's check-in code, a membership
card's code, a member number or a name, and the registrations of the event it finds.

Check-in itself is services.check_in(); this module only finds.
"""

import re
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from portal.events import services
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.members.card import member_for_card_token
from portal.members.models import Member
from portal.members.search import member_number

MAX_FOUND = 20
# A signed token: base64 pieces joined by dots, the last one the signature (27 characters for ours).
TOKEN_LIKE = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.[A-Za-z0-9_-]{20,}$")


@dataclass
class Found:
    """What the desk found: registrations of this event, or a `problem` (unknown, other_event,
    not_registered, no_member, no_match) with the `member` or `event` it names."""

    registrations: list = field(default_factory=list)
    problem: str | None = None
    member: Member | None = None
    event: Event | None = None


def _with_member(registration):
    return db.session.scalar(select(Registration).options(joinedload(Registration.member).joinedload(Member.tier))
                             .where(Registration.id == registration.id))


def _for_member(event, member_id):
    registration = services.registration_for_member(event, member_id)
    if registration is not None:
        return Found([_with_member(registration)])
    member = db.session.get(Member, member_id)
    if member is None:
        return Found(problem="no_member")
    return Found(problem="not_registered", member=member)


def _by_name(event, text):
    words = text.lower().split()
    matches = and_(*[or_(func.lower(Member.name).contains(word, autoescape=True),
                         func.lower(Member.email).contains(word, autoescape=True)) for word in words])
    found = db.session.scalars(
        select(Registration).join(Registration.member)
        .options(joinedload(Registration.member).joinedload(Member.tier))
        .where(Registration.event_id == event.id, matches)
        .order_by(func.lower(Member.name), Registration.id).limit(MAX_FOUND)
    ).all()
    return Found(list(found)) if found else Found(problem="no_match")


def find(event, text):
    """The registrations of `event` that `text` names (a check-in code, a card code, a member
    number, or words of a name or email), or the problem why there are none."""
    text = (text or "").strip()
    if not text:
        return Found()
    if text.startswith("R."):
        registration = services.registration_for_token(text)
        if registration is None:
            return Found(problem="unknown")
        if registration.event_id != event.id:
            return Found(problem="other_event", event=registration.event)
        return Found([_with_member(registration)])
    if TOKEN_LIKE.match(text):
        member_id = member_for_card_token(text)
        if member_id is None:
            return Found(problem="unknown")
        return _for_member(event, member_id)
    number = member_number(text)
    if number is not None:
        return _for_member(event, number)
    return _by_name(event, text)
