"""Concurrent redemptions on committed data, each thread with its own connection (as in
tests/members/test_ledger_concurrency.py): never oversold, never overspent, and a staff edit saved
meanwhile undoes none of them, on both databases."""

import re

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members import ledger
from portal.members.models import Member, PointsEntry
from portal.rewards import services
from portal.rewards.models import Redemption, Reward
from portal.rewards.services import RedemptionRefused
from tests.factories import make_member, make_reward, make_staff
from tests.helpers import login, run_together

RACERS = 50
LAST_UNITS = 5
PRICE = 100


@pytest.fixture
def live_app(committing_app):
    """A committing app; `made` collects what a test commits."""
    return committing_app, {"members": [], "rewards": []}


def committed(app, made, members, points, **reward):
    """`members` members with `points` each and one reward, committed; (member ids, reward id)."""
    with app.app_context():
        ids = []
        for n in range(members):
            member = make_member(name=f"Racer {n}", tier="silver")
            ledger.earn(member, points, "purchase", f"race-seed-{member.id}")
            ids.append(member.id)
        made["members"] += ids
        db.session.commit()
        prize = make_reward("Last units", PRICE, **reward)
        db.session.commit()
        made["rewards"].append(prize.id)
        return ids, prize.id


def attempt(app, member_id, reward_id, key):
    """One redemption in its own transaction: ("redeemed", id) or ("refused", why)."""
    member = db.session.get(Member, member_id)
    reward = db.session.get(Reward, reward_id)
    with app.test_request_context():  # the voucher email links to the voucher page
        try:
            redemption = services.redeem(member, reward, key)
        except RedemptionRefused as refused:
            db.session.rollback()
            return ("refused", refused.refusal.code)
        db.session.commit()
        return ("redeemed", redemption.id)


def errors_in(results):
    return [result for result in results if isinstance(result, BaseException)]


def test_fifty_members_racing_for_the_last_five_units(live_app):
    app, made = live_app
    ids, reward_id = committed(app, made, RACERS, 1000, stock=LAST_UNITS)

    results = run_together(app, RACERS, lambda i: attempt(app, ids[i], reward_id, f"race-{i}"))

    assert errors_in(results) == [], f"unexpected errors: {errors_in(results)!r}"
    redeemed = [value for outcome, value in results if outcome == "redeemed"]
    refused = [value for outcome, value in results if outcome == "refused"]
    assert len(redeemed) == LAST_UNITS and refused == ["out_of_stock"] * (RACERS - LAST_UNITS)
    with app.app_context():
        assert db.session.get(Reward, reward_id).stock == 0
        redemptions = db.session.scalars(select(Redemption).where(Redemption.reward_id == reward_id)).all()
        assert sorted(r.id for r in redemptions) == sorted(redeemed)
        winners = {r.member_id for r in redemptions}
        assert len(winners) == LAST_UNITS and len({r.voucher_code for r in redemptions}) == LAST_UNITS
        spends = db.session.scalars(select(PointsEntry).where(
            PointsEntry.member_id.in_(ids), PointsEntry.kind == "redemption")).all()
        assert sorted(e.member_id for e in spends) == sorted(winners)  # losers spent nothing
        balances = dict(db.session.execute(select(Member.id, Member.points_balance).where(Member.id.in_(ids))).all())
        assert {balances[i] for i in winners} == {1000 - PRICE}
        assert {balances[i] for i in set(ids) - winners} == {1000}
        assert all(ledger.ledger_balance(i) == balances[i] for i in ids)
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.member_id.in_(ids))) == LAST_UNITS


def test_one_member_firing_twenty_redemptions_with_points_for_seven(live_app):
    app, made = live_app
    affordable = 7
    [member_id], reward_id = committed(app, made, 1, PRICE * affordable, stock=None)

    results = run_together(app, 20, lambda i: attempt(app, member_id, reward_id, f"burst-{i}"))

    assert errors_in(results) == [], f"unexpected errors: {errors_in(results)!r}"
    redeemed = [value for outcome, value in results if outcome == "redeemed"]
    refused = [value for outcome, value in results if outcome == "refused"]
    assert len(redeemed) == affordable and refused == ["points"] * (20 - affordable)
    with app.app_context():
        member = db.session.get(Member, member_id)
        assert member.points_balance == 0 == ledger.ledger_balance(member_id)
        assert db.session.scalar(select(func.count()).select_from(Redemption)
                                 .where(Redemption.member_id == member_id)) == affordable
        assert db.session.get(Reward, reward_id).stock is None


def test_twenty_submissions_of_one_confirmation_redeem_once(live_app):
    app, made = live_app
    [member_id], reward_id = committed(app, made, 1, 1000, stock=3)

    results = run_together(app, 20, lambda i: attempt(app, member_id, reward_id, "double-tap"))

    assert errors_in(results) == [], f"unexpected errors: {errors_in(results)!r}"
    assert {outcome for outcome, _ in results} == {"redeemed"} and len({value for _, value in results}) == 1
    with app.app_context():
        assert db.session.get(Member, member_id).points_balance == 1000 - PRICE
        assert db.session.get(Reward, reward_id).stock == 2


@pytest.mark.parametrize("change", [+3, -3])
def test_a_staff_edit_saved_while_members_redeem_undoes_no_redemption(live_app, change):
    app, made = live_app
    racers = 8
    ids, reward_id = committed(app, made, racers, 1000, stock=LAST_UNITS)
    with app.app_context():
        staff = make_staff("operations")
        db.session.commit()
        staff_email = staff.email
    staff_client = app.test_client()
    login(staff_client, staff_email)
    url = f"/admin/rewards/{reward_id}"
    page = staff_client.get(url).get_data(as_text=True)  # the form, opened with 5 in stock
    assert f"In stock now: {LAST_UNITS}" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    edit = {"csrf_token": token, "name": "Last units, renamed", "points_cost": str(PRICE), "min_tier": "",
            "stock_change": str(change)}

    def work(i):
        if i == racers:
            return ("saved", staff_client.post(url, data=edit).status_code)
        return attempt(app, ids[i], reward_id, f"edit-race-{i}")

    results = run_together(app, racers + 1, work)

    assert errors_in(results) == [], f"unexpected errors: {errors_in(results)!r}"
    saved = results[racers][1]
    redeemed = [value for outcome, value in results[:racers] if outcome == "redeemed"]
    refused = [value for outcome, value in results[:racers] if outcome == "refused"]
    assert set(refused) <= {"out_of_stock"} and len(redeemed) + len(refused) == racers
    with app.app_context():
        reward = db.session.get(Reward, reward_id)
        audits = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "reward.stock", AuditEntry.target_id == reward_id)).all()
        assert db.session.scalar(select(func.count()).select_from(Redemption)
                                 .where(Redemption.reward_id == reward_id)) == len(redeemed)
        if saved == 303:
            [audit] = audits
            assert audit.after["stock"] - audit.before["stock"] == change and audit.after["stock"] >= 0
            assert reward.name == "Last units, renamed"
            assert reward.stock == LAST_UNITS + change - len(redeemed) >= 0  # every unit accounted for
        else:  # removing 3 found fewer than 3 left: nothing of the edit is saved
            assert (change, saved, audits, reward.name) == (-3, 422, [], "Last units")
            assert reward.stock == LAST_UNITS - len(redeemed) >= 0
