"""The outbox: every email is stored here before it is sent."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import UTCDateTime, utcnow

OUTBOX_STATUSES = ("held", "queued", "sending", "sent", "failed")
# What an email is about. "security" emails (verification, password reset, "you already have an
# account", email changes) carry secrets: they never become notifications, their links are never
# logged, and the outbox page shows them redacted. The others say why they were sent; features
# decide from them which preference applies (see portal/care/messages.py).
MAIL_KINDS = ("security", "account", "marketing", "survey", "reminder")


class OutboxMessage(db.Model):
    """One email: rendered in the recipient's language, then sent (once) by a job."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"status IN {OUTBOX_STATUSES!r}", name="status"),
        CheckConstraint(f"kind IN {MAIL_KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16), default="account")
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(120), default="")
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The one-click unsubscribe URL (RFC 8058) of an email a member may turn off; None for the others.
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))

    attachments: Mapped[list["OutboxAttachment"]] = relationship(
        order_by="OutboxAttachment.id", cascade="all, delete-orphan", lazy="selectin")

    @property
    def is_security(self):
        return self.kind == "security"

    @property
    def message_id(self):
        """A stable Message-ID, the same on every attempt, so receivers can drop a repeat."""
        return f"<outbox-{self.id}-{int(self.created_at.timestamp())}@member-portal>"


class OutboxAttachment(db.Model):
    """A file sent with an outbox message (a calendar file), stored with it so a retry sends the same bytes."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(80))
    content: Mapped[bytes] = mapped_column(LargeBinary)
