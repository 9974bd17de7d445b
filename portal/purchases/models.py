"""Purchases that earn points, and the API keys a point-of-sale system posts them with."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import StaffUser
from portal.extensions import db
from portal.members.models import Member, PointsEntry
from portal.models import UTCDateTime, utcnow

PURCHASE_SOURCES = ("staff", "csv", "api")


class Purchase(db.Model):
    """A member's purchase; its reference is unique, so recording it twice adds nothing."""

    __tablename__ = "purchases"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(f"source IN {PURCHASE_SOURCES!r}", name="source"),
        db.Index("ix_purchases_member_purchased", "member_id", "purchased_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    purchased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    source: Mapped[str] = mapped_column(String(10))
    points: Mapped[int]
    points_entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()
    points_entry: Mapped[PointsEntry | None] = relationship()


class ApiKey(db.Model):
    """A key a point-of-sale system uses; only its SHA-256 hash and a short prefix are kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[StaffUser | None] = relationship()
