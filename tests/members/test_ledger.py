"""The points ledger: earning, spending first-to-expire, adjustments, reversals, expiry, balances."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.members import ledger
from portal.members.ledger import InsufficientPoints, LedgerError
from portal.members.models import Member, PointsAllocation, PointsEntry
from portal.members.tiers import qualifying_summary
from portal.models import add_months, utcnow
from tests.factories import make_member, make_staff


@pytest.fixture
def member(app):
    return make_member(name="Mei Lin")


@pytest.fixture
def staff(app):
    return make_staff("operations")


def entries(member, kind=None):
    query = select(PointsEntry).where(PointsEntry.member_id == member.id).order_by(PointsEntry.id)
    if kind:
        query = query.where(PointsEntry.kind == kind)
    return db.session.scalars(query).all()


def allocations(spend):
    rows = db.session.execute(
        select(PointsAllocation.earning_id, PointsAllocation.amount)
        .where(PointsAllocation.spend_id == spend.id).order_by(PointsAllocation.id)
    ).all()
    return [tuple(row) for row in rows]


def audit_rows(action, member):
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action, AuditEntry.member_id == member.id)
    ).all()


def cached_balance(member):
    db.session.flush()
    return db.session.scalar(select(Member.points_balance).where(Member.id == member.id))


def assert_consistent(member):
    """The cache, the ledger's sum and what is left of the earnings agree, and none is negative."""
    rows = entries(member)
    remaining = sum(entry.remaining for entry in rows if entry.remaining is not None)
    total = sum(entry.amount for entry in rows)
    assert cached_balance(member) == member.points_balance == ledger.ledger_balance(member.id) == total
    assert total == remaining >= 0
    for earning in rows:
        if earning.is_earning:
            used = db.session.scalar(
                select(func.coalesce(func.sum(PointsAllocation.amount), 0))
                .where(PointsAllocation.earning_id == earning.id)
            )
            assert earning.remaining + used == earning.amount, earning
    return total


# --- earn ---------------------------------------------------------------------------------------

def test_an_earning_keeps_its_remainder_expiry_and_qualifying_points(member):
    at = datetime(2026, 1, 31, 10, 30, tzinfo=UTC)
    entry = ledger.earn(member, 250, "purchase", "order-1", reason="Order 1", at=at)

    assert (entry.amount, entry.kind, entry.reason) == (250, "purchase", "Order 1")
    assert entry.remaining == 250 and entry.qualifying == 250 and entry.is_earning
    assert entry.created_at == at
    assert entry.expires_at == datetime(2028, 1, 31, 10, 30, tzinfo=UTC)
    assert entry.reverses_id is None and entry.actor_staff_id is None
    assert cached_balance(member) == 250
    assert_consistent(member)


@pytest.mark.parametrize(("earned", "expires"), [
    (datetime(2026, 1, 31, 23, 59, tzinfo=UTC), datetime(2028, 1, 31, 23, 59, tzinfo=UTC)),
    (datetime(2024, 2, 29, 12, 0, tzinfo=UTC), datetime(2026, 2, 28, 12, 0, tzinfo=UTC)),
    (datetime(2025, 12, 31, 0, 0, tzinfo=UTC), datetime(2027, 12, 31, 0, 0, tzinfo=UTC)),
    (datetime(2026, 3, 1, 8, 0, tzinfo=UTC), datetime(2028, 3, 1, 8, 0, tzinfo=UTC)),
])
def test_earnings_expire_24_calendar_months_later(member, earned, expires):
    entry = ledger.earn(member, 10, "survey", f"survey-{earned:%Y%m%d}", at=earned)
    db.session.expire_all()
    assert db.session.get(PointsEntry, entry.id).expires_at == expires


def test_the_expiry_follows_the_configured_months_and_clamps_to_the_month_end(app, member, monkeypatch):
    monkeypatch.setitem(app.config, "POINTS_EXPIRY_MONTHS", 1)
    entry = ledger.earn(member, 10, "birthday", "birthday-2028", at=datetime(2028, 1, 31, 9, tzinfo=UTC))
    assert entry.expires_at == datetime(2028, 2, 29, 9, tzinfo=UTC)
    assert add_months(datetime(2027, 1, 31, tzinfo=UTC), 1) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 3, 31, tzinfo=UTC), -1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 15, tzinfo=UTC), 3) == datetime(2027, 2, 15, tzinfo=UTC)


