"""Tickets: filing, the conversation, the status machine with its SLA clocks, assignment,
escalation of breaches, closing resolved tickets, and the queries the pages read.

The status machine is change_status() alone. Every writer of an existing ticket first locks its row
(SELECT … FOR UPDATE on PostgreSQL; SQLite's writers take turns), so two staff replying at once
serialize and the second sees the first's version. Due times are stored on the ticket when it is
filed (see sla.py): a change of the settings applies to new tickets only.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from werkzeug.routing import BuildError

from portal import dates
from portal.audit.services import record
from portal.auth.models import StaffUser
from portal.care.messages import Link, tell_member
from portal.events.models import Registration
from portal.extensions import db
from portal.forms import CONTROL, CONTROL_IN_TEXT
from portal.mail.outbox import external_url, queue_email
from portal.members.models import Benefit, Member
from portal.models import utcnow
from portal.surveys.models import Answer, Invitation, Question, Response, Survey
from portal.surveys.services import invite
from portal.tickets import sla
from portal.tickets.models import (
    MAX_BODY,
    MAX_FILES,
    MAX_SUBJECT,
    OPEN_STATUSES,
    TICKET_KINDS,
    TICKET_STATUSES,
    SavedReply,
    Ticket,
    TicketAttachment,
    TicketBreach,
    TicketCounter,
    TicketEvent,
    TicketMessage,
    is_open,
)
from portal.uploads import pictures

ALLOWED = {
    ("new", "in_progress"), ("new", "waiting_on_member"), ("new", "resolved"),
    ("in_progress", "waiting_on_member"), ("in_progress", "resolved"),
    ("waiting_on_member", "in_progress"), ("waiting_on_member", "resolved"),
    ("resolved", "closed"), ("resolved", "in_progress"),
}
PRIORITY_BENEFIT = "priority_support"
SURVEY_TRIGGER = "ticket_resolved"
PICTURE_FOLDER = "tickets"  # the pictures' subfolder of UPLOAD_DIR: never served by the public /pictures route
UNASSIGNED = 0  # queue(assignee_id=UNASSIGNED): the tickets nobody holds

# What each refusal code says to the member (the form shows it next to the field it names).
REFUSALS = {
    "kind": _l("Choose feedback, complaint or consultation."),
    "subject": _l("Give a subject of 1 to 200 characters."),
    "body": _l("Write a message of 1 to 10,000 characters."),
    "files": _l("Attach at most 3 pictures."),
    "file_type": _l("Attach JPEG, PNG or WebP pictures only."),
    "file_size": _l("Each picture must be 5 MB or smaller."),
    "file_name": _l("A picture's content does not match its file name."),
    "event": _l("Choose one of your own events."),
    "redemption": _l("Choose one of your own vouchers."),
    "closed": _l("This ticket is closed."),
    "not_yours": _l("This ticket is not yours."),
}


class TicketRefused(Exception):
    """Bad input or a ticket that cannot take it; nothing was written. `code` is a key of REFUSALS."""

    def __init__(self, code, message=None):
        super().__init__(code)
        self.code = code
        self.message = message if message is not None else REFUSALS[code]


class IllegalMove(Exception):
    """A status change the machine does not allow (see ALLOWED)."""

    def __init__(self, from_status, to_status):
        super().__init__(f"{from_status} → {to_status}")
        self.from_status, self.to_status = from_status, to_status


class StaleTicket(Exception):
    """A staff write against an older version of the ticket: `new_messages` came since (nothing written)."""

    def __init__(self, ticket, new_messages):
        super().__init__(ticket.number)
        self.ticket = ticket
        self.new_messages = new_messages


@dataclass
class Upload:
    """A file the member sent: its name as given and its bytes."""

    filename: str
    data: bytes
    picture: object = None


# ---- small pieces ---------------------------------------------------------------------------------

def _targets():
    return sla.Targets.from_config(current_app.config)


def _now(now):
    return now or utcnow()


def track_running_due(ticket):
    """Store the due time of the ticket's running clock (None when no clock runs: paused, resolved,
    closed), which the queue sorts and filters by. The one place it is set: called after every change
    of status, pause, resumption, first response and reopening."""
    running = ticket.status in OPEN_STATUSES and ticket.paused_at is None
    ticket.running_due_at = sla.running_due_at(ticket) if running else None


def lock_ticket(ticket_id):
    """Lock the ticket's row for the rest of the transaction and return it, reloaded."""
    db.session.flush()
    return db.session.execute(
        select(Ticket).where(Ticket.id == ticket_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def has_priority(member):
    """Whether the member's tier gives the priority_support benefit."""
    return db.session.scalar(select(Benefit.id).where(
        Benefit.tier_id == member.tier_id, Benefit.kind == PRIORITY_BENEFIT).limit(1)) is not None


def next_number(now=None):
    """The next ticket number of the programme year of `now`: T-YYYY-NNNNNN, never given twice."""
    year = dates.local(_now(now)).year
    counters = TicketCounter.__table__
    while True:
        last = db.session.execute(update(counters).where(counters.c.year == year)
                                  .values(last=counters.c.last + 1).returning(counters.c.last)).scalar()
        if last is not None:
            break
        try:  # the year's first ticket: another filing may insert the row at the same moment
            with db.session.begin_nested():
                db.session.execute(counters.insert().values(year=year, last=1))
            last = 1
            break
        except IntegrityError:
            continue
    return f"T-{year}-{last:06d}"


def _clean_text(text, limit, code, control=CONTROL_IN_TEXT):
    """The text without its surrounding blanks; TicketRefused(code) when empty, longer than `limit` or
    holding control characters (`control`: NUL cannot even be stored in PostgreSQL)."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text or len(text) > limit or control.search(text):
        raise TicketRefused(code)
    return text


def _read(file):
    """An Upload from a FileStorage (anything with .filename and .read()) or a (filename, bytes) pair."""
    if isinstance(file, Upload):
        return file
    if isinstance(file, tuple):
        return Upload(file[0] or "", file[1] or b"")
    limit = current_app.config["TICKET_ATTACHMENT_BYTES"]
    return Upload(getattr(file, "filename", "") or "", file.read(limit + 1))


def check_files(files):
    """The uploads, each a real JPEG, PNG or WebP by its bytes, named for what it is; raises TicketRefused."""
    uploads = [_read(f) for f in files if f is not None and (not hasattr(f, "filename") or f.filename)]
    if len(uploads) > MAX_FILES:
        raise TicketRefused("files")
    limit = current_app.config["TICKET_ATTACHMENT_BYTES"]
    for upload in uploads:
        if len(upload.data) > limit:
            raise TicketRefused("file_size")
        try:
            upload.picture = pictures.inspect(upload.data, limit)
        except pictures.PictureError as error:
            raise TicketRefused("file_size" if error.code == "size" else "file_type") from None
        if not pictures.named_as(upload.picture, upload.filename):
            raise TicketRefused("file_name")
    return uploads


def _original_name(filename):
    """The name the member's file had, without folders or control characters (it goes in a header)."""
    return CONTROL.sub("", filename.replace("\\", "/").rpartition("/")[2])[:200]


def _attach(ticket, message, uploads):
    """Store the pictures (after every check, the last write of the caller) and their rows; the files
    are deleted again if the transaction does not commit (see _forget_unsaved_files)."""
    written = db.session().info.setdefault(WRITTEN_FILES, [])
    for upload in uploads:
        stored = pictures.store(upload.data, current_app.config["TICKET_ATTACHMENT_BYTES"], PICTURE_FOLDER)
        written.append(pictures.path_of(stored, PICTURE_FOLDER))
        db.session.add(TicketAttachment(ticket_id=ticket.id, message=message, stored_name=stored,
                                        content_type=pictures.mime_type(stored), size=len(upload.data),
                                        original_name=_original_name(upload.filename)))


WRITTEN_FILES = "tickets.written_files"  # session.info: the pictures written in the session's transaction


@event.listens_for(Session, "after_commit")
def _keep_saved_files(session):
    session.info.pop(WRITTEN_FILES, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_unsaved_files(session, transaction):
    """A transaction that ends without a commit (rolled back, or the session closed) takes the pictures
    it wrote with it: their rows are gone, so their files go too."""
    if transaction.parent is None and session.info.get(WRITTEN_FILES):
        for path in session.info.pop(WRITTEN_FILES):
            path.unlink(missing_ok=True)


def _add_message(ticket, body, now, *, member=None, staff=None, internal=False):
    ticket.version += 1
    ticket.updated_at = now
    message = TicketMessage(ticket_id=ticket.id, member_id=member.id if member else None,
                            staff_id=staff.id if staff else None, internal=internal, body=body, created_at=now,
                            version=ticket.version)
    db.session.add(message)
    return message


def _ticket_link(ticket, label=None):
    return Link("tickets.ticket", label if label is not None else _l("Open the ticket"), {"number": ticket.number})


def _staff_link(ticket):
    """The staff page of the ticket (absolute), or the staff home before that page exists."""
    try:
        return external_url("tickets_admin.ticket", number=ticket.number)
    except BuildError:
        return external_url("admin.home")


# ---- filing ---------------------------------------------------------------------------------------

def open_ticket(member, kind, subject, body, *, event=None, redemption=None, files=(), now=None):
    """File a ticket for `member` (checked before anything is written: TicketRefused), with its
    number, due times, first message and pictures, and email the member its confirmation."""
    now = _now(now)
    if kind not in TICKET_KINDS:
        raise TicketRefused("kind")
    subject = _clean_text(subject, MAX_SUBJECT, "subject", CONTROL)  # one line
    body = _clean_text(body, MAX_BODY, "body")
    uploads = check_files(files)
    if event is not None and db.session.scalar(select(Registration.id).where(
            Registration.event_id == event.id, Registration.member_id == member.id)) is None:
        raise TicketRefused("event")
    if redemption is not None and redemption.member_id != member.id:
        raise TicketRefused("redemption")
    priority = has_priority(member)
    targets = _targets()
    first_due, resolution_due = sla.due_times(kind, priority, now, targets)
    ticket = Ticket(number=next_number(now), member_id=member.id, kind=kind, subject=subject, status="new",
                    event_id=event.id if event else None, redemption_id=redemption.id if redemption else None,
                    priority=priority, first_response_due_at=first_due, resolution_due_at=resolution_due,
                    resolution_hours=sla.resolution_hours(kind, priority, targets),
                    version=0, created_at=now, updated_at=now)
    ticket.member = member
    track_running_due(ticket)
    db.session.add(ticket)
    db.session.flush()
    message = _add_message(ticket, body, now, member=member)
    db.session.add(TicketEvent(ticket_id=ticket.id, from_status=None, to_status="new", at=now, member_id=member.id))
    tell_member(member, "ticket_received", {
        "name": member.first_name, "number": ticket.number, "ticket_subject": ticket.subject, "kind": ticket.kind,
        "due_at": ticket.first_response_due_at,
    }, kind="account", link=_ticket_link(ticket))
    db.session.flush()
    _attach(ticket, message, uploads)  # the files last, once the rest is written
    db.session.flush()
    return ticket


# ---- the status machine ---------------------------------------------------------------------------

def _check_version(ticket, seen_version):
    if seen_version is not None and int(seen_version) != ticket.version:
        newer = db.session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket.id,
                                        TicketMessage.version > int(seen_version))
            .options(selectinload(TicketMessage.attachments), joinedload(TicketMessage.staff),
                     joinedload(TicketMessage.member))
            .order_by(TicketMessage.created_at, TicketMessage.id)).all()
        raise StaleTicket(ticket, newer)


def _resolution_surveys():
    return db.session.scalars(
        select(Survey).where(Survey.trigger == SURVEY_TRIGGER, Survey.status != "closed",
                             select(Question.id).where(Question.survey_id == Survey.id).exists())
        .order_by(Survey.id)).all()


def _move(ticket, to, now, *, staff=None, member=None):
    """Make the move (the ticket's row is locked): its clock, its moments, its history."""
    before = ticket.status
    if (before, to) not in ALLOWED:
        raise IllegalMove(before, to)
    if to == "waiting_on_member":
        sla.pause(ticket, now)
    elif before == "waiting_on_member":
        sla.resume(ticket, now)
    if before == "resolved" and to == "in_progress":  # reopened: the resolution clock starts again
        sla.restart_resolution(ticket, now)
        ticket.resolved_at = None
        ticket.resolution_breached_at = None
    if to == "resolved":
        ticket.resolved_at = now
    if to == "closed":
        ticket.closed_at = now
    ticket.status = to
    track_running_due(ticket)
    ticket.version += 1
    ticket.updated_at = now
    db.session.add(TicketEvent(ticket_id=ticket.id, from_status=before, to_status=to, at=now,
                               staff_id=staff.id if staff else None, member_id=member.id if member else None))
    if staff is not None:
        record("ticket.status", ticket, actor=staff, member=ticket.member, at=now,
               before={"status": before}, after={"status": to})
    if to == "resolved":
        for survey in _resolution_surveys():
            invite(ticket.member, survey, about=ticket, now=now)


def change_status(ticket, to, *, staff=None, member=None, now=None, seen_version=None):
    """Move the ticket to status `to` (IllegalMove when the machine forbids it; StaleTicket when
    `seen_version` is not the ticket's): history, clock, moments; resolving invites the member to
    the satisfaction survey."""
    now = _now(now)
    if to not in TICKET_STATUSES:
        raise IllegalMove(ticket.status, to)
    ticket = lock_ticket(ticket.id)
    _check_version(ticket, seen_version)
    _move(ticket, to, now, staff=staff, member=member)
    db.session.flush()
    return ticket


def member_reply(ticket, member, body, files=(), now=None):
    """The member writes on their ticket; on a ticket waiting on them or resolved it reopens it
    (in progress: the clock resumes, or restarts after a resolution). Refused on a closed ticket."""
    now = _now(now)
    if ticket.member_id != member.id:
        raise TicketRefused("not_yours")
    body = _clean_text(body, MAX_BODY, "body")
    uploads = check_files(files)
    ticket = lock_ticket(ticket.id)
    if ticket.status == "closed":
        raise TicketRefused("closed")
    if ticket.status in ("waiting_on_member", "resolved"):
        _move(ticket, "in_progress", now, member=member)
    message = _add_message(ticket, body, now, member=member)
    db.session.flush()
    _attach(ticket, message, uploads)  # the files last, once the rest is written
    db.session.flush()
    return message


def staff_reply(ticket, staff, body, *, internal=False, seen_version, now=None):
    """Staff reply to the member (emailed in their language, with a link back) or add an internal
    note (no email). StaleTicket, nothing written, when the ticket moved on since `seen_version`.
    The first public reply is the first response; it takes a new ticket in progress."""
    now = _now(now)
    body = _clean_text(body, MAX_BODY, "body")
    ticket = lock_ticket(ticket.id)
    _check_version(ticket, seen_version)
    if ticket.status == "closed":
        raise TicketRefused("closed")
    if not internal:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            track_running_due(ticket)  # the resolution clock is the running one now
        if ticket.status == "new":
            _move(ticket, "in_progress", now, staff=staff)
    message = _add_message(ticket, body, now, staff=staff, internal=internal)
    if not internal:
        member = ticket.member
        tell_member(member, "ticket_reply", {
            "name": member.first_name, "number": ticket.number, "ticket_subject": ticket.subject, "body": body,
            "staff_name": staff.name,
        }, kind="account", link=_ticket_link(ticket, _l("Open the ticket and reply")))
    db.session.flush()
    return message


def assign(ticket, assignee, *, by, now=None):
    """Give the ticket to `assignee` (a staff user, or None: nobody), by the staff user `by`."""
    now = _now(now)
    ticket = lock_ticket(ticket.id)
    before = ticket.assignee.name if ticket.assignee else None
    ticket.assignee_id = assignee.id if assignee is not None else None
    ticket.assignee = assignee
    ticket.updated_at = now
    record("ticket.assign", ticket, actor=by, member=ticket.member, at=now,
           before={"assignee": before}, after={"assignee": assignee.name if assignee else None})
    db.session.flush()
    return ticket


def confirm_resolution(ticket, member, now=None):
    """The member confirms their resolved ticket is done: it closes (IllegalMove unless resolved)."""
    if ticket.member_id != member.id:
        raise TicketRefused("not_yours")
    return change_status(ticket, "closed", member=member, now=now)


def close_resolved(now=None):
    """Close the tickets resolved TICKET_AUTO_CLOSE_DAYS ago or longer; returns how many."""
    now = _now(now)
    cutoff = now - timedelta(days=current_app.config["TICKET_AUTO_CLOSE_DAYS"])
    ids = db.session.scalars(select(Ticket.id).where(Ticket.status == "resolved", Ticket.resolved_at <= cutoff)
                             .order_by(Ticket.id)).all()
    closed = 0
    for ticket_id in ids:
        ticket = lock_ticket(ticket_id)
        if ticket.status == "resolved":  # a member may have replied since
            _move(ticket, "closed", now)
            closed += 1
    db.session.flush()
    return closed


# ---- escalation -----------------------------------------------------------------------------------

def _breach_recipients(ticket):
    """Who hears of a breach: the assignee (else every active service user) and every active admin."""
    admins = db.session.scalars(select(StaffUser).where(StaffUser.role == "admin", StaffUser.active)
                                .order_by(StaffUser.id)).all()
    if ticket.assignee is not None and ticket.assignee.active:
        first = [ticket.assignee]
    else:
        first = db.session.scalars(select(StaffUser).where(StaffUser.role == "service", StaffUser.active)
                                   .order_by(StaffUser.id)).all()
    seen, people = set(), []
    for person in [*first, *admins]:
        if person.id not in seen:
            seen.add(person.id)
            people.append(person)
    return people


def _notice(ticket, clock, due_at, now):
    """Record the breach once (the unique constraint decides between racing jobs); True if it is new."""
    try:
        with db.session.begin_nested():
            db.session.add(TicketBreach(ticket_id=ticket.id, clock=clock, due_at=due_at, noticed_at=now))
    except IntegrityError:
        return False
    return True


def escalate(now=None):
    """Mark every open, running ticket whose first-response or resolution due time passed as
    breached and email the assignee (or the service group) and the team lead, once per breach (one
    email per ticket and person naming the clocks it breached).
    Returns {"first_response": n, "resolution": n, "emails": n}."""
    now = _now(now)
    running = and_(is_open(), Ticket.paused_at.is_(None))
    first = and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due_at <= now,
                 Ticket.first_response_breached_at.is_(None))
    resolution = and_(Ticket.resolution_due_at <= now, Ticket.resolution_breached_at.is_(None))
    ids = db.session.scalars(select(Ticket.id).where(running, or_(first, resolution)).order_by(Ticket.id)).all()
    counts = {"first_response": 0, "resolution": 0, "emails": 0}
    for ticket_id in ids:
        ticket = lock_ticket(ticket_id)
        if ticket.status not in OPEN_STATUSES or ticket.paused_at is not None:
            continue
        breaches = []
        if (ticket.first_responded_at is None and ticket.first_response_due_at <= now
                and ticket.first_response_breached_at is None):
            ticket.first_response_breached_at = now
            breaches.append(("first_response", ticket.first_response_due_at))
        if ticket.resolution_due_at <= now and ticket.resolution_breached_at is None:
            ticket.resolution_breached_at = now
            breaches.append(("resolution", ticket.resolution_due_at))
        noticed = [(clock, due_at) for clock, due_at in breaches if _notice(ticket, clock, due_at, now)]
        for clock, _due_at in noticed:
            counts[clock] += 1
        if not noticed:
            continue
        # One email per person for the ticket, naming every clock it breached in this run (an untouched
        # complaint breaches its first response and its resolution at the same moment).
        for person in _breach_recipients(ticket):
            queue_email("ticket_breached", person.email, {
                "name": person.name, "number": ticket.number, "ticket_subject": ticket.subject, "kind": ticket.kind,
                "breaches": [{"clock": clock, "due_at": due_at} for clock, due_at in noticed],
                "link": _staff_link(ticket),
            }, language=person.language, to_name=person.name, kind="account")
            counts["emails"] += 1
    db.session.flush()
    return counts


