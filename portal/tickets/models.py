"""Tickets: what a member filed (a number, a kind, a subject), the conversation with staff (messages,
internal notes and pictures), its status history, its SLA clocks and the breaches noticed on them.

Due times are computed when the ticket is filed and stored (a change of the SLA settings applies to
new tickets only); the resolution clock's due time moves later by the time spent waiting on the member.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import StaffUser
from portal.events.models import Event
from portal.extensions import db
from portal.members.models import Member
from portal.models import UTCDateTime, utcnow
from portal.rewards.models import Redemption

TICKET_KINDS = ("feedback", "complaint", "consultation")
TICKET_STATUSES = ("new", "in_progress", "waiting_on_member", "resolved", "closed")
OPEN_STATUSES = ("new", "in_progress", "waiting_on_member")  # the SLA clocks run (or are paused)
OPEN_SQL = f"status IN {OPEN_STATUSES!r}"  # ix_tickets_open_queue's condition, and the queries' (see is_open)
CLOCKS = ("first_response", "resolution")
MAX_SUBJECT = 200
MAX_BODY = 10_000
MAX_FILES = 3


class Ticket(db.Model):
    """A member's feedback, complaint or consultation, with its number (T-YYYY-NNNNNN), status,
    assignee and SLA clocks; `version` moves on with every message and status change."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(f"kind IN {TICKET_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {TICKET_STATUSES!r}", name="status"),
        db.Index("ix_tickets_status_running_due", "status", "running_due_at"),  # one status's queue
        # The open tickets' queue in its order, with what its counts read (0016): a page of the queue
        # reads its first entries, the counts read it alone, whatever the number of closed tickets.
        db.Index("ix_tickets_open_queue", "running_due_at", "id", "status", "assignee_id", "kind",
                 postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL)),
        db.Index("ix_tickets_assignee_status", "assignee_id", "status"),
        db.Index("ix_tickets_member_created", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT))
    status: Mapped[str] = mapped_column(String(20), default="new")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"))  # the member's voucher
    priority: Mapped[bool] = mapped_column(default=False)  # the member had priority_support when filing
    first_response_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the first public staff reply
    resolution_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolution_hours: Mapped[float]  # the resolution time it got when filed: a reopening restarts with it
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set while waiting_on_member
    # The due time of the clock that runs (first response until given, then resolution); None while
    # paused, resolved or closed. Kept by services.track_running_due() on every change of the clocks.
    running_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()
    assignee: Mapped[StaffUser | None] = relationship()
    event: Mapped[Event | None] = relationship()
    redemption: Mapped[Redemption | None] = relationship()

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES


def is_open():
    """The open tickets (tickets.status IN OPEN_STATUSES), the statuses written in the SQL rather than
    bound: PostgreSQL's generic plans then still see ix_tickets_open_queue's condition in it."""
    return Ticket.status.in_([literal_column(repr(status)) for status in OPEN_STATUSES])


class TicketMessage(db.Model):
    """One message of a ticket's conversation, by the member or by staff; an internal note is staff only."""

    __tablename__ = "ticket_messages"
    __table_args__ = (
        CheckConstraint("(member_id IS NULL) <> (staff_id IS NULL)", name="one_author"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    internal: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=0)  # the ticket's version this message made

    ticket: Mapped[Ticket] = relationship()
    member: Mapped[Member | None] = relationship()
    staff: Mapped[StaffUser | None] = relationship()
    attachments: Mapped[list["TicketAttachment"]] = relationship(
        back_populates="message", order_by="TicketAttachment.id")

    @property
    def by_staff(self):
        return self.staff_id is not None


class TicketAttachment(db.Model):
    """A picture sent with a message: stored under a random name (portal/uploads/pictures.py)."""

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("ticket_messages.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(200))

    message: Mapped[TicketMessage] = relationship(back_populates="attachments")


class TicketEvent(db.Model):
    """A change of a ticket's status (from None when it was filed), by staff or the member (or a job)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))

    staff: Mapped[StaffUser | None] = relationship()


class TicketCounter(db.Model):
    """The last ticket number given in a programme year (one row a year, raised under its row lock)."""

    __tablename__ = "ticket_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class SavedReply(db.Model):
    """A reply staff use often; `{name}` in its body becomes the member's name."""

    __tablename__ = "saved_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketBreach(db.Model):
    """A clock of a ticket that ran past its due time, noticed once (a new due time, a new breach)."""

    __tablename__ = "ticket_breaches"
    __table_args__ = (
        CheckConstraint(f"clock IN {CLOCKS!r}", name="clock"),
        UniqueConstraint("ticket_id", "clock", "due_at", name="uq_ticket_breaches_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    clock: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
