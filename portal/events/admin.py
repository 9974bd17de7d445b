"""Events pages for staff, mounted at /admin/events: the events (add, edit, publish, cancel), their
registrations and waitlist (capacity, cancelling a registration, CSV export) and the check-in desk.

Expansion (and admin) change; operations read every page without its forms.
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import roles
from portal.auth.access import staff_required
from portal.csv_export import csv_response
from portal.events import desk, services
from portal.events.admin_forms import (
    CancelEventForm,
    CancelRegistrationForm,
    CapacityForm,
    CheckInForm,
    CheckInSearchForm,
    EditEventForm,
    NewEventForm,
)
from portal.events.models import EVENT_STATUSES, Event, Registration
from portal.extensions import db
from portal.htmx import is_partial, render_page
from portal.i18n import localized
from portal.members import tiers
from portal.presentation import REGISTRATION_STATUS_NAMES, staff_datetime
from portal.uploads import pictures

bp = Blueprint("events_admin", __name__)

pictures.allow_uploads(bp, {"events_admin.create", "events_admin.update"})


def may_change():
    return current_user.has_role(*roles.EVENTS_WRITE)


def _event(event_id):
    return db.session.get(Event, event_id) or abort(404)


# ---- events ----------------------------------------------------------------------------------

@bp.get("/")
@staff_required(*roles.EVENTS_READ)
def index():
    status = request.args.get("status", "")
    status = status if status in EVENT_STATUSES else ""
    events = services.all_events(status or None)
    return render_page("events/admin_list.html", events=events, counts=services.counts_for(events), shown=status,
                       may_change=may_change())


def _event_form(event=None):
    """The event form: what was posted, else the event's stored values (or blank for a new one)."""
    form = (NewEventForm if event is None else EditEventForm)(obj=event).setup(tiers.all_tiers(), _("Every tier"))
    if event is not None and not form.is_submitted():
        form.fill_from(event)
    return form


def _event_page(event, form=None, capacity_form=None, cancel_form=None, status=200):
    writer = may_change()
    if writer and event.status != "cancelled":
        form = form or _event_form(event)
        cancel_form = cancel_form or CancelEventForm(formdata=None)
    return render_page("events/admin_event.html", status=status, event=event, counts=services.counts(event),
                       may_change=writer, form=form, cancel_form=cancel_form)


@bp.get("/new")
@staff_required(*roles.EVENTS_WRITE)
def new():
    return render_page("events/admin_new.html", form=_event_form())


@bp.post("/new")
@staff_required(*roles.EVENTS_WRITE)
def create():
    form = _event_form()
    if not form.validate():
        return render_page("events/admin_new.html", form=form, status=422)
    picture = pictures.store(form.picture_bytes) if form.picture_bytes else None
    event = services.create_event(form.fields(), current_user, picture=picture)
    db.session.commit()
    flash(_("The event “%(title)s” is saved as a draft. Members see it once you publish it.", title=event.title),
          "success")
    return redirect(url_for("events_admin.edit", event_id=event.id), 303)


@bp.get("/<int:event_id>")
@staff_required(*roles.EVENTS_READ)
def edit(event_id):
    return _event_page(_event(event_id))


@bp.post("/<int:event_id>")
@staff_required(*roles.EVENTS_WRITE)
def update(event_id):
    event = _event(event_id)
    if event.status == "cancelled":
        return _refused(event, _("This event is cancelled: it cannot be changed."))
    form = _event_form(event)
    if not form.validate():
        return _event_page(event, form=form, status=422)
    picture = pictures.store(form.picture_bytes) if form.picture_bytes else None
    try:
        moved = services.update_event(event, form.fields(), current_user, picture=picture)
    except services.EventError:  # cancelled by someone else while this form was open
        return _refused(event, _("This event is cancelled: it cannot be changed."))
    told = services.counts(event)
    db.session.commit()
    if moved and event.status == "published" and (told.confirmed or told.waitlisted):
        flash(ngettext("Saved. The time or place changed: the %(num)d member registered is being emailed an "
                       "updated calendar file.",
                       "Saved. The time or place changed: the %(num)d members registered are being emailed an "
                       "updated calendar file.", told.confirmed + told.waitlisted), "success")
    else:
        flash(_("The event “%(title)s” is saved.", title=event.title), "success")
    return redirect(url_for("events_admin.edit", event_id=event.id), 303)


def _refused(event, message):
    """A change the event's state does not allow: the page again, with why, and 422."""
    db.session.rollback()
    flash(message, "error")
    return _event_page(db.session.get(Event, event.id), status=422)


@bp.post("/<int:event_id>/publish")
@staff_required(*roles.EVENTS_WRITE)
def publish(event_id):
    event = _event(event_id)
    try:
        services.publish(event, current_user)
    except services.EventError:
        return _refused(event, _("Only a draft can be published."))
    db.session.commit()
    flash(_("“%(title)s” is published: members can see it and register.", title=event.title), "success")
    return redirect(url_for("events_admin.edit", event_id=event.id), 303)


