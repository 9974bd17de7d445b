"""What tickets add to the member's timeline: each ticket they filed, with its subject.

Members does not import tickets: create_app() calls register() once the features are loaded.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, select

from portal.members import reasons, timeline
from portal.tickets.models import Ticket

KIND_LABELS = {
    "feedback": _l("Sent feedback"),
    "complaint": _l("Made a complaint"),
    "consultation": _l("Asked a question"),
}


def tickets_query(member_id, limit):
    """The member's latest tickets, when they filed them."""
    return (
        select(Ticket.created_at.label("when"), timeline.constant("ticket").label("source"),
               Ticket.kind.label("kind"), timeline.no_value(Integer).label("amount"),
               timeline.constant("ticket").label("reason_code"),
               timeline.no_value(JSON).label("reason_params"), timeline.constant("").label("reason"),
               Ticket.id.label("ref_id"), Ticket.id.label("row_id"))
        .where(Ticket.member_id == member_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
    )


def ticket_subjects(ids):
    """The number and subject of the tickets a page's rows name (the member's own: the timeline is theirs)."""
    return select(Ticket.id.label("key"), (Ticket.number + " · " + Ticket.subject).label("name"),
                  (Ticket.number + " · " + Ticket.subject).label("name_zh")).where(Ticket.id.in_(ids))


def register():
    """Add filed tickets to the timeline, with their number and subject as the detail."""
    timeline.register_source("ticket", tickets_query, lambda row: KIND_LABELS.get(row.kind, row.kind),
                             params=lambda row: {"ticket_id": row.ref_id})
    reasons.register_subject("ticket", ticket_subjects, param="ticket_id")
    reasons.register_text("ticket", lambda p: p["ticket_id"])
