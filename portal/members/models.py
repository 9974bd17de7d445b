"""Tiers, benefits and members."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from portal.auth.models import Credentials, StaffUser
from portal.extensions import db
from portal.models import UTCDateTime, utcnow

MEMBER_STATUSES = ("pending", "active", "closed")


class Tier(db.Model):
    """A membership tier with its qualifying-points threshold and points multiplier."""

    __tablename__ = "tiers"
    __table_args__ = (
        CheckConstraint("threshold >= 0", name="threshold"),
        CheckConstraint("multiplier > 0", name="multiplier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    rank: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(80))
    threshold: Mapped[int] = mapped_column(default=0)
    multiplier: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("1.00"))
    birthday_bonus: Mapped[int] = mapped_column(default=0)  # points given on the member's birthday

    benefits: Mapped[list["Benefit"]] = relationship(
        back_populates="tier", order_by="Benefit.position", cascade="all, delete-orphan"
    )


class Benefit(db.Model):
    """A benefit that a tier gives; `kind` marks the ones the rules act on."""

    __tablename__ = "benefits"

    id: Mapped[int] = mapped_column(primary_key=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(120))
    title_zh: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str | None] = mapped_column(String(40))

    tier: Mapped[Tier] = relationship(back_populates="benefits")


class Member(Credentials, db.Model):
    """A member of the programme: contact details, preferences, tier."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(f"status IN {MEMBER_STATUSES!r}", name="status"),
        CheckConstraint("birthday_month BETWEEN 1 AND 12", name="birthday_month"),
        CheckConstraint("birthday_day BETWEEN 1 AND 31", name="birthday_day"),
        CheckConstraint("points_balance >= 0", name="points_balance"),
    )
    kind = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    birthday_month: Mapped[int | None]
    birthday_day: Mapped[int | None]
    birth_year: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"), index=True)
    marketing_emails: Mapped[bool] = mapped_column(default=True)
    survey_emails: Mapped[bool] = mapped_column(default=True)
    event_reminders: Mapped[bool] = mapped_column(default=True)
    # A cache of the ledger's sum, kept in the same transaction; `flask points reconcile` checks it.
    points_balance: Mapped[int] = mapped_column(default=0)
    # The header bell's count, read with the account in the session's one query (portal/care adds
    # it: auth.sessions.load_with); None when the member was loaded otherwise, or since a commit.
    unread_notifications: Mapped[int | None] = query_expression()

    tier: Mapped[Tier] = relationship()

    @property
    def number(self):
        """The member number shown on the card, e.g. M000123."""
        return f"M{self.id:06d}"

    @property
    def is_active(self):
        return self.status == "active"

    @property
    def is_closed(self):
        return self.status == "closed"

    @property
    def awaiting_verification(self):
        return self.status == "pending"

    def email_proved(self, now):
        if self.status == "pending":
            self.status = "active"
            self.email_verified_at = now

    @property
    def first_name(self):
        return self.name.split()[0] if self.name.split() else self.name

    @property
    def birthday(self):
        """The birthday as a date when the year is known, else None."""
        if self.birth_year and self.birthday_month and self.birthday_day:
            return date(self.birth_year, self.birthday_month, self.birthday_day)
        return None


POINTS_KINDS = (
    "purchase", "event_attendance", "survey", "birthday", "redemption", "expiry", "adjustment", "reversal",
)
EARNING_KINDS = ("purchase", "event_attendance", "survey", "birthday")


class PointsEntry(db.Model):
    """One change to a member's points: append-only; the balance is the sum of the amounts.

    An earning (amount > 0) keeps `remaining`, what is left of it unspent, and `expires_at`;
    spending takes from the earnings that expire first. `qualifying` is what the entry adds to
    the points that count towards a tier (earnings count, spending and expiry do not).
    """

    __tablename__ = "points_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        CheckConstraint(f"kind IN {POINTS_KINDS!r}", name="kind"),
        CheckConstraint("remaining IS NULL OR (remaining >= 0 AND remaining <= amount)", name="remaining"),
        db.Index("ix_points_entries_member_created", "member_id", "created_at"),
        db.Index("ix_points_entries_member_expiring", "member_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    amount: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")  # as staff typed it; generated reasons use a code
    # A reason the portal wrote: a code and its parameters, shown in the reader's language
    # (portal/members/reasons.py); `reason` then stays empty.
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remaining: Mapped[int | None]
    qualifying: Mapped[int] = mapped_column(default=0)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"), unique=True)

    member: Mapped[Member] = relationship()
    actor_staff: Mapped[StaffUser | None] = relationship()

    @property
    def is_earning(self):
        return self.remaining is not None


class PointsAllocation(db.Model):
    """How much of an earning a spending entry used, so that a reversal can give it back."""

    __tablename__ = "points_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    spend_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id"), index=True)
    earning_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id"), index=True)
    amount: Mapped[int]


class TierChange(db.Model):
    """A member's move from one tier to another: by qualifying points, a review or staff."""

    __tablename__ = "tier_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    from_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    to_tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"))
    reason: Mapped[str] = mapped_column(Text, default="")  # as staff typed it
    reason_code: Mapped[str | None] = mapped_column(String(40))  # or what the portal wrote, as for points
    reason_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A hand change: the last day (in the programme's calendar) the monthly review leaves the member alone.
    keep_until: Mapped[date | None] = mapped_column(Date)

    from_tier: Mapped[Tier | None] = relationship(foreign_keys=[from_tier_id])
    to_tier: Mapped[Tier] = relationship(foreign_keys=[to_tier_id])
    actor_staff: Mapped[StaffUser | None] = relationship()
