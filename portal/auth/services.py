"""Identity: finding accounts, login, password reset and change, ending sessions.

Accounts of every kind (staff, members) are found through ACCOUNT_MODELS; auth imports no feature.
"""

from flask import current_app
from sqlalchemy import func, select

from jobs.queues import enqueue_after_commit
from portal.auth import events, passwords, tokens
from portal.auth.models import ACCOUNT_MODELS
from portal.auth.signals import unverified_login
from portal.extensions import db
from portal.mail.outbox import external_url, queue_email
from portal.models import utcnow


def normalise_email(email):
    """Emails are compared case-insensitively and without surrounding spaces."""
    return (email or "").strip().lower()


def find_account(email):
    """The account with `email`, staff first; None if there is none."""
    email = normalise_email(email)
    for model in ACCOUNT_MODELS.values():
        account = db.session.scalar(select(model).where(func.lower(model.email) == email))
        if account is not None:
            return account
    return None


def authenticate(email, password, language=None):
    """The active account for `email` and `password`, else None (one answer for every failure).

    A member who has not verified yet gets a fresh link and the result "unverified". A
    `language` the visitor chose before logging in is saved on the account.
    """
    account = find_account(email)
    if account is None or account.is_closed:
        passwords.verify_password(_dummy_hash(), password)  # equal work for unknown emails
        return None
    if not passwords.verify_password(account.password_hash, password):
        return None
    if account.awaiting_verification:
        unverified_login.send(current_app._get_current_object(), account=account)
        return "unverified"
    if not account.is_active:
        return None
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    if language in current_app.config["LANGUAGES"]:
        account.language = language
    account.last_login_at = utcnow()
    return account


_DUMMY = {}


def _dummy_hash():
    key = (current_app.config["ARGON2_MEMORY_KIB"], current_app.config["ARGON2_TIME_COST"])
    if key not in _DUMMY:
        _DUMMY[key] = passwords.hash_password("not a real password")
    return _DUMMY[key]


RESET_JOB = "jobs.accounts.send_password_reset"


def queue_password_reset(email, address):
    """Queue the reset job for `email`, known or not: the request does the same work either way."""
    enqueue_after_commit(RESET_JOB, normalise_email(email), address)


def request_password_reset(email, address=None):
    """Email a reset link when the address belongs to an account; silent otherwise. Audited both ways."""
    account = find_account(email)
    events.record_event(events.RESET_REQUESTED, account, email=email, by_account=False, address=address)
    if account is None or account.is_closed or not (account.is_active or account.awaiting_verification):
        return None
    token = tokens.make_token(tokens.RESET, account)
    queue_email(
        "reset_password", account.email,
        {"name": account.name, "link": external_url("auth.reset_password", token=token),
         "minutes": current_app.config["RESET_LINK_MAX_AGE"] // 60},
        language=account.language, to_name=account.name,
        member=account if account.is_member else None, kind="security",
    )
    return account


def account_for_reset(token):
    """The account a reset link is for, if the link is genuine, fresh and unused; raises LinkError."""
    data = tokens.read_token(tokens.RESET, token, current_app.config["RESET_LINK_MAX_AGE"])
    model = ACCOUNT_MODELS.get(data.get("k", "member"))
    account = db.session.get(model, data["id"]) if model else None
    tokens.check_fingerprint(data, account)
    return account


def set_password(account, new_password):
    """Store a new password and end every session the account has."""
    account.password_hash = passwords.hash_password(new_password)
    account.session_version += 1


def reset_password(account, new_password):
    """Set a new password for the account a reset link named; the link then stops working."""
    set_password(account, new_password)
    account.email_proved(utcnow())  # the link proved the address, as a verification link would
    return account


def change_password(account, current_password, new_password):
    """Change the password after checking the current one; False when it does not match."""
    if not passwords.verify_password(account.password_hash, current_password):
        return False
    set_password(account, new_password)
    return True


def end_sessions(account):
    """Log the account out everywhere: every session and remember cookie stops working."""
    account.session_version += 1
