"""Tiers: qualifying points, upgrades the moment they are earned, hand changes by staff, progress."""

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from portal import dates
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
    """(qualifying points of the last 12 months, when the oldest of them leaves the window): the one
    rule, qualifying_window(), for upgrades, the review and progress alike."""
    total, rolls_off, _leaving = qualifying_window(member, now)
    return total, rolls_off


def tier_for_points(points, tiers):
    """The highest of `tiers` (lowest first) whose threshold `points` reach."""
    reached = [tier for tier in tiers if tier.threshold <= points]
    return reached[-1] if reached else tiers[0]


def _move(member, tier, reason, actor=None, now=None, reason_code=None, reason_params=None):
    change = TierChange(member_id=member.id, from_tier_id=member.tier_id, to_tier_id=tier.id,
                        reason=reason, reason_code=reason_code, reason_params=reason_params,
                        actor_staff_id=actor.id if actor else None, created_at=now or utcnow())
    member.tier = tier
    db.session.add(change)
    db.session.flush()
    return change


def upgrade_if_qualified(member, now=None):
    """Raise the member's tier at once when qualifying points reach a higher threshold; never lower it."""
    points, _ = qualifying_summary(member, now)
    target = tier_for_points(points, all_tiers())
    if target.rank > member.tier.rank:
        return _move(member, target, "", now=now, reason_code="qualifying_points", reason_params={"points": points})
    return None


def default_keep_until(now=None):
    """The day a hand change holds until when staff do not choose one: 12 months from today."""
    return add_months(dates.today(now), STAFF_KEEP_MONTHS)


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
    by: datetime | None  # when the oldest qualifying points leave the window: not a deadline
    percent: int
    leaving: int = 0  # how many qualifying points stop counting then


def _leave_day(moment):
    """The programme day on which points earned at `moment` stop counting towards the tier."""
    return dates.day_of(add_months(moment, current_app.config["QUALIFYING_MONTHS"]))


def qualifying_window(member, now=None, first=50):
    """(qualifying points of the last 12 months, when the oldest leave the window, how many leave that day).

    One query: the oldest `first` earnings of the window with the window's total beside them; a
    second only when all of those fall on one day (there may be more that day).
    """
    now = now or utcnow()
    query = (
        select(PointsEntry.created_at, PointsEntry.qualifying,
               func.sum(PointsEntry.qualifying).over().label("total"))
        .where(
            PointsEntry.member_id == member.id,
            PointsEntry.created_at > window_start(now),
            PointsEntry.created_at <= now,
            PointsEntry.qualifying > 0,
            ~exists().where(REVERSAL.reverses_id == PointsEntry.id),  # a reversed earning never counted
        )
        .order_by(PointsEntry.created_at, PointsEntry.id)
    )
    rows = db.session.execute(query.limit(first)).all()
    if not rows:
        return 0, None, 0
    day = _leave_day(rows[0].created_at)
    if len(rows) == first and _leave_day(rows[-1].created_at) == day:
        rows = db.session.execute(query).all()
    leaving = 0
    for row in rows:  # oldest first, so the first that leaves on a later day ends the count
        if _leave_day(row.created_at) != day:
            break
        leaving += row.qualifying
    rolls_off = add_months(rows[0].created_at, current_app.config["QUALIFYING_MONTHS"])
    return int(rows[0].total), rolls_off, leaving


def progress(member, tiers, now=None):
    """How far the member is from the next tier: points needed, and how many of theirs stop counting next, when."""
    points, rolls_off, leaving = qualifying_window(member, now)
    higher = [tier for tier in tiers if tier.rank > member.tier.rank]
    if not higher:
        return Progress(member.tier, None, points, 0, None, 100)
    following = higher[0]
    needed = max(following.threshold - points, 0)
    base = member.tier.threshold
    span = max(following.threshold - base, 1)
    percent = min(100, max(0, (points - base) * 100 // span))
    return Progress(member.tier, following, points, needed, rolls_off, percent, leaving)
