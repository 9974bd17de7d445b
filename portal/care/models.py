"""Member care records: expiry notices and birthday greetings sent, and in-portal notifications."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models import UTCDateTime, utcnow


class ExpiryNotice(db.Model):
    """A member was told that the points expiring on `expires_on` will expire (once per batch)."""

    __tablename__ = "expiry_notices"
    __table_args__ = (UniqueConstraint("member_id", "expires_on", name="uq_expiry_notices_member_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    expires_on: Mapped[date]
    points: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BirthdayGreeting(db.Model):
    """The birthday greeting and bonus of one member in one year (at most one)."""

    __tablename__ = "birthday_greetings"
    __table_args__ = (UniqueConstraint("member_id", "year", name="uq_birthday_greetings_member_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    year: Mapped[int]
    points: Mapped[int]
    emailed: Mapped[bool]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    """An in-portal copy of an email to a member (never a security email): the bell counts the unread ones."""

    __tablename__ = "notifications"
    __table_args__ = (db.Index("ix_notifications_member_read", "member_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    template: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)  # the email's text without its links
    link: Mapped[str | None] = mapped_column(String(500))  # a path on this site, shown as a button
    link_label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
