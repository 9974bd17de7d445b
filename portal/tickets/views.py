"""Tickets pages for members: a ticket's page (the conversation, never internal notes). The staff's
pages are in admin.py."""

from flask import Blueprint, abort
from flask_login import current_user

from portal.auth.access import member_required
from portal.htmx import render_page
from portal.tickets import services

bp = Blueprint("tickets", __name__)


def _member():
    return current_user._get_current_object()


@bp.get("/tickets/<number>")
@member_required
def ticket(number):
    """The member's own ticket (another member's: 404): its status, clock and conversation."""
    member = _member()
    found = services.ticket_for_member(member, number) or abort(404)
    return render_page("tickets/ticket.html", ticket=found, clock=services.clock(found),
                       messages=services.conversation(found, include_internal=False))