# ---- saved replies --------------------------------------------------------------------------------

def saved_replies():
    """Every saved reply, by title."""
    return db.session.scalars(select(SavedReply).order_by(SavedReply.title, SavedReply.id)).all()


def saved_reply_text(saved_reply, member):
    """The saved reply's body with {name} filled with the member's name."""
    return saved_reply.body.replace("{name}", member.name)


# ---- what the pages read (a fixed number of queries each) ------------------------------------------

def member_tickets(member, after_id=None, limit=20):
    """A page of the member's tickets, newest first (by creation, then id), after the ticket
    `after_id` — one of theirs, else the page is empty: (tickets, more?). One query."""
    query = select(Ticket).where(Ticket.member_id == member.id)
    if after_id:
        cursor = (select(Ticket.created_at).where(Ticket.id == after_id, Ticket.member_id == member.id)
                  .scalar_subquery())
        query = query.where(or_(Ticket.created_at < cursor, and_(Ticket.created_at == cursor, Ticket.id < after_id)))
    rows = db.session.scalars(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def ticket_for_member(member, number):
    """The member's ticket `number`, or None (unknown, or another member's)."""
    return db.session.scalar(select(Ticket).where(Ticket.number == str(number), Ticket.member_id == member.id))


def ticket_for_staff(number):
    """The ticket `number` with its member (and tier) and assignee, or None (one query)."""
    return db.session.scalar(select(Ticket).where(Ticket.number == str(number)).options(
        joinedload(Ticket.member).joinedload(Member.tier), joinedload(Ticket.assignee),
        joinedload(Ticket.event), joinedload(Ticket.redemption)))


def conversation(ticket, include_internal):
    """The ticket's messages in order, their authors and pictures loaded (two queries); internal
    notes only when `include_internal` (staff)."""
    query = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
    if not include_internal:
        query = query.where(TicketMessage.internal.is_(False))
    return db.session.scalars(query.options(
        selectinload(TicketMessage.attachments), joinedload(TicketMessage.staff), joinedload(TicketMessage.member))
        .order_by(TicketMessage.created_at, TicketMessage.id)).all()


def attachment_of(ticket, attachment_id):
    """The ticket's attachment `attachment_id`, or None (another ticket's)."""
    return db.session.scalar(select(TicketAttachment).where(TicketAttachment.id == attachment_id,
                                                            TicketAttachment.ticket_id == ticket.id))


def history(ticket):
    """The ticket's status changes in order, with who made them (one query)."""
    return db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                              .options(joinedload(TicketEvent.staff)).order_by(TicketEvent.at, TicketEvent.id)).all()


