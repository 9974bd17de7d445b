"""Signed, expiring, single-use links for email verification and password reset."""

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

VERIFY = "verify-email"
RESET = "reset-password"


class LinkError(Exception):
    """A link that is tampered with, expired, or already used."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "invalid", "expired" or "used"


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portal-{purpose}")


def fingerprint(account):
    """Changes when the link must stop working: after the password changes or the email is verified."""
    state = f"{account.password_hash}|{account.email}|{getattr(account, 'email_verified_at', '')}"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def make_token(purpose, account):
    """A token naming `account` that works until it expires or the account's state moves on."""
    return _serializer(purpose).dumps({"k": account.kind, "id": account.id, "fp": fingerprint(account)})


def read_token(purpose, token, max_age):
    """The account id in `token`, after checking signature and age; raises LinkError."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError("expired") from None
    except BadSignature:
        raise LinkError("invalid") from None
    if not isinstance(data, dict) or "id" not in data or "fp" not in data:
        raise LinkError("invalid")
    return data


def check_fingerprint(data, account):
    """Raise LinkError("used") unless the account is still in the state the link was made for."""
    if account is None:
        raise LinkError("invalid")
    if data["fp"] != fingerprint(account):
        raise LinkError("used")