@bp.post("/<int:event_id>/cancel")
@staff_required(*roles.EVENTS_WRITE)
def cancel(event_id):
    event = _event(event_id)
    form = CancelEventForm()
    if event.status == "cancelled":
        return _refused(event, _("This event is already cancelled."))
    if not form.validate():
        return _event_page(event, cancel_form=form, status=422)
    was = event.status
    told = services.counts(event)
    try:
        services.cancel_event(event, form.reason.data, current_user)
    except services.EventError:  # cancelled by someone else a moment ago
        return _refused(event, _("This event is already cancelled."))
    db.session.commit()
    if was == "published" and (told.confirmed or told.waitlisted):
        flash(ngettext("The event is cancelled. The %(num)d member registered or on the waitlist is being emailed.",
                       "The event is cancelled. The %(num)d members registered or on the waitlist are being "
                       "emailed.", told.confirmed + told.waitlisted), "success")
    else:
        flash(_("The event is cancelled."), "success")
    return redirect(url_for("events_admin.edit", event_id=event.id), 303)


# ---- registrations ---------------------------------------------------------------------------

def _registrations_page(event, capacity_form=None, cancel_forms=None, status=200):
    rows = services.registrations(event)
    sections = {"confirmed": [], "waitlisted": [], "cancelled": []}
    for row in rows:
        sections[row.status].append(row)
    writer = may_change()
    return render_page(
        "events/admin_registrations.html", status=status, event=event, counts=services.counts(event),
        confirmed=sections["confirmed"], waitlist=sections["waitlisted"], cancelled=sections["cancelled"],
        may_change=writer, capacity_form=capacity_form or CapacityForm(formdata=None, capacity=event.capacity),
        cancel_forms=cancel_forms or {}, blank_cancel=CancelRegistrationForm(formdata=None),
    )


@bp.get("/<int:event_id>/registrations")
@staff_required(*roles.EVENTS_READ)
def registrations(event_id):
    return _registrations_page(_event(event_id))


@bp.post("/<int:event_id>/capacity")
@staff_required(*roles.EVENTS_WRITE)
def capacity(event_id):
    event = _event(event_id)
    form = CapacityForm()
    if event.status == "cancelled":
        form.capacity.errors = [_("This event is cancelled: its capacity cannot change.")]
        return _registrations_page(event, capacity_form=form, status=422)
    if not form.validate():
        return _registrations_page(event, capacity_form=form, status=422)
    try:
        promoted = services.change_capacity(event, form.capacity.data, current_user)
    except services.EventError as error:
        db.session.rollback()
        form.capacity.errors = [ngettext(
            "%(num)d member is confirmed: the capacity cannot be lower than that. Cancel registrations first.",
            "%(num)d members are confirmed: the capacity cannot be lower than that. Cancel registrations first.",
            error.confirmed or 0)]
        return _registrations_page(db.session.get(Event, event_id), capacity_form=form, status=422)
    db.session.commit()
    message = _("The capacity is now %(count)s.", count=format_number(event.capacity))
    if promoted:
        message += " " + ngettext("%(num)d member moved up from the waitlist and was told.",
                                  "%(num)d members moved up from the waitlist and were told.", len(promoted))
    flash(message, "success")
    return redirect(url_for("events_admin.registrations", event_id=event.id), 303)


CANCEL_PROBLEMS = {
    "not_registered": lambda: _("This registration is already cancelled."),
    "cancelled": lambda: _("The event is cancelled: its registrations stay as they are."),
    "started": lambda: _("The event has started: registrations can no longer be cancelled."),
}


@bp.post("/<int:event_id>/registrations/<int:registration_id>/cancel")
@staff_required(*roles.EVENTS_WRITE)
def cancel_registration(event_id, registration_id):
    event = _event(event_id)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    form = CancelRegistrationForm()
    if not form.validate():
        return _registrations_page(event, cancel_forms={registration.id: form}, status=422)
    name = registration.member.name
    try:
        services.cancel_registration(registration, staff=current_user, reason=form.reason.data or "")
    except services.RegistrationRefused as refused:
        db.session.rollback()
        flash(CANCEL_PROBLEMS.get(refused.refusal.code, CANCEL_PROBLEMS["started"])(), "error")
        return _registrations_page(db.session.get(Event, event_id), status=422)
    db.session.commit()
    flash(_("The registration of %(name)s is cancelled and they were told.", name=name), "success")
    return redirect(url_for("events_admin.registrations", event_id=event.id), 303)


# ---- the CSV export --------------------------------------------------------------------------

