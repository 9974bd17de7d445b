"""Events pages for members (scaffold: the member-side helper replaces this file)."""

from flask import Blueprint, abort

from portal.auth.access import member_required
from portal.events.models import Event
from portal.extensions import db
from portal.htmx import render_page

bp = Blueprint("events", __name__)


@bp.get("/events")
@member_required
def events():
    return render_page("events/list.html")


@bp.get("/events/<int:event_id>")
@member_required
def event(event_id):
    return render_page("events/event.html", event=db.session.get(Event, event_id) or abort(404))
