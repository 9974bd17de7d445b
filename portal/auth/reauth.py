"""A secret typed again by someone already logged in (the current password to change it or to set
up two-factor sign-in again): it is guarded like a login, so a stolen session cannot guess it.

The account and address are paused by the login's counters (429, audited); a wrong secret counts
as a failed login and is audited; and the form itself is limited per account (Flask-Limiter).
"""

from flask import current_app
from flask_login import current_user

from portal.auth import events, throttle
from portal.extensions import db, limiter


def account_key():
    """Flask-Limiter key: the logged-in account."""
    return f"account:{current_user.kind}:{current_user.id}" if current_user.is_authenticated else "anonymous"


def limited(view):
    """PORTAL_PASSWORD_CHANGE_LIMIT per account on a form that checks a secret again."""
    return limiter.limit(lambda: current_app.config["PASSWORD_CHANGE_LIMIT"], key_func=account_key,
                         methods=["POST"])(view)


def check_secret(account, check):
    """Run `check()` (True when the secret is right) unless the account is paused here; a wrong one
    counts like a failed login. Raises throttle.Throttled (429) after committing its audit entry."""
    try:
        throttle.check(account.email)
    except throttle.Throttled:
        events.record_event(events.THROTTLED, account, by_account=False)
        db.session.commit()  # kept, though the request ends in 429
        raise
    if check():
        return True
    throttle.failed(account.email)
    events.record_event(events.LOGIN_FAILED, account, by_account=False)
    return False
