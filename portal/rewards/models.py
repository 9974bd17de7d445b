"""The rewards catalogue and members' redemptions (vouchers)."""

from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import StaffUser
from portal.extensions import db
from portal.members.models import Member, PointsEntry, Tier
from portal.models import UTCDateTime, utcnow

REDEMPTION_STATUSES = ("issued", "used", "cancelled")


class Reward(db.Model):
    """Something members can redeem points for: cost, stock (None = unlimited), tier, dates."""

    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("points_cost > 0", name="points_cost"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    picture: Mapped[str | None] = mapped_column(String(80))  # a file name under instance/uploads/
    points_cost: Mapped[int]
    stock: Mapped[int | None]
    min_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    available_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    available_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    min_tier: Mapped[Tier | None] = relationship()

    @property
    def available_through(self):
        """The last moment it is available (`available_until` is the first moment it is not)."""
        return self.available_until - timedelta(microseconds=1) if self.available_until else None


class Redemption(db.Model):
    """A reward a member redeemed: the points spent and a unique voucher code."""

    __tablename__ = "redemptions"
    __table_args__ = (
        CheckConstraint(f"status IN {REDEMPTION_STATUSES!r}", name="status"),
        db.Index("ix_redemptions_member_created", "member_id", "created_at"),
        db.Index("ix_redemptions_member_used", "member_id", "used_at"),  # the timeline's "voucher used"
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"), index=True)
    points: Mapped[int]
    points_entry_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id"))
    voucher_code: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="issued")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    member: Mapped[Member] = relationship()
    reward: Mapped[Reward] = relationship()
    points_entry: Mapped[PointsEntry] = relationship()
    used_by: Mapped[StaffUser | None] = relationship(foreign_keys=[used_by_staff_id])
    cancelled_by: Mapped[StaffUser | None] = relationship(foreign_keys=[cancelled_by_staff_id])
