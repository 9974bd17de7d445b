"""Tiers: qualifying points, upgrades the moment they are earned, hand changes by staff, progress."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from portal.audit.services import record
from portal.extensions import db
from portal.members.models import Member, PointsEntry, Tier, TierChange
from portal.models import add_months, utcnow

REVERSAL = aliased(PointsEntry)
STAFF_KEEP_MONTHS = 12  # how long a hand change holds against the monthly review, unless staff say otherwise


def all_tiers():
    """Every tier, lowest first."""
    return db.session.scalars(select(Tier).order_by(Tier.rank)).all()


def lowest_tier():
    """The entry tier every new member starts at."""
    tier = db.session.scalar(select(Tier).order_by(Tier.rank).limit(1))
    if tier is None:
        raise LookupError("no tiers are set up: run the migrations")
    return tier


def window_start(now):
    return add_months(now, -current_app.config["QUALIFYING_MONTHS"])


def qualifying_summary(member, now=None):
    """(qualifying points of the last 12 months, when the oldest of them leaves the window)."""
    now = now or utcnow()
    total, oldest = db.session.execute(
        select(
            func.coalesce(func.sum(PointsEntry.qualifying), 0),
            func.min(PointsEntry.created_at).filter(PointsEntry.qualifying > 0),
        ).where(
            PointsEntry.member_id == member.id,
            PointsEntry.created_at > window_start(now),
            PointsEntry.created_at <= now,
            ~exists().where(REVERSAL.reverses_id == PointsEntry.id),  # a reversed earning never counted
        )
    ).one()
    if oldest is not None and oldest.tzinfo is None:  # aggregates bypass the column type on SQLite
        oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=now.tzinfo)
    rolls_off = add_months(oldest, current_app.config["QUALIFYING_MONTHS"]) if oldest else None
    return int(total), rolls_off


def tier_for_points(points, tiers):
    """The highest of `tiers` (lowest first) whose threshold `points` reach."""
    reached = [tier for tier in tiers if tier.threshold <= points]
    return reached[-1] if reached else tiers[0]


def _move(member, tier, reason, actor=None, now=None):
    change = TierChange(member_id=member.id, from_tier_id=member.tier_id, to_tier_id=tier.id,
                        reason=reason, actor_staff_id=actor.id if actor else None,
                        created_at=now or utcnow())
    member.tier = tier
    db.session.add(change)
    db.session.flush()
    return change


def upgrade_if_qualified(member, now=None):
    """Raise the member's tier at once when qualifying points reach a higher threshold; never lower it."""
    points, _ = qualifying_summary(member, now)
    target = tier_for_points(points, all_tiers())
    if target.rank > member.tier.rank:
        return _move(member, target, f"qualifying points reached {points}", now=now)
    return None


def programme_today(now=None):
    """The programme's calendar day of the UTC moment `now` (default: now)."""
    return (now or utcnow()).astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def default_keep_until(now=None):
    """The day a hand change holds until when staff do not choose one: 12 months from today."""
    return add_months(programme_today(now), STAFF_KEEP_MONTHS)


def change_tier(member, tier, reason, actor, keep_until=None):
    """Staff move a member to `tier` by hand, with a reason; the monthly review leaves the member
    there until the day `keep_until` (default: 12 months from today) is over; audited."""
    if not reason or not reason.strip():
        raise ValueError("a reason is required")
    if actor is None or not actor.is_staff:
        raise ValueError("only staff change a tier by hand")
    keep_until = keep_until or default_keep_until()
    if not isinstance(keep_until, date) or isinstance(keep_until, datetime):
        raise ValueError("keep_until is a calendar day")
    db.session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    db.session.refresh(member)
    if tier.id == member.tier_id:
        raise ValueError("the member is already in that tier")
    before = {"tier": member.tier.code}
    change = _move(member, tier, reason.strip(), actor=actor)
    change.keep_until = keep_until
    record("member.tier_change", member, actor=actor, member=member, before=before,
           after={"tier": tier.code, "keep_until": keep_until.isoformat()}, reason=reason.strip())
    return change


def keeping_change(changes, today):
    """Of `changes` (newest first), the latest hand change if it still holds on `today`, else None."""
    latest = next((change for change in changes if change.actor_staff_id is not None), None)
    if latest is None or latest.keep_until is None or latest.keep_until < today:
        return None
    return latest


def kept_by_staff(member, today):
    """The hand change that keeps `member` in their tier on `today` (the review leaves them alone), or None."""
    latest = db.session.scalars(
        select(TierChange).where(TierChange.member_id == member.id, TierChange.actor_staff_id.is_not(None))
        .order_by(TierChange.created_at.desc(), TierChange.id.desc()).limit(1)
    ).all()
    return keeping_change(latest, today)


def tier_history(member):
    """The member's tier changes, newest first."""
    return db.session.scalars(
        select(TierChange).where(TierChange.member_id == member.id)
        .order_by(TierChange.created_at.desc(), TierChange.id.desc())
    ).all()


@dataclass
class Progress:
    tier: Tier
    next_tier: Tier | None
    qualifying: int
    needed: int
    by: datetime | None
    percent: int


def progress(member, tiers, now=None):
    """How far the member is from the next tier: points needed, and by when they must come."""
    points, rolls_off = qualifying_summary(member, now)
    higher = [tier for tier in tiers if tier.rank > member.tier.rank]
    if not higher:
        return Progress(member.tier, None, points, 0, None, 100)
    following = higher[0]
    needed = max(following.threshold - points, 0)
    base = member.tier.threshold
    span = max(following.threshold - base, 1)
    percent = min(100, max(0, (points - base) * 100 // span))
    return Progress(member.tier, following, points, needed, rolls_off, percent)

