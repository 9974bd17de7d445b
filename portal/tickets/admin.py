"""Tickets pages for staff, mounted at /admin/tickets: the queue (filters with their counts, nearest
due time first) and a ticket's page (the conversation with internal notes, replies, saved replies,
status changes, assignment, and the member at the side).

Service (and admin) change; operations read every page without its forms.
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.auth import roles
from portal.auth.access import staff_required
from portal.auth.models import StaffUser
from portal.extensions import db
from portal.htmx import is_partial, render_page
from portal.models import utcnow
from portal.presentation import TICKET_STATUS_NAMES
from portal.tickets import services
from portal.tickets.admin_forms import AssignForm, ReplyForm, StatusForm
from portal.tickets.models import TICKET_KINDS, TICKET_STATUSES, SavedReply
from portal.uploads import pictures

bp = Blueprint("tickets_admin", __name__)

PAGE_SIZE = 50  # rows of the queue a page (100 rows were two thirds of the page's CPU: docs/performance.md)
DUE_WITHIN_HOURS = 4  # the queue's "Due within 4 h" filter (the rows' "due soon" mark: TICKET_DUE_SOON_HOURS)
CLOCK_FILTERS = ("breached", "due")
# The moves a staff user is offered on a ticket of each status, with their buttons' labels.
MOVE_LABELS = {
    "in_progress": _l("In progress"),
    "waiting_on_member": _l("Waiting on member"),
    "resolved": _l("Resolve"),
    "closed": _l("Close"),
}
STALE = _l("This ticket changed while you were writing. Read the new messages below; your text is kept. "
           "Send it again if it still fits.")


def may_change():
    return current_user.has_role(*roles.TICKETS_WRITE)


def _ticket(number):
    return services.ticket_for_staff(number) or abort(404)


def _staff():
    return current_user._get_current_object()


# ---- the queue ------------------------------------------------------------------------------------

def _shown():
    """The queue's filters as asked for in the query string (anything unknown is ignored)."""
    args = request.args
    shown = {"kind": args.get("kind", ""), "status": args.get("status", ""), "assignee": args.get("assignee", ""),
             "clock": args.get("clock", "")}
    if shown["kind"] not in TICKET_KINDS:
        shown["kind"] = ""
    if shown["status"] not in TICKET_STATUSES:
        shown["status"] = ""
    if shown["assignee"] not in ("me", "none") and not shown["assignee"].isdigit():
        shown["assignee"] = ""
    if shown["clock"] not in CLOCK_FILTERS:
        shown["clock"] = ""
    return shown


def _filters(shown):
    assignee = {"": None, "me": current_user.id, "none": services.UNASSIGNED}.get(shown["assignee"])
    if assignee is None and shown["assignee"].isdigit():
        assignee = int(shown["assignee"]) if 0 < int(shown["assignee"]) < 2**31 else -1  # -1: nobody's id
    return services.QueueFilters(kind=shown["kind"] or None, status=shown["status"] or None, assignee_id=assignee,
                                 breached=shown["clock"] == "breached", due_soon=shown["clock"] == "due",
                                 due_hours=DUE_WITHIN_HOURS)


def _page_number():
    value = request.args.get("page", "1")
    return max(1, min(int(value), 100_000)) if value.isdigit() else 1


@bp.get("/")
@staff_required(*roles.TICKETS_READ)
def queue():
    shown = _shown()
    page = _page_number()
    now = utcnow()
    colleagues = [person for person in services.assignable_staff() if person.id != current_user.id]
    counts = services.queue_counts(now, staff=_staff(), colleagues=colleagues, due_hours=DUE_WITHIN_HOURS)
    rows = services.queue(_filters(shown), now=now, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]

    def link(page=None, **changes):
        """The queue's URL with `changes` to the filters shown (an empty value drops a filter)."""
        args = {**shown, **changes}
        if page and page > 1:
            args["page"] = page
        return url_for("tickets_admin.queue", **{k: v for k, v in args.items() if v})

    return render_page("tickets/admin/queue.html", block="results", rows=rows,
                       clocks={t.id: services.clock(t, now) for t in rows}, counts=counts, shown=shown,
                       colleagues=colleagues, link=link, page=page, more=more, due_hours=DUE_WITHIN_HOURS)


# ---- a ticket -------------------------------------------------------------------------------------

def _reply_form(ticket, saved=None, formdata=None):
    if formdata is not None:
        return ReplyForm(formdata=formdata)
    body = services.saved_reply_text(saved, ticket.member) if saved is not None else ""
    return ReplyForm(formdata=None, body=body, seen_version=ticket.version)


def _saved_reply():
    value = request.args.get("saved", "")
    return db.session.get(SavedReply, int(value)) if value.isdigit() and int(value) < 2**31 else None


