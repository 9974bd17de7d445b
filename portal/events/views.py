"""Events pages for members: the upcoming events, an event's page with Register and Cancel
registration, the registration's calendar file, and "My events". The staff's pages are in admin.py."""

from flask import Blueprint, abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.access import member_required
from portal.events import browse, calendar, services
from portal.events.forms import CancelRegistrationForm, RegisterForm
from portal.extensions import db
from portal.htmx import is_partial, render_page
from portal.i18n import localized
from portal.ids import query_int
from portal.presentation import qr_svg

bp = Blueprint("events", __name__)

EVENTS_PAGE = 20


def _member():
    return current_user._get_current_object()


@bp.get("/events")
@member_required
def events():
    """The upcoming events as cards, 20 at a time; the filters are links that swap the list with htmx.

    "Load more" is a link to ?after=<the last event shown> (with the filter): without JavaScript it
    opens the next 20 (with a link back to the soonest), with htmx the same URL answers with the
    `results` block, whose cards the link appends to the list.
    """
    member = _member()
    show = request.args.get("show", "")
    show = show if show in browse.FILTERS else ""
    after = query_int("after")
    views, more = browse.upcoming(member, show or None, after_id=after, limit=EVENTS_PAGE)
    return render_page("events/list.html", block="results", member=member, show=show, after=after,
                       views=views, has_more=more)


@bp.get("/events/mine")
@member_required
def mine():
    upcoming, past = services.my_registrations(_member())
    return render_page("events/mine.html", upcoming=upcoming, past=past)


def _event_page(event_id, status=200, refusal=None, asked=None, done=None):
    """The event's page, or only its status part for htmx. `refusal`: why what the member `asked`
    for ("register", "cancel") was refused; `done`: what just happened ("registered", "cancelled")."""
    member = _member()
    view = browse.event_view(member, event_id) or abort(404)
    qr = None
    if view.status == "confirmed" and view.event.status == "published" and not view.over:
        qr = qr_svg(services.check_in_token(view.registration),
                    _("Check-in code for %(event)s", event=localized(view.event, "title")))
    return render_page("events/event.html", block="status", status=status, member=member, view=view,
                       event=view.event, qr=qr, asked_refusal=refusal, asked=asked, done=done,
                       register_form=RegisterForm(), cancel_form=CancelRegistrationForm(), swapped_alone=is_partial())


@bp.get("/events/<int:event_id>")
@member_required
def event(event_id):
    return _event_page(event_id)


def _after(event_id, done, message):
    """After a change: the status part for htmx (which says what happened), else POST/redirect/GET."""
    if is_partial():
        return _event_page(event_id, done=done)
    flash(message, "success")
    return redirect(url_for("events.event", event_id=event_id), 303)


@bp.post("/events/<int:event_id>/register")
@member_required
def register(event_id):
    view = browse.event_view(_member(), event_id) or abort(404)
    if not RegisterForm().validate():
        abort(400)
    try:
        registration = services.register(_member(), view.event)
    except services.RegistrationRefused as refused:
        db.session.rollback()  # nothing is kept
        return _event_page(event_id, status=422, refusal=refused.refusal, asked="register")
    db.session.commit()
    title = localized(view.event, "title")
    if registration.status == "confirmed":
        message = _("You are registered for “%(event)s”. We emailed you the details.", event=title)
    else:
        message = _("“%(event)s” is full: you are on the waitlist. We will tell you when a place opens.", event=title)
    return _after(event_id, "registered", message)


@bp.post("/events/<int:event_id>/cancel")
@member_required
def cancel(event_id):
    member = _member()
    registration = browse.my_registration(member, event_id) or abort(404)
    if not CancelRegistrationForm().validate():
        abort(400)
    try:
        services.cancel_registration(registration)
    except services.RegistrationRefused as refused:
        db.session.rollback()
        return _event_page(event_id, status=422, refusal=refused.refusal, asked="cancel")
    db.session.commit()
    return _after(event_id, "cancelled", _("Your registration for “%(event)s” is cancelled.",
                                           event=localized(registration.event, "title")))


@bp.get("/events/<int:event_id>/calendar.ics")
@member_required
def calendar_file(event_id):
    """The member's own registration as a calendar file; none for a place they do not hold."""
    registration = browse.my_registration(_member(), event_id)
    if registration is None or registration.status != "confirmed":
        abort(404)
    response = make_response(calendar.registration_ics(registration))
    response.mimetype = calendar.CONTENT_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{calendar.file_name(registration.event)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
