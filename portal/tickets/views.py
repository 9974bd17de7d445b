"""Tickets pages for members: "My tickets", "New ticket", a ticket's page (its status and history, the
clock in words, the conversation, never internal notes) with "Send reply" and "Confirm resolution",
and the ticket's pictures, served only to its member. Every form works without JavaScript
(POST/redirect/GET); htmx only swaps the reply form's result in. The staff's pages are in admin.py."""

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.access import member_required
from portal.auth.reauth import account_key
from portal.extensions import db, limiter
from portal.htmx import hx_redirect, render_page
from portal.ids import query_int
from portal.tickets import choices, services
from portal.tickets.forms import ConfirmForm, NewTicketForm, ReplyForm
from portal.tickets.models import MAX_FILES
from portal.uploads import pictures

bp = Blueprint("tickets", __name__)

TICKETS_PAGE = 20

# The field of the form each refusal is about (services.REFUSALS); the rest show above the form.
REFUSAL_FIELDS = {"kind": "kind", "subject": "subject", "body": "body", "files": "files", "file_type": "files",
                  "file_size": "files", "file_name": "files", "event": "event", "redemption": "redemption"}
FORM_ALLOWANCE = 64 * 1024  # the text fields and the multipart framing around the pictures


@bp.url_value_preprocessor
def allow_pictures(endpoint, _values):
    """New tickets and replies take up to 3 pictures (one more fits, so "at most 3" can be said);
    runs before CSRFProtect reads the form. Larger requests get 413."""
    if endpoint in ("tickets.new_ticket", "tickets.reply") and request.method == "POST":
        request.max_content_length = (MAX_FILES + 1) * current_app.config["TICKET_ATTACHMENT_BYTES"] + FORM_ALLOWANCE


def _member():
    return current_user._get_current_object()


def _refused(form, refused):
    """Show a TicketRefused next to its field (or above the form): nothing was saved."""
    db.session.rollback()
    name = REFUSAL_FIELDS.get(refused.code)
    if name is not None:
        getattr(form, name).errors = [*(getattr(form, name).errors or []), str(refused.message)]
    else:
        form.form_errors.append(str(refused.message))


def _posted_files(form):
    return [f for f in (form.files.data or []) if getattr(f, "filename", "")]


@bp.get("/tickets")
@member_required
def my_tickets():
    """The member's tickets, newest first, 20 at a time: number, subject, kind, status and the clock in words.

    "Load more" is a link to ?after=<the last ticket shown>: without JavaScript it opens the next 20
    (with a link back to the newest), with htmx the same URL answers with the `tickets` block, whose
    rows the link appends to the list.
    """
    after = query_int("after")
    tickets, more = services.member_tickets(_member(), after_id=after, limit=TICKETS_PAGE)
    return render_page("tickets/mine.html", block="tickets", rows=[(t, services.clock(t)) for t in tickets],
                       after=after, has_more=more)


@bp.route("/tickets/new", methods=["GET", "POST"])
@member_required
@limiter.limit(lambda: current_app.config["TICKET_NEW_LIMIT"], key_func=account_key, methods=["POST"])
def new_ticket():
    member = _member()
    form = NewTicketForm()
    form.setup_choices(choices.event_choices(member), choices.voucher_choices(member))
    if request.method == "GET":
        return render_page("tickets/new.html", form=form)
    if not form.validate():  # the CSRF token, or a one-line subject with a line break in it
        return render_page("tickets/new.html", form=form, status=422)
    try:
        event = choices.own_event(member, form.event.data)
        if form.event.data and event is None:
            raise services.TicketRefused("event")
        redemption = choices.own_redemption(member, form.redemption.data)
        if form.redemption.data and redemption is None:
            raise services.TicketRefused("redemption")
        ticket = services.open_ticket(member, form.kind.data, form.subject.data, form.body.data, event=event,
                                      redemption=redemption, files=_posted_files(form))
    except services.TicketRefused as refused:
        _refused(form, refused)
        return render_page("tickets/new.html", form=form, status=422)
    db.session.commit()
    flash(_("Thank you: your ticket %(number)s is filed. We emailed you a confirmation.", number=ticket.number),
          "success")
    return hx_redirect(url_for("tickets.ticket", number=ticket.number))


def _ticket_page(found, reply_form=None, status=200):
    """The ticket's page: status and history, clock, conversation, the score, the reply form."""
    return render_page(
        "tickets/ticket.html", status=status, ticket=found, clock=services.clock(found),
        history=services.history(found), messages=services.conversation(found, include_internal=False),
        score=services.satisfaction_score(found) if found.status in ("resolved", "closed") else None,
        reply_form=reply_form or ReplyForm(formdata=None), confirm_form=ConfirmForm(formdata=None))


@bp.get("/tickets/<number>")
@member_required
def ticket(number):
    """The member's own ticket (another member's: 404)."""
    found = services.ticket_for_member(_member(), number) or abort(404)
    return _ticket_page(found)


@bp.post("/tickets/<number>/reply")
@member_required
@limiter.limit(lambda: current_app.config["TICKET_REPLY_LIMIT"], key_func=account_key)
def reply(number):
    """The member writes on their ticket; waiting on them or resolved, it reopens (the clock runs again)."""
    member = _member()
    found = services.ticket_for_member(member, number) or abort(404)
    form = ReplyForm()
    if not form.validate():
        return _ticket_page(found, form, status=422)
    try:
        services.member_reply(found, member, form.body.data, files=_posted_files(form))
    except services.TicketRefused as refused:
        _refused(form, refused)
        found = services.ticket_for_member(member, number) or abort(404)
        return _ticket_page(found, form, status=422)
    db.session.commit()
    flash(_("Your reply is sent."), "success")
    return hx_redirect(url_for("tickets.ticket", number=number))


@bp.post("/tickets/<number>/confirm")
@member_required
def confirm(number):
    """The member confirms their resolved ticket is done: it closes."""
    member = _member()
    found = services.ticket_for_member(member, number) or abort(404)
    if not ConfirmForm().validate():
        abort(400)
    try:
        services.confirm_resolution(found, member)
    except services.IllegalMove:
        db.session.rollback()
        flash(_("Only a resolved ticket can be confirmed."), "error")
        return hx_redirect(url_for("tickets.ticket", number=number), status=303)
    db.session.commit()
    flash(_("Thank you for confirming. Your ticket %(number)s is closed.", number=number), "success")
    return hx_redirect(url_for("tickets.ticket", number=number))


@bp.get("/tickets/<number>/files/<int:attachment_id>")
@member_required
def attachment(number, attachment_id):
    """A picture of the member's own ticket (anyone else's, or another ticket's: 404), never cached."""
    found = services.ticket_for_member(_member(), number) or abort(404)
    picture = services.attachment_of(found, attachment_id) or abort(404)
    return send_picture(picture)


def send_picture(picture):
    """The ticket's stored picture inline, under the name it was sent with, with its stored type; not
    cached, not sniffed (staff pages serve it the same way)."""
    return pictures.send_private(picture.stored_name, services.PICTURE_FOLDER, picture.content_type,
                                 picture.original_name)
