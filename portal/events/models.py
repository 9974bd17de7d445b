"""Events (activities) and members' registrations for them."""

from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import StaffUser
from portal.extensions import db
from portal.members.models import Member, Tier
from portal.models import UTCDateTime, utcnow

EVENT_STATUSES = ("draft", "published", "cancelled")
REGISTRATION_STATUSES = ("confirmed", "waitlisted", "cancelled")
DEFAULT_CANCEL_CUTOFF_HOURS = 24


class Event(db.Model):
    """An event members register for: online (a URL) or at a venue, with a capacity and a waitlist.

    `sequence` is the calendar file's SEQUENCE: raised on every change of time or place and on
    cancellation, so calendars replace the copy they hold.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(f"status IN {EVENT_STATUSES!r}", name="status"),
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("attendance_points >= 0", name="attendance_points"),
        CheckConstraint("cancel_cutoff_hours >= 0", name="cancel_cutoff_hours"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        db.Index("ix_events_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    title_zh: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # plain text, line breaks kept
    description_zh: Mapped[str] = mapped_column(Text, default="")
    picture: Mapped[str | None] = mapped_column(String(80))  # a file name under instance/uploads/
    online: Mapped[bool] = mapped_column(default=False)
    online_url: Mapped[str] = mapped_column(String(500), default="")  # shown to confirmed members only
    venue: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: once published
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: at the start
    capacity: Mapped[int]
    min_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    attendance_points: Mapped[int] = mapped_column(default=0)
    cancel_cutoff_hours: Mapped[int] = mapped_column(default=DEFAULT_CANCEL_CUTOFF_HOURS)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    min_tier: Mapped[Tier | None] = relationship()

    @property
    def closes_at(self):
        """When registration closes: the time set, else the start."""
        return self.registration_closes_at or self.starts_at

    @property
    def cancel_until(self):
        """The last moment a member may cancel their own registration."""
        return self.starts_at - timedelta(hours=self.cancel_cutoff_hours)


class Registration(db.Model):
    """A member's place at an event: confirmed, waitlisted (in the order of `queued_at`) or cancelled.

    One row per member and event: registering again after cancelling reuses it, so a member can
    never hold two. `told_sequence` is the event's sequence the member was last told about (the
    change and cancellation emails go once); `reminded_at` is when the 24-hour reminder went.
    """

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id", name="uq_registrations_one_per_member"),
        CheckConstraint(f"status IN {REGISTRATION_STATUSES!r}", name="status"),
        db.Index("ix_registrations_event_status_queued", "event_id", "status", "queued_at"),
        db.Index("ix_registrations_member_registered", "member_id", "registered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(16))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the latest time they registered
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the waitlist's order
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    points_entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    told_sequence: Mapped[int] = mapped_column(default=0)
    # Raised when the registration is cancelled or made again: its calendar file's SEQUENCE is the
    # event's sequence plus this, so a calendar replaces the copy it holds.
    revision: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship()
    member: Mapped[Member] = relationship()
    cancelled_by: Mapped[StaffUser | None] = relationship(foreign_keys=[cancelled_by_staff_id])
    checked_in_by: Mapped[StaffUser | None] = relationship(foreign_keys=[checked_in_by_staff_id])

    @property
    def attended(self):
        return self.checked_in_at is not None
