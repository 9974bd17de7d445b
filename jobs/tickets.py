"""Ticket jobs: mark SLA breaches and tell the assignee and the team lead once each; close tickets
left resolved for TICKET_AUTO_CLOSE_DAYS."""

from jobs.runs import moment
from jobs.worker import app_context
from portal.extensions import db
from portal.tickets import services


def escalate_tickets(at=None):
    """Mark the open tickets whose first-response or resolution time passed as breached and email
    their assignee (or the service group) and the team lead, once per breach."""
    with app_context():
        counts = services.escalate(moment(at))
        db.session.commit()
        return counts


def close_resolved_tickets(at=None):
    """Close the tickets resolved TICKET_AUTO_CLOSE_DAYS ago or longer."""
    with app_context():
        closed = services.close_resolved(moment(at))
        db.session.commit()
        return {"closed": closed}
