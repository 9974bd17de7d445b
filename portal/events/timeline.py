"""What events add to the member's timeline and to the reasons on ledger rows.

Members does not import events: create_app() calls register() once the features are loaded.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, func, select

from portal.events.models import Event, Registration
from portal.members import reasons, timeline

KIND_LABELS = {
    "confirmed": _l("Registered for an event"),
    "waitlisted": _l("Joined an event's waitlist"),
    "cancelled": _l("Event registration cancelled"),
}


def registrations_query(member_id, limit):
    """The member's latest registrations, as they stand now: when they registered, or when it was
    cancelled."""
    when = func.coalesce(Registration.cancelled_at, Registration.registered_at)
    return (
        select(when.label("when"), timeline.constant("event").label("source"),
               Registration.status.label("kind"), timeline.no_value(Integer).label("amount"),
               timeline.constant("event").label("reason_code"),
               timeline.no_value(JSON).label("reason_params"), timeline.constant("").label("reason"),
               Registration.event_id.label("ref_id"), Registration.id.label("row_id"))
        .where(Registration.member_id == member_id)
        .order_by(when.desc(), Registration.id.desc()).limit(limit)
    )


def event_names(ids):
    """The titles of the events that a page's reasons name (members/reasons.py runs it)."""
    return select(Event.id.label("key"), Event.title.label("name"), Event.title_zh.label("name_zh")) \
        .where(Event.id.in_(ids))


def register():
    """Add registrations to the timeline, and events' titles to the ledger's reasons."""
    timeline.register_source("event", registrations_query, lambda row: KIND_LABELS.get(row.kind, row.kind),
                             params=lambda row: {"event_id": row.ref_id})
    reasons.register_subject("event", event_names, param="event_id")
    reasons.register_text("event", lambda p: p["event_id"])
    reasons.register_text("event_attendance", lambda p: p["event_id"])
