"""Unsubscribing in one click: the signed link in an email a member may turn off (RFC 8058 and the
visible footer link), and turning that kind of email off or back on without a login.

The token names the member and the kind of email; it does not expire (an old newsletter must still
unsubscribe) but any change to it is refused. Turning an email off twice changes nothing the second
time, so a mailbox provider's repeated POST and the member's own click agree.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from portal.audit.services import record
from portal.extensions import db
from portal.members.models import Member

# The kinds of email a member may turn off, and the member's preference for each.
PREFERENCES = {"marketing": "marketing_emails", "survey": "survey_emails", "reminder": "event_reminders"}
TOKEN_SALT = "unsubscribe"  # noqa: S105 (a signing salt, not a secret)


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def unsubscribe_token(member, kind):
    """The token of `member`'s unsubscribe link for emails of `kind` (one of PREFERENCES), signed."""
    if kind not in PREFERENCES:
        raise ValueError(f"{kind!r} emails cannot be turned off")
    return _serializer().dumps([member.id, kind])


def read_token(token):
    """(member, kind) that an unsubscribe token names, or None (tampered, unknown, not one of ours)."""
    try:
        member_id, kind = _serializer().loads(token or "")
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(member_id, int) or isinstance(member_id, bool) or kind not in PREFERENCES:
        return None
    member = db.session.get(Member, member_id)
    return (member, kind) if member is not None else None


def set_wanted(member, kind, wanted):
    """Turn `member`'s emails of `kind` on or off from an email's link; True when that changed
    something (then audited with the preference alone: who clicked, from where, is the member's own)."""
    preference = PREFERENCES[kind]
    if bool(getattr(member, preference)) == wanted:
        return False
    setattr(member, preference, wanted)
    record("member.resubscribe" if wanted else "member.unsubscribe", member, actor=member, member=member,
           before={preference: not wanted}, after={preference: wanted})
    return True