def _breached(now):
    # running_due_at is None unless a clock runs (open, not paused): see track_running_due()
    return and_(is_open(), Ticket.running_due_at <= now)


def _due_soon(now, hours=None):
    hours = current_app.config["TICKET_DUE_SOON_HOURS"] if hours is None else hours
    return and_(is_open(), Ticket.running_due_at > now,
                Ticket.running_due_at <= now + timedelta(hours=hours))


@dataclass
class QueueFilters:
    """The staff queue's filters: kind, status (None: the open ones), assignee (UNASSIGNED: nobody),
    breached (the running clock passed), due_soon (it passes within TICKET_DUE_SOON_HOURS)."""

    kind: str | None = None
    status: str | None = None
    assignee_id: int | None = None
    breached: bool = False
    due_soon: bool = False
    due_hours: float | None = None  # the due_soon window; None: TICKET_DUE_SOON_HOURS


def queue(filters=None, now=None, limit=100, offset=0):
    """The tickets of the staff queue, nearest running due time first, waiting-on-member last; their
    member and assignee loaded (one query)."""
    return db.session.scalars(queue_query(filters, now, limit, offset)).all()


def queue_query(filters=None, now=None, limit=100, offset=0):
    """The query of queue(): the open queue reads ix_tickets_open_queue in its order, a status's
    ix_tickets_status_running_due."""
    now = _now(now)
    filters = filters or QueueFilters()
    query = select(Ticket).options(joinedload(Ticket.member), joinedload(Ticket.assignee))
    if filters.status:
        query = query.where(Ticket.status == filters.status)
    else:
        query = query.where(is_open())
    if filters.kind:
        query = query.where(Ticket.kind == filters.kind)
    if filters.assignee_id == UNASSIGNED:
        query = query.where(Ticket.assignee_id.is_(None))
    elif filters.assignee_id is not None:
        query = query.where(Ticket.assignee_id == filters.assignee_id)
    if filters.breached:
        query = query.where(_breached(now))
    if filters.due_soon:
        query = query.where(_due_soon(now, filters.due_hours))
    # Paused tickets (no running clock: running_due_at is None) last, as both indexes keep them on
    # PostgreSQL (ascending, nulls last).
    return query.order_by(Ticket.running_due_at.asc().nulls_last(), Ticket.id).limit(limit).offset(offset)


