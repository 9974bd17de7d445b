"""Sign-up, email verification, login, password reset and change, logout."""

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select

from jobs.queues import enqueue_after_commit
from portal.auth import events, passwords, tokens
from portal.auth.models import StaffUser
from portal.extensions import db
from portal.mail.outbox import queue_email
from portal.members.models import Member
from portal.members.tiers import lowest_tier
from portal.models import utcnow

ACCOUNT_KINDS = {"member": Member, "staff": StaffUser}


def normalise_email(email):
    """Emails are compared case-insensitively and without surrounding spaces."""
    return (email or "").strip().lower()


def find_account(email):
    """The staff user or member with `email`, staff first; None if there is none."""
    email = normalise_email(email)
    staff = db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))
    if staff is not None:
        return staff
    return db.session.scalar(select(Member).where(func.lower(Member.email) == email))


def external_url(endpoint, **values):
    """An absolute link for an email, built on the configured BASE_URL (in a request or in a job)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    return base + current_app.url_map.bind("localhost").build(endpoint, values)  # BASE_URL names the host


def send_verification(member):
    """Email `member` a fresh verification link."""
    token = tokens.make_token(tokens.VERIFY, member)
    queue_email(
        "verify_email", member.email,
        {"name": member.first_name, "link": external_url("auth.verify_email", token=token),
         "hours": current_app.config["VERIFY_LINK_MAX_AGE"] // 3600},
        language=member.language, to_name=member.name, member=member,
    )


def sign_up(name, email, password, language, phone=None, birthday_month=None,
            birthday_day=None, birth_year=None):
    """Create a pending member and email a verification link; a known email gets a notice instead.

    Returns the new member, or None when the email was already registered: the caller must
    answer both cases in the same way so that sign-up does not reveal who is a member.
    """
    email = normalise_email(email)
    existing = find_account(email)
    if existing is not None:
        passwords.hash_password(password)  # the same work as a real sign-up, so timing tells nothing
        queue_email(
            "signup_exists", existing.email,
            {"name": existing.name, "login": external_url("auth.login"),
             "reset": external_url("auth.forgot_password")},
            language=existing.language, to_name=existing.name,
            member=existing if existing.is_member else None,
        )
        return None
    member = Member(
        name=name.strip(), email=email, password_hash=passwords.hash_password(password),
        language=language, phone=phone or None, birthday_month=birthday_month,
        birthday_day=birthday_day, birth_year=birth_year, status="pending", tier=lowest_tier(),
    )
    db.session.add(member)
    db.session.flush()
    send_verification(member)
    return member


def member_for_verification(token):
    """The pending member a verification link is for; raises tokens.LinkError."""
    data = tokens.read_token(tokens.VERIFY, token, current_app.config["VERIFY_LINK_MAX_AGE"])
    member = db.session.get(Member, data["id"]) if data.get("k") == "member" else None
    tokens.check_fingerprint(data, member)
    if member.status != "pending":
        raise tokens.LinkError("used")
    return member


def verify_email(token):
    """Activate the member named by a verification link; raises tokens.LinkError."""
    member = member_for_verification(token)
    member.status = "active"
    member.email_verified_at = utcnow()
    return member


def authenticate(email, password, language=None):
    """The active account for `email` and `password`, else None (one answer for every failure).

    A member who has not verified yet gets a fresh link and the result "unverified". A
    `language` the visitor chose before logging in is saved on the account.
    """
    account = find_account(email)
    if account is None or getattr(account, "status", "active") == "closed":
        passwords.verify_password(_dummy_hash(), password)  # equal work for unknown emails
        return None
    if not passwords.verify_password(account.password_hash, password):
        return None
    if account.is_member and account.status == "pending":
        send_verification(account)
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
    if account is None or not (account.is_staff and account.active or
                                account.is_member and account.status != "closed"):
        return None
    token = tokens.make_token(tokens.RESET, account)
    queue_email(
        "reset_password", account.email,
        {"name": account.name, "link": external_url("auth.reset_password", token=token),
         "minutes": current_app.config["RESET_LINK_MAX_AGE"] // 60},
        language=account.language, to_name=account.name,
        member=account if account.is_member else None,
    )
    return account


def account_for_reset(token):
    """The account a reset link is for, if the link is genuine, fresh and unused; raises LinkError."""
    data = tokens.read_token(tokens.RESET, token, current_app.config["RESET_LINK_MAX_AGE"])
    model = ACCOUNT_KINDS.get(data.get("k", "member"))
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
    if account.is_member and account.status == "pending":
        account.status = "active"  # the link proved the address, as a verification link would
        account.email_verified_at = utcnow()
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