def test_a_promotion_can_shorten_the_life_of_its_points(member):
    at = utcnow()
    entry = ledger.earn(member, 40, "event_attendance", "event-1", at=at, expires_at=at + timedelta(days=30))
    assert entry.expires_at == at + timedelta(days=30)


@pytest.mark.parametrize(("amount", "kind"), [
    (0, "purchase"), (-5, "purchase"), (10, "redemption"), (10, "adjustment"), (10, "reversal"),
    (10, "expiry"), (10, "bonus"),
])
def test_earn_refuses_what_is_not_a_positive_earning(member, amount, kind):
    with pytest.raises(LedgerError):
        ledger.earn(member, amount, kind, "bad-earning")
    assert entries(member) == [] and cached_balance(member) == 0


def test_a_repeated_key_returns_the_first_entry_and_writes_nothing(member):
    first = ledger.earn(member, 100, "purchase", "order-7")
    again = ledger.earn(member, 100, "purchase", "order-7")
    different = ledger.earn(member, 900, "event_attendance", "order-7")

    assert again.id == first.id and different.id == first.id
    assert different.amount == 100 and different.kind == "purchase"
    assert len(entries(member)) == 1 and cached_balance(member) == 100
    assert_consistent(member)


def test_a_key_used_for_another_member_is_refused(member):
    other = make_member(name="Other Member")
    ledger.earn(other, 100, "purchase", "shared-key")
    with pytest.raises(LedgerError):
        ledger.earn(member, 100, "purchase", "shared-key")
    with pytest.raises(LedgerError):
        ledger.spend(member, 10, "redemption", "shared-key")
    assert entries(member) == [] and cached_balance(member) == 0
    assert len(entries(other)) == 1 and cached_balance(other) == 100


def test_the_database_refuses_a_duplicate_idempotency_key(member):
    first = ledger.earn(member, 100, "purchase", "order-9")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(PointsEntry(member_id=member.id, amount=5, kind="purchase", idempotency_key="order-9",
                                   remaining=5, qualifying=5))
        db.session.flush()
    assert [entry.id for entry in entries(member)] == [first.id]


def test_the_database_refuses_a_second_reversal_and_a_negative_cached_balance(member):
    original = ledger.earn(member, 100, "purchase", "order-10")
    ledger.earn(member, 100, "purchase", "order-11")
    ledger.reverse(original, "Refund", None, "refund-10")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(PointsEntry(member_id=member.id, amount=-100, kind="reversal", idempotency_key="again",
                                   reverses_id=original.id))
        db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text("UPDATE members SET points_balance = -1 WHERE id = :id"), {"id": member.id})
    assert_consistent(member)


# --- spend --------------------------------------------------------------------------------------

def test_spending_takes_the_points_that_expire_first(member):
    now = utcnow()
    late = ledger.earn(member, 100, "purchase", "late", at=now - timedelta(days=1))
    soon = ledger.earn(member, 100, "purchase", "soon", at=add_months(now, -20))
    promo = ledger.earn(member, 30, "survey", "promo", at=now - timedelta(days=2),
                        expires_at=now + timedelta(days=10))

    spend = ledger.spend(member, 150, "redemption", "reward-1", reason="Coffee mug")

    assert (spend.amount, spend.kind, spend.remaining, spend.expires_at) == (-150, "redemption", None, None)
    assert spend.qualifying == 0
    assert allocations(spend) == [(promo.id, 30), (soon.id, 100), (late.id, 20)]
    assert (promo.remaining, soon.remaining, late.remaining) == (0, 0, 80)
    assert cached_balance(member) == 80
    assert_consistent(member)