@bp.get("/<int:event_id>/registrations.csv")
@staff_required(*roles.EVENTS_READ)
def export(event_id):
    """Every registration of the event as CSV: UTF-8 with a BOM, so that Excel reads it as UTF-8."""
    event = _event(event_id)
    return csv_response(_registration_rows(event), f"event-{event.id}-registrations.csv")


def _registration_rows(event):
    yield [_("Member number"), _("Name"), _("Email"), _("Tier"), _("Status"), _("Waitlist position"),
           _("Registered at"), _("Checked in at")]
    position = 0
    for registration in services.registrations(event):
        member = registration.member
        waiting = registration.status == "waitlisted"
        position += waiting
        yield (member.number, member.name, member.email, localized(member.tier, "name"),
               REGISTRATION_STATUS_NAMES[registration.status], position if waiting else "",
               staff_datetime(registration.registered_at),
               staff_datetime(registration.checked_in_at) if registration.checked_in_at else "")


# ---- the check-in desk -----------------------------------------------------------------------

CHECK_IN_PROBLEMS = {
    "unknown": lambda **_k: _("This code is not valid: it was changed or is not one of ours. Type the member "
                              "number instead."),
    "other_event": lambda event=None, **_k: _("This code is for another event: “%(title)s”.",
                                              title=localized(event, "title") if event else ""),
    "not_registered": lambda member=None, **_k: _("%(name)s (%(number)s) is not registered for this event.",
                                                  name=member.name, number=member.number),
    "no_member": lambda **_k: _("No member has this member number."),
    "no_match": lambda query="", **_k: _("No one registered for this event matches “%(query)s”.", query=query),
    "cancelled": lambda registration=None, **_k: _("The registration of %(name)s is cancelled: they cannot be "
                                                   "checked in.", name=registration.member.name),
    "waitlisted": lambda registration=None, **_k: _("%(name)s is on the waitlist, not confirmed: they cannot be "
                                                    "checked in.", name=registration.member.name),
    "already": lambda registration=None, **_k: _("%(name)s is already checked in (at %(time)s). Nothing changed.",
                                                 name=registration.member.name,
                                                 time=staff_datetime(registration.checked_in_at)),
    "event_draft": lambda **_k: _("This event is not published yet: no one can be checked in."),
    "event_cancelled": lambda **_k: _("This event is cancelled: no one can be checked in."),
}


def _waitlist_positions(found):
    return {r.id: services.waitlist_position(r) for r in found if r.status == "waitlisted"}


def _desk_page(event, query="", found=None, problem=None, done=None, status=200, block="result"):
    found = found if found is not None else desk.Found()
    if problem is None and found.problem:
        problem = CHECK_IN_PROBLEMS[found.problem](member=found.member, event=found.event, query=query)
    return render_page(
        "events/admin_check_in.html", block=block, status=status, event=event, counts=services.counts(event),
        search=CheckInSearchForm(formdata=None, q=query), query=query, found=found.registrations,
        positions=_waitlist_positions(found.registrations), problem=problem, done=done, may_change=may_change(),
        oob=is_partial(),
    )


@bp.get("/<int:event_id>/check-in")
@staff_required(*roles.EVENTS_READ)
def check_in(event_id):
    """The check-in desk: find a member by a scanned code, their number or name; `?part=counts`
    (htmx, every few seconds) is the "Checked in: X of Y" line alone."""
    event = _event(event_id)
    if request.args.get("part") == "counts":
        return _desk_page(event, block="counts")
    form = CheckInSearchForm(request.args)
    if not form.validate():
        abort(422)
    query = form.q.data or ""
    return _desk_page(event, query, desk.find(event, query))


@bp.post("/<int:event_id>/check-in")
@staff_required(*roles.EVENTS_WRITE)
def check_in_member(event_id):
    event = _event(event_id)
    form = CheckInForm()
    registration_id = form.registration_id() if form.validate() else None
    if registration_id is None:
        abort(400)
    registration = db.session.get(Registration, registration_id) or abort(404)
    query = form.q.data or ""
    try:
        registration = services.check_in(registration, current_user, event=event)
    except services.CheckInError as error:
        db.session.rollback()
        found = desk.Found([registration]) if error.code != "other_event" else desk.Found()
        problem = CHECK_IN_PROBLEMS[error.code](registration=error.registration,
                                                event=error.registration.event if error.registration else None)
        return _desk_page(db.session.get(Event, event_id), query, found, problem=problem, status=422)
    points = event.attendance_points
    db.session.commit()
    member = registration.member
    if points:
        done = _("%(name)s (%(number)s) is checked in and earned %(points)s points.", name=member.name,
                 number=member.number, points=format_number(points))
    else:
        done = _("%(name)s (%(number)s) is checked in.", name=member.name, number=member.number)
    if is_partial():
        return _desk_page(event, done=done)
    flash(done, "success")
    return redirect(url_for("events_admin.check_in", event_id=event.id), 303)
