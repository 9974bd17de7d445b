"""A member's records as staff read them: the member, the ledger with who made each entry, tier history.

Each function runs a fixed number of queries whatever the size of the history: the staff users
and tiers the rows refer to are loaded in one query each and set on the rows, instead of each
row loading its own when the page reads it.
"""

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.auth.models import StaffUser
from portal.extensions import db
from portal.members import ledger, tiers
from portal.members.models import Member

LEDGER_PAGE_SIZE = 20


def member_for_staff(member_id):
    """The member with their tier, or None."""
    return db.session.scalar(
        select(Member).options(joinedload(Member.tier, innerjoin=True)).where(Member.id == member_id)
    )


def members_by_id(ids):
    """{id: Member} for `ids`, in one query (none for no ids)."""
    if not ids:
        return {}
    return {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))}


def _with_staff(rows):
    """Set `actor_staff` on every row from one query."""
    ids = {row.actor_staff_id for row in rows if row.actor_staff_id is not None}
    staff = {s.id: s for s in db.session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))} if ids else {}
    for row in rows:
        set_committed_value(row, "actor_staff", staff.get(row.actor_staff_id))


def ledger_page(member, after_id=None, limit=LEDGER_PAGE_SIZE):
    """A page of the member's ledger, newest first, after the entry `after_id`: (entries, more?)."""
    entries, more = ledger.history(member, after_id=after_id, limit=limit)
    _with_staff(entries)
    return entries, more


def tier_changes(member):
    """The member's tier changes, newest first, with their tiers and staff at hand; and every tier."""
    every_tier = tiers.all_tiers()
    by_id = {tier.id: tier for tier in every_tier}
    changes = tiers.tier_history(member)
    _with_staff(changes)
    for change in changes:
        set_committed_value(change, "from_tier", by_id.get(change.from_tier_id))
        set_committed_value(change, "to_tier", by_id[change.to_tier_id])
    return changes, every_tier
