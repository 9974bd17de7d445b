"""Concurrent spends against one member, on committed data, each thread with its own connection.

The rolled-back `app` fixture cannot serve here: the threads must see what the others commit.
"""


import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.members import ledger
from portal.members.ledger import InsufficientPoints
from portal.members.models import Member, PointsAllocation, PointsEntry
from tests.factories import make_member
from tests.helpers import run_together

START = 1000
PRICE = 30


@pytest.fixture
def live_app(committing_app):
    """A committing app, and a committed member with START points."""
    app = committing_app
    with app.app_context():
        member = make_member(name="Concurrent Spender")
        ledger.earn(member, START, "purchase", f"seed-{member.id}")
        db.session.commit()
        return app, member.id


def ledger_state(app, member_id):
    with app.app_context():
        cached = db.session.scalar(select(Member.points_balance).where(Member.id == member_id))
        rows = db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == member_id)).all()
        used = dict(db.session.execute(
            select(PointsAllocation.earning_id, func.sum(PointsAllocation.amount))
            .group_by(PointsAllocation.earning_id)
            .where(PointsAllocation.earning_id.in_([row.id for row in rows]))
        ).all())
        return cached, ledger.ledger_balance(member_id), rows, used


def test_concurrent_spends_succeed_exactly_as_far_as_the_balance_goes(live_app):
    app, member_id = live_app

    def spend(i):
        member = db.session.get(Member, member_id)
        try:
            ledger.spend(member, PRICE, "redemption", f"spend-{member_id}-{i}")
            balance_after = member.points_balance
            db.session.commit()
            return ("spent", balance_after)
        except InsufficientPoints:
            db.session.rollback()
            return ("refused", None)

    results = run_together(app, 50, spend)

    errors = [result for result in results if isinstance(result, BaseException)]
    assert errors == [], f"unexpected errors: {errors!r}"
    spent = [balance for outcome, balance in results if outcome == "spent"]
    refused = [outcome for outcome, _ in results if outcome == "refused"]
    affordable = START // PRICE
    assert (len(spent), len(refused)) == (affordable, 50 - affordable)
    # Each success saw the one before it: the balances after them are every step down, once.
    assert sorted(spent) == [START - PRICE * k for k in range(affordable, 0, -1)]

    cached, summed, rows, used = ledger_state(app, member_id)
    assert cached == summed == sum(row.amount for row in rows) == START - affordable * PRICE >= 0
    assert len([row for row in rows if row.kind == "redemption"]) == affordable
    [earning] = [row for row in rows if row.is_earning]
    assert used[earning.id] == affordable * PRICE <= earning.amount
    assert earning.remaining == earning.amount - used[earning.id] == cached


def test_concurrent_calls_with_one_idempotency_key_spend_once(live_app):
    app, member_id = live_app
    key = f"one-key-{member_id}"

    def spend(_i):
        member = db.session.get(Member, member_id)
        entry = ledger.spend(member, PRICE, "redemption", key)
        db.session.commit()
        return entry.id

    results = run_together(app, 20, spend)

    errors = [result for result in results if isinstance(result, BaseException)]
    assert errors == [], f"unexpected errors: {errors!r}"
    cached, summed, rows, used = ledger_state(app, member_id)
    [entry] = [row for row in rows if row.idempotency_key == key]
    assert set(results) == {entry.id}
    assert cached == summed == START - PRICE
    assert sum(used.values()) == PRICE