@dataclass
class QueueCounts:
    """How many open tickets each filter of the queue holds (`statuses`: the open ones only)."""

    open: int = 0
    unassigned: int = 0
    mine: int = 0
    breached: int = 0
    due_soon: int = 0
    kinds: dict = field(default_factory=dict)
    statuses: dict = field(default_factory=dict)
    assignees: dict = field(default_factory=dict)  # staff id → their open tickets (for `colleagues`)


def queue_counts(now=None, staff=None, colleagues=(), due_hours=None):
    """QueueCounts, in one query; `mine`: the open tickets assigned to `staff`; `assignees`: those of
    each of `colleagues`; `due_soon` within `due_hours` (None: TICKET_DUE_SOON_HOURS)."""
    now = _now(now)

    def count(condition=None):
        # count(*) FILTER (WHERE …): PostgreSQL and SQLite (3.30+); a third quicker than sum(CASE …)
        return func.count() if condition is None else func.count().filter(condition)

    # The rows are the open tickets only (the WHERE below), so no condition says "open" again.
    columns = {
        "open": count(),
        "unassigned": count(Ticket.assignee_id.is_(None)),
        "mine": count(Ticket.assignee_id == (staff.id if staff is not None else -1)),
        "breached": count(_breached(now)),
        "due_soon": count(_due_soon(now, due_hours)),
        **{f"assignee_{person.id}": count(Ticket.assignee_id == person.id) for person in colleagues},
        **{f"kind_{kind}": count(Ticket.kind == kind) for kind in TICKET_KINDS},
        **{f"status_{status}": count(Ticket.status == status) for status in OPEN_STATUSES},
    }
    # Open tickets only (the closed ones grow without end), read from ix_tickets_open_queue alone.
    row = db.session.execute(select(*(c.label(name) for name, c in columns.items())).select_from(Ticket)
                             .where(is_open())).mappings().one()
    return QueueCounts(open=int(row["open"]), unassigned=int(row["unassigned"]), mine=int(row["mine"]),
                       breached=int(row["breached"]), due_soon=int(row["due_soon"]),
                       kinds={kind: int(row[f"kind_{kind}"]) for kind in TICKET_KINDS},
                       statuses={status: int(row[f"status_{status}"]) for status in OPEN_STATUSES},
                       assignees={person.id: int(row[f"assignee_{person.id}"]) for person in colleagues})


