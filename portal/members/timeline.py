"""The member's recent activity as one list, newest first, from every feature that has some.

Each source is a function (member, limit) -> [Activity] running one query; later features
(registrations, tickets, surveys) add theirs to SOURCES. The home page runs each source once.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.members.models import PointsEntry


@dataclass
class Activity:
    when: datetime
    source: str  # "points", later "event", "ticket", "survey"
    kind: str  # the source's own kind, e.g. the ledger kind
    amount: int | None
    detail: str


def points_activity(member, limit):
    """The member's latest ledger entries."""
    entries = db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member.id)
        .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc()).limit(limit)
    ).all()
    return [Activity(e.created_at, "points", e.kind, e.amount, e.reason) for e in entries]


SOURCES = [points_activity]


def recent_activity(member, limit=6):
    """The latest `limit` things the member did or that happened to them, newest first."""
    items = [item for source in SOURCES for item in source(member, limit)]
    return sorted(items, key=lambda item: item.when, reverse=True)[:limit]
