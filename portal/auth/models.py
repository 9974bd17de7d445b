"""Credentials shared by members and staff, and the staff account."""

import secrets
import time
from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models import UTCDateTime, utcnow

ROLES = ("admin", "service", "operations", "expansion")


class Credentials:
    """Email, password hash and the session version that ends sessions when it moves on."""

    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    session_version: Mapped[int] = mapped_column(default=1)
    language: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login protocol
    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        """A new session id, "kind:id:version:issued:nonce", for the session and remember cookie.

        Flask-Login calls this once, in login_user(): each login gets its own id. The version
        ends every session when it moves on, the issue time (Unix seconds) ends the session and
        its remember cookie after PORTAL_REMEMBER_DAYS, and the nonce lets logout end this one.
        """
        return f"{self.kind}:{self.id}:{self.session_version}:{int(time.time())}:{secrets.token_hex(8)}"

    @property
    def is_staff(self):
        return self.kind == "staff"

    @property
    def is_member(self):
        return self.kind == "member"


class StaffUser(Credentials, db.Model):
    """A member of the programme team; logs in at the same page and works in /admin."""

    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)
    kind = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def is_active(self):
        return self.active

    def has_role(self, *roles):
        """True when the staff user holds one of `roles` (admin holds every role)."""
        return self.role == "admin" or self.role in roles


class EndedSession(db.Model):
    """A session (and its remember cookie) ended by logging out; kept until it would have expired."""

    __tablename__ = "ended_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
