"""A staff tier change holds against the monthly review until its "keep until" day, then the review
treats the member as it treats everyone."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.care import review
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members import ledger, tiers
from portal.members.models import Tier, TierChange
from tests.factories import make_member, make_staff

KEEP_UNTIL = date(2027, 3, 15)
LAST_KEPT_MOMENT = datetime(2027, 3, 15, 15, 59, tzinfo=UTC)  # 23:59 on 15 March in Taipei
FIRST_FREE_MOMENT = datetime(2027, 3, 15, 16, 0, tzinfo=UTC)  # 00:00 on 16 March in Taipei


def tier(code):
    return db.session.scalar(select(Tier).where(Tier.code == code))


def moves(member):
    return [(c.from_tier.code, c.to_tier.code, c.actor_staff_id is not None) for c in db.session.scalars(
        select(TierChange).where(TierChange.member_id == member.id).order_by(TierChange.id))]


def review_emails(member):
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.member_id == member.id, OutboxMessage.template == "tier_review")).all()


def moved_up_by_staff(keep_until=KEEP_UNTIL, to="gold", start="silver"):
    """A member with no qualifying points whom staff moved up by hand."""
    member = make_member(tier=start)
    tiers.change_tier(member, tier(to), "VIP customer", make_staff("operations"), keep_until=keep_until)
    return member


def test_the_review_leaves_a_member_alone_until_the_keep_until_day_is_over(app):
    member = moved_up_by_staff()
    for now in (datetime(2027, 1, 1, 2, tzinfo=UTC), datetime(2027, 3, 1, 2, tzinfo=UTC), LAST_KEPT_MOMENT):
        assert review.review_tiers(now) == [], now
        assert member.tier.code == "gold"
    assert review_emails(member) == []

    [moved] = review.review_tiers(FIRST_FREE_MOMENT)  # the next day in the programme's zone: reviewed as usual
    assert (moved.from_tier.code, moved.to_tier.code) == ("gold", "silver")
    assert moves(member) == [("silver", "gold", True), ("gold", "silver", False)]
    assert len(review_emails(member)) == 1


def test_a_keep_that_is_over_does_not_protect(app):
    member = moved_up_by_staff(keep_until=date(2026, 12, 31))
    [moved] = review.review_tiers(datetime(2027, 1, 1, 2, tzinfo=UTC))
    assert moved.to_tier.code == "silver" and member.tier.code == "silver"


def test_a_member_who_earned_a_higher_tier_since_may_drop_back_to_the_kept_tier_but_not_below(app):
    member = moved_up_by_staff(to="silver", start="regular", keep_until=date(2027, 12, 31))
    member.tier = tier("gold")  # say points raised them, then the points left the window
    db.session.flush()
    [moved] = review.review_tiers(datetime(2027, 2, 1, 2, tzinfo=UTC))
    assert (moved.from_tier.code, moved.to_tier.code) == ("gold", "silver")
    assert review.review_tiers(datetime(2027, 3, 1, 2, tzinfo=UTC)) == []
    assert member.tier.code == "silver"


def test_automatic_changes_keep_no_one(app):
    member = make_member(tier="regular")
    ledger.earn(member, 1000, "purchase", "keep-auto", at=datetime(2026, 1, 10, tzinfo=UTC))  # Silver, once
    assert member.tier.code == "silver"
    [moved] = review.review_tiers(datetime(2027, 2, 1, 2, tzinfo=UTC))  # the points left the window
    assert moved.to_tier.code == "regular"


def test_a_member_staff_moved_down_stays_there_too(app):
    member = make_member(tier="diamond")
    tiers.change_tier(member, tier("gold"), "Agreed with the member", make_staff("admin"), keep_until=KEEP_UNTIL)
    assert review.review_tiers(datetime(2027, 2, 1, 2, tzinfo=UTC)) == []
    assert member.tier.code == "gold"
