"""The member's recent activity as one list, newest first, from every feature that has some.

Each source registers a query for one member's latest rows, with the same labelled columns
(COLUMNS), and how to present a row. recent_activity() runs them all as ONE query (UNION ALL,
newest first, LIMIT n), so the home page costs the same whatever the number of sources and rows.
That statement is built once per process, with the member and the limit as parameters: building
it (eight subqueries' column collections) cost more CPU than running it.
Members registers its own sources (points entries, tier changes); a feature that members must
not import (rewards, later events, tickets, surveys) registers its own when the app is built.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, bindparam, case, cast, literal_column, null, select, union_all
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.i18n import localized
from portal.members.models import PointsEntry, Tier, TierChange
from portal.presentation import POINTS_KIND_NAMES

# Every source's query selects these, in this order, with these labels.
COLUMNS = ("when", "source", "kind", "amount", "reason_code", "reason_params", "reason", "ref_id", "row_id")


@dataclass
class Activity:
    when: datetime
    source: str  # "points", "tier", "reward"; later "event", "ticket", "survey"
    kind: str  # the source's own kind, e.g. the ledger kind
    label: str  # what happened, in the reader's language: "Purchase", "Voucher used"
    amount: int | None
    reason_code: str | None  # the detail, as on ledger rows: see members/reasons.py
    reason_params: dict | None
    reason: str
    ref_id: int | None  # what the row is about, in the source's terms (a tier, a reward)


@dataclass(frozen=True)
class Source:
    query: object  # (member_id, limit) -> Select with COLUMNS; both may be bound parameters
    label: object  # (row) -> the label shown
    params: object = None  # (row) -> reason_params, for sources that keep them in columns


SOURCES = {}


_STATEMENTS = {}  # tuple(SOURCES) → the union of their queries, member and limit as parameters


def register_source(name, query, label, params=None):
    """Add (or replace) the timeline source `name`; see COLUMNS for what `query` selects."""
    SOURCES[name] = Source(query, label, params)
    _STATEMENTS.clear()


def constant(value):
    """A text constant for a source's columns (rendered inline: UNION ALL needs no typed parameters)."""
    return literal_column("'" + value.replace("'", "''") + "'", String)


def no_value(type_):
    """A NULL of `type_`, for a column a source does not have."""
    return cast(null(), type_)


def points_query(member_id, limit):
    """The member's latest ledger entries."""
    return (
        select(PointsEntry.created_at.label("when"), constant("points").label("source"),
               PointsEntry.kind.label("kind"), PointsEntry.amount.label("amount"),
               PointsEntry.reason_code.label("reason_code"), PointsEntry.reason_params.label("reason_params"),
               PointsEntry.reason.label("reason"), no_value(Integer).label("ref_id"),
               PointsEntry.id.label("row_id"))
        .where(PointsEntry.member_id == member_id)
        .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc()).limit(limit)
    )


FROM_TIER, TO_TIER = aliased(Tier), aliased(Tier)


def tier_query(member_id, limit):
    """The member's latest tier changes, up or down."""
    return (
        select(TierChange.created_at.label("when"), constant("tier").label("source"),
               case((FROM_TIER.rank > TO_TIER.rank, constant("tier_down")), else_=constant("tier_up")).label("kind"),
               no_value(Integer).label("amount"), TierChange.reason_code.label("reason_code"),
               TierChange.reason_params.label("reason_params"), TierChange.reason.label("reason"),
               TierChange.to_tier_id.label("ref_id"), TierChange.id.label("row_id"))
        .join(TO_TIER, TO_TIER.id == TierChange.to_tier_id)
        .outerjoin(FROM_TIER, FROM_TIER.id == TierChange.from_tier_id)
        .where(TierChange.member_id == member_id)
        .order_by(TierChange.created_at.desc(), TierChange.id.desc()).limit(limit)
    )


def tier_label(row):
    tier = db.session.get(Tier, row.ref_id)  # the home has every tier loaded: no query
    name = localized(tier, "name") if tier is not None else ""
    if row.kind == "tier_down":
        return _l("Moved to %(tier)s", tier=name)
    return _l("Moved up to %(tier)s", tier=name)


register_source("points", points_query, lambda row: POINTS_KIND_NAMES.get(row.kind, row.kind))
register_source("tier", tier_query, tier_label)


def _activity_statement():
    """Every source's latest rows, newest first: one UNION ALL, built once for these sources."""
    key = tuple(SOURCES)
    statement = _STATEMENTS.get(key)
    if statement is None:
        member_id, limit = bindparam("member_id", type_=Integer), bindparam("limit", type_=Integer)
        parts = [source.query(member_id, limit).subquery() for source in SOURCES.values()]
        every = union_all(*(select(*(part.c[column] for column in COLUMNS)) for part in parts)).subquery()
        statement = (select(*(every.c[column] for column in COLUMNS))
                     .order_by(every.c.when.desc(), every.c.source, every.c.row_id.desc()).limit(limit))
        _STATEMENTS[key] = statement
    return statement


def recent_activity(member, limit=6):
    """The latest `limit` things the member did or that happened to them, newest first (one query)."""
    if not SOURCES:
        return []
    rows = db.session.execute(_activity_statement(), {"member_id": member.id, "limit": limit}).all()
    items = []
    for row in rows:
        source = SOURCES.get(row.source)
        if source is None:
            continue
        items.append(Activity(
            when=row.when, source=row.source, kind=row.kind, label=source.label(row), amount=row.amount,
            reason_code=row.reason_code,
            reason_params=source.params(row) if source.params is not None else row.reason_params,
            reason=row.reason or "", ref_id=row.ref_id,
        ))
    return items