def assignable_staff():
    """The active staff a ticket can be given to (service and the team lead), by name (one query)."""
    return db.session.scalars(select(StaffUser).where(StaffUser.role.in_(("service", "admin")), StaffUser.active)
                              .order_by(StaffUser.name, StaffUser.id)).all()


def recent_tickets(member, limit=5):
    """The member's latest `limit` tickets, newest first (one query)."""
    return db.session.scalars(select(Ticket).where(Ticket.member_id == member.id)
                              .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)).all()


def satisfaction_score(ticket):
    """The rating the member gave in the satisfaction survey about this ticket, or None (one query)."""
    return db.session.scalar(
        select(Answer.number).join(Response, Answer.response_id == Response.id)
        .join(Invitation, Response.invitation_id == Invitation.id)
        .join(Question, Answer.question_id == Question.id)
        .where(Invitation.about_type == "ticket", Invitation.about_id == ticket.id,
               Invitation.member_id == ticket.member_id, Question.kind == "rating", Answer.number.is_not(None))
        .order_by(Response.submitted_at.desc(), Question.position).limit(1))


def clock(ticket, now=None):
    """The ticket's clock as the pages show it (sla.Clock)."""
    return sla.clock(ticket, _now(now), current_app.config["TICKET_DUE_SOON_HOURS"])
