"""Reading the audit log for the staff page: newest first, by action and by member, a page at a time.

(The log's reader belongs beside its writer in portal/audit/; it lives here until that package
is open for changes.)
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.members.models import Member

PAGE_SIZE = 50


@dataclass
class AuditPage:
    entries: list
    members: dict  # member id -> Member, for the rows' member column
    older: int | None  # the id to continue from for older entries, if there are any


def actions():
    """Every action the log holds, sorted."""
    return db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()


def audit_page(action="", member_id=None, before_id=None, per_page=PAGE_SIZE):
    """A page of audit entries, newest first, older than the entry `before_id` if given."""
    query = select(AuditEntry).options(joinedload(AuditEntry.actor_staff))
    if action:
        query = query.where(AuditEntry.action == action)
    if member_id is not None:
        query = query.where(AuditEntry.member_id == member_id)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    rows = db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(per_page + 1)).all()
    entries = rows[:per_page]
    ids = {entry.member_id for entry in entries} | {entry.actor_member_id for entry in entries}
    ids.discard(None)
    members = {}
    if ids:
        members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))}
    return AuditPage(entries, members, entries[-1].id if len(rows) > per_page else None)
