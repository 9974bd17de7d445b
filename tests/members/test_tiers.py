"""Tiers: upgrades the moment qualifying points cross a threshold, hand changes by staff, progress."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.members import ledger, tiers
from portal.members.models import Tier, TierChange
from portal.models import add_months, utcnow
from tests.factories import make_member, make_staff


@pytest.fixture
def member(app):
    return make_member(name="Mei Lin")


def tier(code):
    return db.session.scalar(select(Tier).where(Tier.code == code))


def changes(member):
    return db.session.scalars(
        select(TierChange).where(TierChange.member_id == member.id).order_by(TierChange.id)
    ).all()


def moves(member):
    return [(change.from_tier.code, change.to_tier.code) for change in changes(member)]


def test_the_default_tiers_and_which_one_points_reach(app):
    every = tiers.all_tiers()
    assert [(t.code, t.threshold) for t in every] == [
        ("regular", 0), ("silver", 1000), ("gold", 5000), ("diamond", 20000)]
    assert tiers.lowest_tier().code == "regular"
    for points, code in [(0, "regular"), (999, "regular"), (1000, "silver"), (4999, "silver"),
                         (5000, "gold"), (19999, "gold"), (20000, "diamond"), (10**9, "diamond"),
                         (-300, "regular")]:
        assert tiers.tier_for_points(points, every).code == code, points


def test_earning_below_the_threshold_changes_nothing(member):
    ledger.earn(member, 999, "purchase", "order")
    assert member.tier.code == "regular" and changes(member) == []


def test_crossing_1000_qualifying_points_makes_the_member_silver_at_once(member):
    ledger.earn(member, 600, "purchase", "order-1")
    at = utcnow()
    ledger.earn(member, 400, "purchase", "order-2", at=at)

    db.session.expire_all()
    assert member.tier.code == "silver"
    [change] = changes(member)
    assert (change.from_tier.code, change.to_tier.code) == ("regular", "silver")
    assert at <= change.created_at <= utcnow() and change.actor_staff_id is None  # judged now
    assert (change.reason_code, change.reason_params, change.reason) == ("qualifying_points", {"points": 1000}, "")

    ledger.earn(member, 100, "purchase", "order-3")
    assert len(changes(member)) == 1  # already silver: no second row


def test_crossing_two_thresholds_at_once_goes_straight_to_the_highest(member):
    ledger.earn(member, 5200, "purchase", "big-order")
    assert member.tier.code == "gold" and moves(member) == [("regular", "gold")]

    ledger.earn(member, 15000, "purchase", "bigger-order")
    assert member.tier.code == "diamond" and moves(member) == [("regular", "gold"), ("gold", "diamond")]


def test_spending_and_expiry_do_not_reduce_qualifying_points(member):
    now = utcnow()
    ledger.earn(member, 300, "purchase", "old", at=add_months(now, -25))
    ledger.earn(member, 800, "purchase", "order", at=now - timedelta(days=2))
    ledger.spend(member, 700, "redemption", "reward")
    assert tiers.qualifying_summary(member)[0] == 800
    ledger.earn(member, 200, "survey", "survey")
    assert member.tier.code == "silver"


def test_points_older_than_12_months_do_not_count(member):
    now = utcnow()
    ledger.earn(member, 600, "purchase", "last-year", at=add_months(now, -13))
    ledger.earn(member, 600, "purchase", "this-year", at=now - timedelta(days=1))

    assert tiers.qualifying_summary(member, now)[0] == 600
    assert member.tier.code == "regular" and changes(member) == []


def test_points_older_than_12_months_do_not_count_when_they_are_recorded_late(member):
    now = utcnow()
    ledger.earn(member, 600, "purchase", "this-year", at=now - timedelta(days=1))
    ledger.earn(member, 600, "purchase", "last-year", at=add_months(now, -13))  # e.g. an import

    assert tiers.qualifying_summary(member, now)[0] == 600
    assert member.tier.code == "regular" and changes(member) == []


def test_points_just_inside_the_window_count(member):
    now = utcnow()
    ledger.earn(member, 600, "purchase", "eleven-months", at=add_months(now, -12) + timedelta(days=1))
    ledger.earn(member, 400, "purchase", "today", at=now)
    assert member.tier.code == "silver"


def test_the_tier_is_never_lowered_by_a_reversal(member):
    original = ledger.earn(member, 1200, "purchase", "order")
    assert member.tier.code == "silver"

    ledger.reverse(original, "Order refunded", make_staff("operations"), "refund")

    assert tiers.qualifying_summary(member)[0] == 0
    db.session.expire_all()
    assert member.tier.code == "silver" and moves(member) == [("regular", "silver")]


def test_reversing_points_from_outside_the_window_leaves_the_window_alone(member):
    now = utcnow()
    old = ledger.earn(member, 900, "purchase", "last-year", at=add_months(now, -13))
    ledger.earn(member, 500, "purchase", "this-year", at=now - timedelta(days=30))
    assert tiers.qualifying_summary(member, now)[0] == 500

    ledger.reverse(old, "Order refunded", None, "refund", at=now)

    assert tiers.qualifying_summary(member, now)[0] == 500
    ledger.earn(member, 500, "purchase", "today", at=now)
    assert member.tier.code == "silver"


def test_staff_change_a_tier_by_hand_with_a_reason_and_it_is_audited(member):
    staff = make_staff("operations")
    change = tiers.change_tier(member, tier("gold"), "  VIP customer  ", staff)

    assert member.tier.code == "gold"
    assert (change.from_tier.code, change.to_tier.code) == ("regular", "gold")
    assert change.reason == "VIP customer" and change.actor_staff_id == staff.id
    kept = add_months(datetime.now(ZoneInfo("Asia/Taipei")).date(), 12)  # by default, 12 months from today
    assert change.keep_until == kept
    [audit] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "member.tier_change", AuditEntry.member_id == member.id)
    ).all()
    assert audit.actor_staff_id == staff.id and audit.reason == "VIP customer"
    assert audit.before == {"tier": "regular"} and audit.after == {"tier": "gold", "keep_until": kept.isoformat()}

    tiers.change_tier(member, tier("silver"), "Review", staff)  # staff may lower it
    assert member.tier.code == "silver"
    assert moves(member) == [("regular", "gold"), ("gold", "silver")]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_hand_change_needs_a_reason(member, reason):
    with pytest.raises(ValueError):
        tiers.change_tier(member, tier("gold"), reason, make_staff("operations"))
    assert member.tier.code == "regular" and changes(member) == []
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.member_id == member.id)) is None


def test_a_hand_change_to_the_same_tier_is_refused(member):
    with pytest.raises(ValueError):
        tiers.change_tier(member, tier("regular"), "No change", make_staff("operations"))
    assert changes(member) == []


def test_tier_history_is_newest_first(member):
    staff = make_staff("operations")
    ledger.earn(member, 1000, "purchase", "order", at=utcnow() - timedelta(days=3))
    tiers.change_tier(member, tier("diamond"), "Partner", staff)
    history = tiers.tier_history(member)
    assert [(c.from_tier.code, c.to_tier.code) for c in history] == [("silver", "diamond"), ("regular", "silver")]


def test_progress_shows_what_is_needed_and_by_when(member):
    now = utcnow()
    first = now - timedelta(days=100)
    ledger.earn(member, 900, "purchase", "too-old", at=add_months(now, -16))
    ledger.earn(member, 200, "purchase", "first", at=first)
    ledger.earn(member, 120, "survey", "second", at=now - timedelta(days=10))

    progress = tiers.progress(member, tiers.all_tiers(), now=now)

    assert progress.tier.code == "regular" and progress.next_tier.code == "silver"
    assert (progress.qualifying, progress.needed, progress.percent) == (320, 680, 32)
    assert progress.by == add_months(first, 12)


def test_progress_says_how_many_points_stop_counting_when_the_oldest_leave_the_window(member):
    """The date is when the oldest day's qualifying points leave the 12 months, with how many they are."""
    now = utcnow()
    zone = ZoneInfo("Asia/Taipei")
    oldest = datetime.combine((now - timedelta(days=100)).astimezone(zone).date(), time(9), tzinfo=zone)
    ledger.earn(member, 150, "purchase", "morning", at=oldest)
    ledger.earn(member, 50, "survey", "evening", at=oldest + timedelta(hours=12))  # 21:00, the same day
    refunded = ledger.earn(member, 400, "purchase", "refunded", at=oldest + timedelta(hours=13))
    ledger.reverse(refunded, "Refunded", None, "refund")  # never counted
    ledger.spend(member, 100, "redemption", "spent", at=oldest + timedelta(hours=14))  # spending still counts
    ledger.earn(member, 300, "purchase", "next-day", at=oldest + timedelta(days=1))

    progress = tiers.progress(member, tiers.all_tiers(), now=now)

    assert (progress.qualifying, progress.needed) == (500, 500)
    assert progress.by == add_months(oldest, 12) and progress.leaving == 200


