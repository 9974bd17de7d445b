"""Password hashing (argon2id) and the password policy."""

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 128
# The 20,000 most common passwords, from Django (BSD licence, see common-passwords.LICENSE).
COMMON = Path(__file__).with_name("common-passwords.txt.gz")


@cache
def common_passwords():
    with gzip.open(COMMON, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def hasher():
    """The argon2id hasher with the configured cost (m ≥ 46 MiB, t ≥ 1 by default)."""
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_KIB"],
        parallelism=config["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password):
    """An argon2id hash of `password`."""
    return hasher().hash(password)


def verify_password(password_hash, password):
    """True when `password` matches `password_hash`."""
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    """True when the hash was made with weaker settings than the current ones."""
    return hasher().check_needs_rehash(password_hash)


def password_problem(password, *, email="", name=""):
    """Why `password` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)d characters.", n=MAX_LENGTH)
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return _l("This password is too common. Choose one that is harder to guess.")
    personal = {email.lower(), email.split("@")[0].lower(), name.strip().lower()} - {""}
    if lowered in personal:
        return _l("Do not use your name or email address as your password.")
    return None
