"""Security events in the audit log: the account, the client's address and the time.

Never a password, a token or a link. An attempt on an email that has no account names no one:
the entry keeps the address and a keyed hash of the email as typed (people type passwords into
the email field, so the text itself is not kept), which is enough to see one email tried many times.
"""

from portal.audit.services import record
from portal.auth.throttle import client_address, email_digest

LOGIN = "auth.login"
LOGIN_FAILED = "auth.login_failed"
THROTTLED = "auth.throttled"
RESET_REQUESTED = "auth.reset_requested"
RESET_COMPLETED = "auth.reset_completed"
PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105 (an action name)
LOGGED_OUT = "auth.logout"
SESSIONS_ENDED = "auth.sessions_ended"


def record_event(action, account, *, email=None, by_account=True, address=None, after=None):
    """Audit `action` on `account` (None when the email has no account), by that account unless
    `by_account` is False (a failed attempt: whoever tried is not known)."""
    details = dict(after or {})
    if account is None and email is not None:
        details["email_digest"] = email_digest(email)
    return record(
        action, account,
        actor=account if by_account else None,
        member=account if account is not None and account.is_member else None,
        after=details or None,
        address=address if address is not None else client_address(),
    )