def test_spending_never_takes_expired_points(member):
    now = utcnow()
    old = ledger.earn(member, 500, "purchase", "old", at=add_months(now, -25))
    new = ledger.earn(member, 100, "purchase", "new", at=now - timedelta(days=3))
    assert cached_balance(member) == 600  # the old points have not been expired yet

    with pytest.raises(InsufficientPoints):
        ledger.spend(member, 200, "redemption", "too-much")

    assert entries(member, "redemption") == []
    [expiry] = entries(member, "expiry")
    assert expiry.amount == -500 and expiry.created_at == old.expires_at
    assert cached_balance(member) == 100 and new.remaining == 100
    assert_consistent(member)

    spend = ledger.spend(member, 100, "redemption", "all-of-it")
    assert allocations(spend) == [(new.id, 100)]
    assert cached_balance(member) == 0
    assert_consistent(member)


def test_a_spend_beyond_the_balance_writes_nothing(member):
    earning = ledger.earn(member, 100, "purchase", "order")
    with pytest.raises(InsufficientPoints):
        ledger.spend(member, 101, "redemption", "reward")
    assert [entry.id for entry in entries(member)] == [earning.id]
    assert cached_balance(member) == 100 and earning.remaining == 100
    assert db.session.scalar(select(func.count()).select_from(PointsAllocation)
                             .where(PointsAllocation.earning_id == earning.id)) == 0


@pytest.mark.parametrize("amount", [0, -10])
def test_a_spend_must_be_positive(member, amount):
    ledger.earn(member, 100, "purchase", "order")
    with pytest.raises(LedgerError):
        ledger.spend(member, amount, "redemption", "reward")
    assert len(entries(member)) == 1 and cached_balance(member) == 100


def test_a_repeated_spend_key_spends_once(member):
    ledger.earn(member, 100, "purchase", "order")
    first = ledger.spend(member, 60, "redemption", "reward-1")
    again = ledger.spend(member, 60, "redemption", "reward-1")
    assert again.id == first.id
    assert len(entries(member, "redemption")) == 1 and cached_balance(member) == 40
    assert_consistent(member)


# --- adjust -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "reason", "actor"), [
    (100, "", "staff"), (100, "   ", "staff"), (100, None, "staff"),
    (100, "Goodwill", None), (100, "Goodwill", "member"),
    (0, "Goodwill", "staff"), (1_000_001, "Goodwill", "staff"), (-1_000_001, "Goodwill", "staff"),
])
def test_an_adjustment_needs_a_reason_a_staff_user_and_a_sensible_amount(member, staff, amount, reason, actor):
    ledger.earn(member, 100, "purchase", "order")
    actor = {"staff": staff, "member": member, None: None}[actor]
    with pytest.raises(LedgerError):
        ledger.adjust(member, amount, reason, actor, "adjust-1")
    assert len(entries(member)) == 1 and cached_balance(member) == 100
    assert audit_rows("points.adjust", member) == []


def test_the_largest_adjustments_are_allowed(member, staff):
    ledger.adjust(member, 1_000_000, "Migration from the old system", staff, "adjust-up")
    ledger.adjust(member, -1_000_000, "Migration reversed", staff, "adjust-down")
    assert cached_balance(member) == 0
    assert_consistent(member)


def test_a_negative_adjustment_beyond_the_balance_is_refused(member, staff):
    ledger.earn(member, 100, "purchase", "order")
    with pytest.raises(InsufficientPoints):
        ledger.adjust(member, -101, "Correction", staff, "adjust-1")
    assert len(entries(member)) == 1 and cached_balance(member) == 100
    assert audit_rows("points.adjust", member) == []


def test_a_positive_adjustment_counts_towards_the_tier_and_is_audited(member, staff):
    ledger.earn(member, 300, "purchase", "order")
    entry = ledger.adjust(member, 700, "  Goodwill  ", staff, "adjust-1")

    assert (entry.amount, entry.kind, entry.reason, entry.actor_staff_id) == (700, "adjustment", "Goodwill", staff.id)
    assert entry.remaining == 700 and entry.qualifying == 700 and entry.expires_at is not None
    assert member.tier.code == "silver"
    [audit] = audit_rows("points.adjust", member)
    assert audit.actor_staff_id == staff.id and audit.actor_member_id is None
    assert (audit.target_type, audit.target_id) == ("PointsEntry", entry.id)
    assert audit.before["balance"] == 300 and audit.after["balance"] == 1000
    assert audit.reason == "Goodwill"
    assert_consistent(member)


