"""Reading the audit log for the staff page: newest first, by action and by member, a page at a time."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEntry
from portal.extensions import db

PAGE_SIZE = 50


@dataclass
class AuditPage:
    entries: list
    member_ids: set  # the members the entries name (as subject or actor), for the page to look up
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
    return AuditPage(entries, ids, entries[-1].id if len(rows) > per_page else None)