def test_the_points_leaving_on_a_busy_day_are_all_counted(member):
    """More earnings on the oldest day than the first look reads: a second query counts them all."""
    now = utcnow()
    oldest = now - timedelta(days=30)
    for n in range(7):
        ledger.earn(member, 10, "purchase", f"busy-{n}", at=oldest + timedelta(minutes=n))
    ledger.earn(member, 5, "purchase", "later", at=now - timedelta(days=2))
    assert tiers.qualifying_window(member, now, first=5) == (75, add_months(oldest, 12), 70)
    assert tiers.qualifying_window(member, now, first=50) == (75, add_months(oldest, 12), 70)


def test_progress_is_measured_from_the_current_tier(member):
    now = utcnow()
    ledger.earn(member, 1200, "purchase", "order", at=now - timedelta(days=1))
    progress = tiers.progress(member, tiers.all_tiers(), now=now)
    assert (progress.tier.code, progress.next_tier.code) == ("silver", "gold")
    assert (progress.qualifying, progress.needed, progress.percent) == (1200, 3800, 5)


def test_progress_with_no_points(member):
    progress = tiers.progress(member, tiers.all_tiers())
    assert (progress.next_tier.code, progress.qualifying, progress.needed, progress.percent) == ("silver", 0, 1000, 0)
    assert progress.by is None