def test_a_negative_adjustment_takes_first_to_expire_points_and_is_audited(member, staff):
    now = utcnow()
    late = ledger.earn(member, 200, "purchase", "late", at=now)
    soon = ledger.earn(member, 200, "purchase", "soon", at=add_months(now, -18))
    entry = ledger.adjust(member, -250, "Duplicate order", staff, "adjust-1")

    assert (entry.amount, entry.kind, entry.qualifying, entry.remaining) == (-250, "adjustment", 0, None)
    assert allocations(entry) == [(soon.id, 200), (late.id, 50)]
    [audit] = audit_rows("points.adjust", member)
    assert audit.before["balance"] == 400 and audit.after["balance"] == 150
    assert audit.reason == "Duplicate order" and audit.actor_staff_id == staff.id
    assert_consistent(member)


# --- reverse ------------------------------------------------------------------------------------

def test_reversing_an_earning_takes_its_points_and_qualifying_points_back(member, staff):
    original = ledger.earn(member, 300, "purchase", "order")
    reversal = ledger.reverse(original, "Order refunded", staff, "refund")

    assert reversal.reverses_id == original.id and reversal.kind == "reversal"
    assert reversal.amount == -300 and reversal.remaining is None
    assert original.remaining == 0 and allocations(reversal) == [(original.id, 300)]
    # The qualifying points go with the original (a reversed earning stops counting, in the window
    # it was counted in), so the reversal row carries none of its own.
    assert reversal.qualifying == 0 and qualifying_summary(member)[0] == 0
    assert cached_balance(member) == 0
    [audit] = audit_rows("points.reverse", member)
    assert audit.actor_staff_id == staff.id and audit.reason == "Order refunded"
    assert audit.before["balance"] == 300 and audit.after["balance"] == 0
    assert_consistent(member)


def test_reversing_a_partly_spent_earning_takes_its_own_remainder_first_then_the_soonest(member):
    now = utcnow()
    original = ledger.earn(member, 300, "purchase", "order", at=now - timedelta(days=5))
    ledger.spend(member, 100, "redemption", "reward")
    promo = ledger.earn(member, 150, "survey", "promo", at=now - timedelta(days=4),
                        expires_at=now + timedelta(days=10))
    later = ledger.earn(member, 100, "purchase", "order-2", at=now - timedelta(days=3))

    reversal = ledger.reverse(original, "Order refunded", None, "refund")

    assert reversal.amount == -300
    assert allocations(reversal) == [(original.id, 200), (promo.id, 100)]
    assert (original.remaining, promo.remaining, later.remaining) == (0, 50, 100)
    assert cached_balance(member) == 150
    assert audit_rows("points.reverse", member) == []  # the system's own reversals are not staff actions
    assert_consistent(member)


def test_reversing_a_spend_gives_the_points_back(member):
    earning = ledger.earn(member, 500, "purchase", "order")
    spend = ledger.spend(member, 200, "redemption", "reward")
    reversal = ledger.reverse(spend, "Reward out of stock", None, "refund-reward")

    assert reversal.reverses_id == spend.id and reversal.amount == 200 and reversal.kind == "reversal"
    assert reversal.remaining == 200 and reversal.qualifying == 0
    assert reversal.expires_at == earning.expires_at
    assert cached_balance(member) == 500 and member.tier.code == "regular"
    assert qualifying_summary(member)[0] == 500
    assert_consistent(member)


