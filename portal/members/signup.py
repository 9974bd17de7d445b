"""Becoming a member: sign-up, the emailed verification link, the member's first tier."""

from flask import current_app

from portal.auth import passwords, tokens
from portal.auth.services import find_account, normalise_email
from portal.auth.signals import unverified_login
from portal.extensions import db
from portal.mail.outbox import external_url, queue_email
from portal.members.models import Member
from portal.members.tiers import lowest_tier
from portal.models import utcnow


def send_verification(member):
    """Email `member` a fresh verification link (a security email: never a notification)."""
    token = tokens.make_token(tokens.VERIFY, member)
    queue_email(
        "verify_email", member.email,
        {"name": member.first_name, "link": external_url("members.verify_email", token=token),
         "hours": current_app.config["VERIFY_LINK_MAX_AGE"] // 3600},
        language=member.language, to_name=member.name, member=member, kind="security",
    )


@unverified_login.connect
def resend_verification(_sender, account, **_extra):
    """The right password for a member not yet verified: a fresh link goes out."""
    if account.is_member:
        send_verification(account)


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
            member=existing if existing.is_member else None, kind="security",
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
