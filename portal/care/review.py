"""The monthly tier review: a member below their tier's threshold goes down one tier, never lower."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.care.messages import Link, tell_member
from portal.care.points import active_members
from portal.dates import start_of_month
from portal.dates import today as programme_today
from portal.extensions import db
from portal.members import ledger, tiers
from portal.members.models import Member, Tier, TierChange
from portal.models import utcnow

REASON = "tier_review"  # the reason code of its tier changes (members/reasons.py)


@dataclass
class Review:
    """A downgrade: from which tier to which, and the qualifying points that win it back."""

    change: TierChange
    from_tier: Tier
    to_tier: Tier
    qualifying: int
    needed: int


def members_to_review():
    """Ids of active members above the lowest tier (one query)."""
    lowest = select(Tier.rank).order_by(Tier.rank).limit(1).scalar_subquery()
    return db.session.scalars(
        select(Member.id).join(Tier, Tier.id == Member.tier_id)
        .where(Member.status == "active", Tier.rank > lowest).order_by(Member.id)
    ).all()


def reviewed_this_month(member, now):
    """Whether a review already moved the member this month (a second run moves no one twice)."""
    return db.session.scalar(
        select(TierChange.id).where(
            TierChange.member_id == member.id, TierChange.actor_staff_id.is_(None),
            TierChange.reason_code == REASON, TierChange.created_at >= start_of_month(now),
        ).limit(1)
    ) is not None


def kept_here(member, current, now, every):
    """Whether a hand change still holds today and the member is no higher than the tier staff chose."""
    kept = tiers.kept_by_staff(member, programme_today(now))
    if kept is None:
        return False
    kept_rank = next(tier.rank for tier in every if tier.id == kept.to_tier_id)
    return current.rank <= kept_rank  # above the kept tier (earned since), the review may lower it to there


def review_tier(member, now=None, every=None):
    """Move `member` down one tier if their qualifying points are below its threshold; a Review or None."""
    now = now or utcnow()
    every = every or tiers.all_tiers()
    member = ledger.lock_member(member)  # an earning at the same moment cannot interleave
    current = member.tier
    lower = [tier for tier in every if tier.rank < current.rank]
    if not lower:
        return None
    if kept_here(member, current, now, every):
        return None
    points, _ = tiers.qualifying_summary(member, now)
    if points >= current.threshold or reviewed_this_month(member, now):
        return None
    change = tiers._move(member, lower[-1], "", now=now, reason_code=REASON,
                         reason_params={"points": points, "tier": current.code, "threshold": current.threshold})
    return Review(change, current, lower[-1], points, current.threshold - points)


def review_tiers(now=None, member_ids=None):
    """The monthly review of active members above the lowest tier: one tier down at most, emailed."""
    now = now or utcnow()
    every = tiers.all_tiers()  # loaded once: member.tier then needs no query
    ids = members_to_review() if member_ids is None else member_ids
    reviews = []
    for member in active_members(ids):
        review = review_tier(member, now, every)
        if review is not None:
            reviews.append(review)
            email_tier_review(member, review)
    return reviews


def email_tier_review(member, review):
    """The downgrade email (about the account: always sent), with what gets the tier back."""
    tell_member(member, "tier_review",
                {"name": member.first_name, "old_tier": review.from_tier, "new_tier": review.to_tier,
                 "qualifying": review.qualifying, "needed": review.needed,
                 "months": current_app.config["QUALIFYING_MONTHS"]},
                kind="account", link=Link("members.benefits", _l("Compare the tiers")))