def test_reversing_an_expiry_reinstates_the_points_with_a_fresh_expiry(member, staff):
    now = utcnow()
    ledger.earn(member, 300, "purchase", "old", at=add_months(now, -25))
    [expiry] = ledger.expire_due(member, now=now)
    reversal = ledger.reverse(expiry, "Expired during the outage", staff, "reinstate", at=now)

    assert reversal.amount == 300 and reversal.remaining == 300 and reversal.reverses_id == expiry.id
    assert reversal.expires_at == add_months(now, 24) and reversal.qualifying == 0
    assert cached_balance(member) == 300
    assert_consistent(member)


def test_an_entry_is_reversed_once_and_a_reversal_never(member):
    original = ledger.earn(member, 300, "purchase", "order")
    reversal = ledger.reverse(original, "Refund", None, "refund")
    assert ledger.reverse(original, "Refund", None, "refund").id == reversal.id  # the same key: idempotent
    with pytest.raises(LedgerError):
        ledger.reverse(original, "Refund again", None, "refund-2")
    with pytest.raises(LedgerError):
        ledger.reverse(reversal, "Undo the refund", None, "refund-3")
    assert len(entries(member)) == 2 and cached_balance(member) == 0
    assert_consistent(member)


def test_reversing_an_earning_already_spent_needs_the_balance(member):
    original = ledger.earn(member, 300, "purchase", "order")
    ledger.spend(member, 250, "redemption", "reward")
    with pytest.raises(InsufficientPoints):
        ledger.reverse(original, "Order refunded", None, "refund")
    assert entries(member, "reversal") == [] and cached_balance(member) == 50
    assert_consistent(member)


def test_an_expired_earning_has_nothing_left_to_reverse(member):
    now = utcnow()
    old = ledger.earn(member, 300, "purchase", "old", at=add_months(now, -25))
    ledger.earn(member, 400, "purchase", "new", at=now)
    with pytest.raises(LedgerError):
        ledger.reverse(old, "Order refunded", None, "refund")
    assert entries(member, "reversal") == [] and cached_balance(member) == 400
    assert_consistent(member)


# --- expire_due ---------------------------------------------------------------------------------

def test_expiry_takes_what_is_left_once_dated_at_the_expiry(member):
    now = utcnow()
    earned = add_months(now, -25)
    old = ledger.earn(member, 500, "purchase", "old", at=earned)
    ledger.spend(member, 200, "redemption", "reward", at=add_months(earned, 1))
    fresh = ledger.earn(member, 100, "purchase", "new", at=now - timedelta(days=1))

    [expiry] = ledger.expire_due(member, now=now)

    assert (expiry.amount, expiry.kind, expiry.qualifying) == (-300, "expiry", 0)
    assert expiry.created_at == old.expires_at == add_months(earned, 24)
    assert allocations(expiry) == [(old.id, 300)]
    assert old.remaining == 0 and fresh.remaining == 100
    assert cached_balance(member) == 100

    assert ledger.expire_due(member, now=now) == []
    assert ledger.expire_due(member, now=now + timedelta(days=1)) == []
    assert len(entries(member, "expiry")) == 1
    assert_consistent(member)


def test_nothing_expires_before_its_date(member):
    now = utcnow()
    earning = ledger.earn(member, 100, "purchase", "order", at=add_months(now, -24) + timedelta(minutes=5))
    assert ledger.expire_due(member, now=now) == []
    assert earning.remaining == 100
    [expiry] = ledger.expire_due(member, now=now + timedelta(minutes=5))
    assert expiry.amount == -100 and cached_balance(member) == 0


# --- balance and reconcile ----------------------------------------------------------------------

