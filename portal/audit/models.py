"""The audit log: every staff change and every sensitive member action; rows are never edited."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.auth.models import StaffUser


class AuditEntry(db.Model):
    """Who did what to which record, when, with the state before and after and the reason."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    # The client's IP address for actions a request made (security events above all); None for jobs.
    address: Mapped[str | None] = mapped_column(String(45))

    # By name: the audit log is plumbing and imports no account model (auth writes to it).
    actor_staff: Mapped["StaffUser | None"] = relationship("StaffUser")