def test_progress_at_the_top_tier(member):
    tiers.change_tier(member, tier("diamond"), "Partner", make_staff("admin"))
    ledger.earn(member, 50, "purchase", "order")
    progress = tiers.progress(member, tiers.all_tiers())
    assert progress.tier.code == "diamond" and progress.next_tier is None
    assert (progress.needed, progress.percent, progress.by) == (0, 100, None)


def test_a_hand_change_keeps_the_day_staff_chose(member):
    change = tiers.change_tier(member, tier("gold"), "Partner", make_staff("operations"), keep_until=date(2027, 3, 15))
    assert change.keep_until == date(2027, 3, 15)
    assert tiers.kept_by_staff(member, date(2027, 3, 15)) == change  # the whole day
    assert tiers.kept_by_staff(member, date(2027, 3, 16)) is None


def test_the_latest_hand_change_decides_what_is_kept(member):
    staff = make_staff("operations")
    tiers.change_tier(member, tier("gold"), "Partner", staff, keep_until=date(2027, 12, 31))
    later = tiers.change_tier(member, tier("silver"), "Partnership ended", staff, keep_until=date(2027, 1, 31))
    assert tiers.kept_by_staff(member, date(2027, 1, 1)) == later
    assert tiers.kept_by_staff(member, date(2027, 6, 1)) is None  # the earlier, longer keep no longer counts
    ledger.earn(member, 6000, "purchase", "big-order")  # an automatic change after it does not end the keep
    assert member.tier.code == "gold" and tiers.kept_by_staff(member, date(2027, 1, 1)) == later


def test_a_hand_change_without_staff_or_with_a_moment_instead_of_a_day_is_refused(member):
    with pytest.raises(ValueError):
        tiers.change_tier(member, tier("gold"), "Partner", make_staff("operations"), keep_until=utcnow())
    assert changes(member) == []
