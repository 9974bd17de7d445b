"""Credentials shared by members and staff, and the staff account."""

import secrets
import time
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.auth.roles import ROLES
from portal.extensions import db
from portal.models import UTCDateTime, utcnow

# Every kind of account, by its `kind` ("staff", "member"), in the order logins look them up:
# each Credentials model adds itself when it is defined, so auth never imports the features.
ACCOUNT_MODELS = {}


class Credentials:
    """Email, password hash and the session version that ends sessions when it moves on.

    A model that holds credentials sets `kind` and may override the account's states below.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is not None:
            ACCOUNT_MODELS.setdefault(kind, cls)

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

    @property
    def is_closed(self):
        """A closed account cannot log in or reset its password, and is treated as unknown."""
        return False

    @property
    def awaiting_verification(self):
        """True while the account's email address is not yet proved (it cannot log in)."""
        return False

    def email_proved(self, now):
        """The account's email was proved (by a reset link): an account awaiting it becomes usable."""


class StaffUser(Credentials, db.Model):
    """A member of the programme team; logs in at the same page and works in /admin."""

    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)
    kind = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    # Two-factor sign-in (TOTP). The secret never leaves the server except on the enrolment page;
    # a new one waits in totp_pending_secret until a code from it is confirmed. The last time step
    # used is kept so that a code is accepted once only.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_counter: Mapped[int | None]

    def __repr__(self):
        return f"<StaffUser {self.id} {self.role}>"  # never the secrets

    @property
    def is_active(self):
        return self.active

    @property
    def two_factor_enabled(self):
        return self.totp_enabled_at is not None and self.totp_secret is not None

    def has_role(self, *roles):
        """True when the staff user holds one of `roles` (admin holds every role)."""
        return self.role == "admin" or self.role in roles


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; only its argon2 hash is kept."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
class EndedSession(db.Model):
    """A session (and its remember cookie) ended by logging out; kept until it would have expired."""

    __tablename__ = "ended_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
