"""Writing the audit log."""

from flask import has_request_context, request

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.models import utcnow


def record(action, target, *, actor=None, member=None, before=None, after=None, reason="", at=None,
           address=None):
    """Add an audit row for `action` on `target` (a model object, or None when there is none) by
    `actor` (staff or member), from the client `address`: by default the address of the request
    that made the change (behind trusted proxies, ProxyFix has already put the client's there)."""
    if address is None and has_request_context():
        address = request.remote_addr
    entry = AuditEntry(
        created_at=at or utcnow(),
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=target.id if target is not None else None,
        actor_staff_id=actor.id if actor is not None and actor.is_staff else None,
        actor_member_id=actor.id if actor is not None and actor.is_member else None,
        member_id=member.id if member is not None else None,
        before=before,
        after=after,
        reason=reason or "",
        address=address,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
