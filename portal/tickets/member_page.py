"""The member's tickets on the staff member page: number, subject, status, and when it is due (or was
resolved or closed), shown only to staff who may read tickets (TICKETS_READ). Each links to the staff
ticket page once that page exists (the endpoint "tickets_admin.ticket")."""

from flask import current_app, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.auth import roles
from portal.extensions import db
from portal.members import staff_page
from portal.models import utcnow
from portal.tickets import services
from portal.tickets.models import Ticket

SHOWN = 50  # the latest tickets; the member page stays one query for this part
STAFF_TICKET = "tickets_admin.ticket"


def member_tickets(member, limit=SHOWN):
    """The member's latest `limit` tickets, newest first, and whether there are more (one query)."""
    found = db.session.scalars(select(Ticket).where(Ticket.member_id == member.id)
                               .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit + 1)).all()
    return found[:limit], len(found) > limit


def ticket_link():
    """A function giving the staff page of a ticket number, or None when the reader may not read
    tickets or the staff ticket page does not exist."""
    if STAFF_TICKET not in current_app.view_functions or not current_user.has_role(*roles.TICKETS_READ):
        return None
    return lambda number: url_for(STAFF_TICKET, number=number)


def _tickets(member, _form):
    if not current_user.has_role(*roles.TICKETS_READ):
        return None  # expansion staff read members, not their tickets (DESIGN.md)
    found, more = member_tickets(member)
    now = utcnow()
    return {"tickets": [(ticket, services.clock(ticket, now)) for ticket in found], "more": more,
            "shown": SHOWN, "link": ticket_link()}


staff_page.add_part("sections", "tickets", "tickets/_member_tickets.html", _tickets)
