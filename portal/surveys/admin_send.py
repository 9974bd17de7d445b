"""Sending a survey, for staff, mounted at /admin/surveys: the "Send" page (choose the audience, see
how many will be invited and how many are left out before sending) and a dispatch's progress,
which htmx polls until it is done.

Operations (and admin) send; service reads the progress.
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import roles
from portal.auth.access import staff_required
from portal.extensions import db
from portal.htmx import render_page
from portal.surveys import dispatch as sending
from portal.surveys.admin_send_forms import SendForm
from portal.surveys.models import Dispatch, Survey

bp = Blueprint("surveys_send", __name__)


REFUSALS = {
    "trigger": lambda: _("This survey is sent automatically (after a ticket is resolved or an event is "
                         "attended): it is not sent by hand."),
    "closed": lambda: _("This survey is closed: it can no longer be sent."),
    "no_questions": lambda: _("This survey has no questions yet: add them before sending it."),
}
AUDIENCE_NAMES = {
    "all": lambda: _("All active members"),
    "tiers": lambda: _("Chosen tiers"),
    "event": lambda: _("Attendees of an event"),
}
TRIGGER_NAMES = {
    "ticket_resolved": lambda: _("after a ticket is resolved"),
    "event_attended": lambda: _("after an event is attended"),
}


def _survey(survey_id):
    return db.session.get(Survey, survey_id) or abort(404)


def _builder_url(survey):
    """The survey's page in the builder."""
    return url_for("surveys_admin.edit", survey_id=survey.id)


def _form(formdata=None):
    kwargs = {} if formdata is None else {"formdata": formdata}
    return SendForm(**kwargs).setup(sending.all_tiers(), sending.past_events())


def _refusal(survey):
    if survey.trigger:
        return REFUSALS["trigger"]()
    if survey.status == "closed":
        return REFUSALS["closed"]()
    if not survey.questions:
        return REFUSALS["no_questions"]()
    return None


def _send_page(survey, form, status=200, block=None):
    size = None
    if not form.errors and (form.audience.data or "all") in ("all", "tiers", "event"):
        size = sending.audience_size(*form.audience_args())
    return render_page("surveys/admin_send.html", block=block, status=status, survey=survey, form=form,
                       size=size, refusal=_refusal(survey), dispatches=sending.dispatches_of(survey),
                       may_send=current_user.has_role(*roles.SURVEYS_WRITE), builder_url=_builder_url(survey),
                       trigger_names=TRIGGER_NAMES, audience_names=AUDIENCE_NAMES)


@bp.get("/<int:survey_id>/send")
@staff_required(*roles.SURVEYS_READ)
def send_page(survey_id):
    return _send_page(_survey(survey_id), _form(formdata=None))


@bp.post("/<int:survey_id>/send")
@staff_required(*roles.SURVEYS_WRITE)
def send(survey_id):
    """Send the survey to the chosen audience; with `check` ("Check audience"), only show how many
    it would invite and leave out (that part alone for htmx)."""
    survey = _survey(survey_id)
    form = _form()
    checking = bool(request.form.get("check"))
    if not form.validate():
        return _send_page(survey, form, status=422, block="audience_size" if checking else None)
    if checking:
        return _send_page(survey, form, block="audience_size")
    audience, tier_ids, event_id = form.audience_args()
    try:
        dispatch = sending.start_dispatch(survey, audience, tier_ids, event_id, current_user)
    except sending.DispatchRefused as refused:
        db.session.rollback()
        flash(REFUSALS[refused.code](), "error")
        return _send_page(_survey(survey_id), form, status=422)
    db.session.commit()
    flash(_("The survey is being sent. This page shows how far it has got."), "success")
    return redirect(url_for("surveys_send.progress", survey_id=survey.id, dispatch_id=dispatch.id), 303)


@bp.get("/<int:survey_id>/send/<int:dispatch_id>")
@staff_required(*roles.SURVEYS_READ)
def progress(survey_id, dispatch_id):
    """A dispatch's progress; htmx polls the counts every 2 seconds until it is done."""
    survey = _survey(survey_id)
    found = db.session.get(Dispatch, dispatch_id)
    if found is None or found.survey_id != survey.id:
        abort(404)
    return render_page("surveys/admin_send_progress.html", block="progress", survey=survey, dispatch=found,
                       progress=sending.progress(found), audience_names=AUDIENCE_NAMES)