def test_the_balance_is_the_ledger_sum_after_any_mix_of_operations(member, staff):
    now = utcnow()
    steps = [
        lambda: ledger.earn(member, 400, "purchase", "a", at=add_months(now, -23)),
        lambda: ledger.earn(member, 250, "event_attendance", "b", at=add_months(now, -6)),
        lambda: ledger.spend(member, 300, "redemption", "c", at=add_months(now, -5)),
        lambda: ledger.earn(member, 120, "survey", "d", at=now - timedelta(days=20),
                            expires_at=now + timedelta(days=3)),
        lambda: ledger.adjust(member, 80, "Goodwill", staff, "e", at=now - timedelta(days=10)),
        lambda: ledger.reverse(db.session.scalar(select(PointsEntry).where(PointsEntry.idempotency_key == "c")),
                               "Reward cancelled", staff, "f", at=now - timedelta(days=9)),
        lambda: ledger.expire_due(member, now=add_months(now, 1) + timedelta(days=1)),
        lambda: ledger.adjust(member, -50, "Correction", staff, "g", at=add_months(now, 1) + timedelta(days=2)),
        lambda: ledger.spend(member, 100, "redemption", "h", at=add_months(now, 1) + timedelta(days=3)),
        lambda: ledger.reverse(db.session.scalar(select(PointsEntry).where(PointsEntry.idempotency_key == "e")),
                               "Goodwill withdrawn", staff, "i", at=add_months(now, 1) + timedelta(days=4)),
    ]
    balances = []
    for step in steps:
        step()
        balances.append(assert_consistent(member))
    # The expiry a month on takes a's last 100, d's 120 and the 300 given back by f (they keep a's date).
    assert balances == [400, 650, 350, 470, 550, 850, 330, 280, 180, 100]
    assert ledger.reconcile() == []


def test_reconcile_finds_a_wrong_cached_balance_and_repairs_it(member):
    ledger.earn(member, 100, "purchase", "order")
    other = make_member(name="Other Member")
    ledger.earn(other, 40, "survey", "survey")
    assert ledger.reconcile() == []

    db.session.execute(text("UPDATE members SET points_balance = 150 WHERE id = :id"), {"id": member.id})
    db.session.expire_all()  # as a fresh session (the CLI, a job) would find it

    assert ledger.reconcile() == [(member.id, 150, 100)]
    assert ledger.reconcile(repair=True) == [(member.id, 150, 100)]
    assert cached_balance(member) == 100 and cached_balance(other) == 40
    assert ledger.reconcile() == []


def test_reconcile_reads_the_stored_balance_not_a_member_already_in_the_session(member):
    ledger.earn(member, 100, "purchase", "order")
    db.session.execute(text("UPDATE members SET points_balance = 150 WHERE id = :id"), {"id": member.id})
    # `member` is still in the session with its old cached balance of 100.

    assert ledger.reconcile(repair=True) == [(member.id, 150, 100)]
    db.session.expire_all()
    assert cached_balance(member) == 100
    assert ledger.reconcile() == []


def test_reconcile_finds_a_member_whose_cache_has_points_but_no_ledger(member):
    db.session.execute(text("UPDATE members SET points_balance = 70 WHERE id = :id"), {"id": member.id})
    db.session.expire_all()
    assert ledger.reconcile() == [(member.id, 70, 0)]
    ledger.reconcile(repair=True)
    assert cached_balance(member) == 0


def test_the_reconcile_command_reports_and_repairs(app, member):
    ledger.earn(member, 100, "purchase", "order")
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["points", "reconcile"])
    assert ok.exit_code == 0 and "Every balance matches the ledger." in ok.output

    db.session.execute(text("UPDATE members SET points_balance = 150 WHERE id = :id"), {"id": member.id})
    db.session.expire_all()

    wrong = runner.invoke(args=["points", "reconcile"])
    assert wrong.exit_code != 0
    assert f"member {member.id}: cached 150, ledger 100" in wrong.output
    assert cached_balance(member) == 150  # without --repair, nothing changes

    repaired = runner.invoke(args=["points", "reconcile", "--repair"])
    assert repaired.exit_code == 0 and "Repaired 1 balance(s)." in repaired.output
    db.session.expire_all()
    assert cached_balance(member) == 100
    assert runner.invoke(args=["points", "reconcile"]).exit_code == 0


# --- expiring_soon ------------------------------------------------------------------------------

