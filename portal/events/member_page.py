"""The member's event registrations on the staff member page: event, status, checked in."""

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.auth import roles
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.members import staff_page

SHOWN = 50  # the latest registrations; a member page stays one query for this part


def member_registrations(member, limit=SHOWN):
    """The member's registrations of every status, with their events, the latest event first."""
    return db.session.scalars(
        select(Registration).join(Registration.event).options(joinedload(Registration.event))
        .where(Registration.member_id == member.id)
        .order_by(Event.starts_at.desc(), Registration.id.desc()).limit(limit)
    ).all()


def _registrations(member, _form):
    return {"registrations": member_registrations(member),
            "event_links": current_user.has_role(*roles.EVENTS_READ)}


staff_page.add_part("sections", "registrations", "events/_member_registrations.html", _registrations)