def _ticket_page(ticket, *, reply_form=None, stale=None, problem=None, done=None, status=200, block=None):
    """The ticket's page (or, for htmx, its `block`)."""
    writer = may_change()
    member = ticket.member
    context = dict(
        ticket=ticket, member=member, clock=services.clock(ticket), may_change=writer,
        messages=services.conversation(ticket, include_internal=True), history=services.history(ticket),
        stale=stale, problem=problem, done=done, moves=[], saved_replies=[], reply_form=None,
        status_form=None, assign_form=None, score=services.satisfaction_score(ticket),
        balance=member.points_balance, recent=services.recent_tickets(member, limit=5),
    )
    if writer and ticket.status != "closed":
        context.update(
            reply_form=reply_form or _reply_form(ticket),
            saved_replies=services.saved_replies(),
            status_form=StatusForm(formdata=None, seen_version=ticket.version),
            moves=[(to, MOVE_LABELS[to]) for to in MOVE_LABELS if (ticket.status, to) in services.ALLOWED],
            assign_form=AssignForm(formdata=None, assignee=str(ticket.assignee_id or ""))
            .setup(services.assignable_staff()),
        )
    return render_page("tickets/admin/ticket.html", block=block, status=status, **context)


@bp.get("/<number>")
@staff_required(*roles.TICKETS_READ)
def ticket(number):
    """The ticket; `?saved=<id>` fills the reply box with that saved reply (htmx: the box alone)."""
    found = _ticket(number)
    saved = _saved_reply() if may_change() else None
    if saved is not None:
        return _ticket_page(found, reply_form=_reply_form(found, saved), block="reply_box")
    return _ticket_page(found)


def _after_change(ticket, message):
    """A change made: htmx gets the conversation and status again; a plain post a redirect."""
    db.session.commit()
    if is_partial():
        return _ticket_page(services.ticket_for_staff(ticket.number), done=message, block="work")
    flash(message, "success")
    return redirect(url_for("tickets_admin.ticket", number=ticket.number), 303)


def _refused(ticket, status, **page):
    """Nothing written: the page (or its working part) again, with why."""
    number = ticket.number
    db.session.rollback()
    return _ticket_page(services.ticket_for_staff(number), status=status, block="work", **page)


@bp.post("/<number>/reply")
@staff_required(*roles.TICKETS_WRITE)
def reply(number):
    found = _ticket(number)
    form = ReplyForm()
    if not form.validate():
        return _ticket_page(found, reply_form=form, status=422, block="work")
    internal = form.internal
    try:
        services.staff_reply(found, _staff(), form.body.data, internal=internal,
                             seen_version=form.seen_version.data)
    except services.StaleTicket as stale:
        new_messages = [_message_view(m) for m in stale.new_messages]
        db.session.rollback()
        fresh = services.ticket_for_staff(number)
        kept = ReplyForm(formdata=None, body=form.body.data, seen_version=fresh.version)
        return _ticket_page(fresh, reply_form=kept, stale=new_messages, problem=STALE, status=409, block="work")
    except services.TicketRefused as refused:
        return _refused(found, 409, problem=refused.message)
    return _after_change(found, _("Your internal note is added.") if internal
                         else _("Your reply is sent to the member."))


def _message_view(message):
    """What the stale warning shows of a message that came in meanwhile (read before the rollback)."""
    return {"id": message.id, "body": message.body, "internal": message.internal, "created_at": message.created_at,
            "author": message.staff.name if message.staff else message.member.name, "by_staff": message.by_staff}


@bp.post("/<number>/status")
@staff_required(*roles.TICKETS_WRITE)
def status(number):
    found = _ticket(number)
    form = StatusForm()
    if not form.validate():
        return _refused(found, 422, problem=_("Choose one of the status buttons."))
    try:
        services.change_status(found, form.to.data, staff=_staff(), seen_version=form.seen_version.data)
    except services.IllegalMove as move:
        name = TICKET_STATUS_NAMES.get(move.to_status)
        message = (_("A ticket that is “%(now)s” cannot move to “%(to)s”.", now=TICKET_STATUS_NAMES[move.from_status],
                     to=name) if name else _("There is no such status."))
        return _refused(found, 409, problem=message)
    except services.StaleTicket as stale:
        new_messages = [_message_view(m) for m in stale.new_messages]
        return _refused(found, 409, stale=new_messages,
                        problem=_("This ticket changed since you opened it. Check it, then change the status again."))
    return _after_change(found, _("The ticket is now “%(status)s”.", status=TICKET_STATUS_NAMES[form.to.data]))


@bp.post("/<number>/assign")
@staff_required(*roles.TICKETS_WRITE)
def assign(number):
    found = _ticket(number)
    form = AssignForm().setup(services.assignable_staff())
    if form.me.data:
        assignee = _staff()
    else:
        chosen = form.chosen_id() if form.validate() else None
        if chosen is None:
            return _refused(found, 422, problem=_("Choose a colleague from the list."))
        assignee = db.session.get(StaffUser, chosen) if chosen else None
    services.assign(found, assignee, by=_staff())
    if assignee is None:
        message = _("The ticket is assigned to nobody.")
    elif assignee.id == current_user.id:
        message = _("The ticket is assigned to you.")
    else:
        message = _("The ticket is assigned to %(name)s.", name=assignee.name)
    return _after_change(found, message)


@bp.get("/<number>/files/<int:attachment_id>")
@staff_required(*roles.TICKETS_READ)
def attachment(number, attachment_id):
    """A picture of the ticket, for staff only: never cached, never sniffed."""
    found = _ticket(number)
    picture = services.attachment_of(found, attachment_id) or abort(404)
    return pictures.send_private(picture.stored_name, services.PICTURE_FOLDER, picture.content_type,
                                 picture.original_name)