def test_expiring_soon_groups_the_next_30_days_by_day(member):
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    earned = now - timedelta(days=60)

    def earn(points, key, expires):
        return ledger.earn(member, points, "purchase", key, at=earned, expires_at=expires)

    earn(50, "spent", now + timedelta(days=2))
    ledger.spend(member, 50, "redemption", "reward", at=now - timedelta(days=1))  # drains "spent"
    earn(70, "expired", now - timedelta(hours=1))
    earn(100, "day5-morning", datetime(2026, 6, 6, 1, 0, tzinfo=UTC))
    earn(20, "day5-evening", datetime(2026, 6, 6, 14, 0, tzinfo=UTC))
    earn(300, "day20", now + timedelta(days=20))
    earn(40, "day30", now + timedelta(days=30))
    earn(999, "day31", now + timedelta(days=30, seconds=1))

    soon = ledger.expiring_soon(member, now=now)

    assert [(item.date, item.points) for item in soon] == [
        (datetime(2026, 6, 6).date(), 120),
        (datetime(2026, 6, 21).date(), 300),
        (datetime(2026, 7, 1).date(), 40),
    ]


def test_expiring_soon_counts_days_in_the_programmes_time_zone(app, member, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "Asia/Taipei")  # UTC+8, what members are shown
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    earned = now - timedelta(days=60)
    ledger.earn(member, 100, "purchase", "morning", at=earned, expires_at=datetime(2026, 6, 6, 1, 0, tzinfo=UTC))
    ledger.earn(member, 20, "purchase", "night", at=earned, expires_at=datetime(2026, 6, 6, 18, 0, tzinfo=UTC))

    soon = ledger.expiring_soon(member, now=now)

    # 6 June 09:00 and 7 June 02:00 in Taipei: two days, not one
    assert [(item.date, item.points) for item in soon] == [
        (datetime(2026, 6, 6).date(), 100),
        (datetime(2026, 6, 7).date(), 20),
    ]


def test_expiring_soon_leaves_out_what_was_partly_spent(member):
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    ledger.earn(member, 100, "purchase", "order", at=now - timedelta(days=10), expires_at=now + timedelta(days=7))
    ledger.spend(member, 60, "redemption", "reward", at=now - timedelta(days=1))
    [item] = ledger.expiring_soon(member, now=now)
    assert (item.date, item.points) == ((now + timedelta(days=7)).date(), 40)


# --- history ------------------------------------------------------------------------------------

def _many_entries(member, count=45):
    base = utcnow() - timedelta(days=1)
    for i in range(count):  # five entries share each timestamp
        ledger.earn(member, 10, "purchase", f"order-{member.id}-{i}", at=base + timedelta(seconds=i // 5))


def test_history_pages_newest_first_without_overlap_or_gap(member):
    _many_entries(member)
    expected = [entry.id for entry in sorted(entries(member), key=lambda e: (e.created_at, e.id), reverse=True)]

    pages, after_id = [], None
    while True:
        page, more = ledger.history(member, after_id=after_id)
        pages.append(([entry.id for entry in page], more))
        if not more:
            break
        after_id = page[-1].id

    assert [len(ids) for ids, _ in pages] == [20, 20, 5]
    assert [more for _, more in pages] == [True, True, False]
    assert [entry_id for ids, _ in pages for entry_id in ids] == expected


def test_history_filters_by_kind(member):
    ledger.earn(member, 100, "purchase", "order")
    ledger.earn(member, 50, "survey", "survey")
    ledger.spend(member, 30, "redemption", "reward")
    ledger.earn(member, 20, "survey", "survey-2")

    surveys, more = ledger.history(member, kind="survey")
    assert [entry.idempotency_key for entry in surveys] == ["survey-2", "survey"] and not more
    redemptions, _ = ledger.history(member, kind="redemption")
    assert [entry.amount for entry in redemptions] == [-30]
    everything, _ = ledger.history(member)
    assert len(everything) == 4


def test_history_with_another_members_cursor_shows_nothing_of_theirs(member):
    other = make_member(name="Other Member")
    _many_entries(other, count=5)
    ledger.earn(member, 100, "purchase", "mine")
    theirs = entries(other)

    page, more = ledger.history(member, after_id=theirs[-1].id)
    assert all(entry.member_id == member.id for entry in page)
    assert page == [] and not more
    assert ledger.history(other, after_id=entries(member)[0].id) == ([], False)
