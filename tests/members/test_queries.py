"""Performance budget: the member home and the points page run a fixed, small number of SQL
queries, the same for a member with 10 ledger entries and for one with 2,000."""

import re
from datetime import timedelta

from sqlalchemy import func, insert, select

from portal.extensions import db
from portal.members import ledger
from portal.members.models import PointsEntry, Tier, TierChange
from portal.models import add_months, utcnow
from portal.rewards.models import Redemption
from tests.factories import make_member, make_reward
from tests.helpers import counting_queries, login

BUDGET = 8
KINDS = ("purchase", "purchase", "event_attendance", "survey", "birthday")



def give_entries(member, count, newest, label):
    """`count` earnings through the ledger, eight hours apart, the newest at `newest`.

    Written newest first: the tier check that every earning runs then finds its window still empty
    (it sums the points of the 12 months before the earning), a third faster on PostgreSQL.
    """
    for n in range(count):
        ledger.earn(member, 10 + n % 7, KINDS[n % len(KINDS)], f"queries:{label}:{n}",
                    at=newest - timedelta(hours=8 * n), reason=f"Purchase number {n}")


PAGES = {
    "home": ("/", {}),
    "points": ("/points", {}),
    "points of a kind": ("/points?kind=purchase", {}),
    "load more (htmx)": ("/points?after={after}", {"headers": {"HX-Request": "true"}}),
    "load more (no JavaScript)": ("/points?after={after}&kind=purchase", {}),
}


def queries_per_page(client, member):
    after = ledger.history(member, limit=5)[0][-1].id
    counts = {}
    for name, (path, kwargs) in PAGES.items():
        with counting_queries() as statements:
            response = client.get(path.format(after=after), **kwargs)
        assert response.status_code == 200, name
        assert 'class="entry"' in response.get_data(as_text=True), f"{name} shows no entries"
        counts[name] = statements
    return counts


def test_home_and_points_pages_run_the_same_few_queries_with_10_and_with_2000_entries(client):
    mei = make_member(name="Mei Lin", email="mei@example.com", tier="silver")
    now = utcnow()
    ledger.earn(mei, 300, "purchase", "queries:expiring", at=now - timedelta(days=60),
                expires_at=now + timedelta(days=10), reason="Double points weekend")  # expires soon
    give_entries(mei, 9, now - timedelta(hours=2), "recent")
    db.session.commit()
    login(client, "mei@example.com")  # before counting: only the page requests are measured

    few = queries_per_page(client, mei)
    give_entries(mei, 1990, now - timedelta(days=4), "older")  # back to 22 months ago
    db.session.commit()
    entries, more = ledger.history(mei, limit=2000)
    assert (len(entries), more) == (2000, False) and ledger.ledger_balance(mei.id) == mei.points_balance
    many = queries_per_page(client, mei)

    for name in PAGES:
        assert len(few[name]) <= BUDGET, f"{name}: {len(few[name])} queries\n" + "\n".join(few[name])
        assert len(many[name]) == len(few[name]), f"{name}: {len(few[name])} → {len(many[name])} queries"
    # What the pages need and no more: the member with the bell's unread count, then for the home
    # the tiers and their benefits, the qualifying points, the expiring points and the recent
    # activity; for the points page one page of entries and the expiring points.
    assert len(few["home"]) == 6 and len(few["points"]) == 3


def test_the_counter_sees_the_requests_queries(client):
    """The listener counts what a request runs (a check that the budget test can fail)."""
    make_member(email="ann@example.com")
    login(client, "ann@example.com")
    with counting_queries() as statements:
        client.get("/points")
    assert any("FROM points_entries" in s for s in statements)


# --- the home's recent activity: every source in one query (issue 7, 3.6) ----------------------------


def bulk_activity(member, reward, count, newest, label):
    """`count` rows of every timeline source (ledger entries, tier changes, vouchers used), inserted in
    bulk, interleaved three hours apart from `newest` back: a voucher, a tier change, an earning, …"""
    regular, silver = (db.session.scalar(select(Tier.id).where(Tier.code == code)) for code in ("regular", "silver"))
    moments = [newest - timedelta(hours=3 * n) for n in range(count)]
    db.session.execute(insert(PointsEntry), [
        {"member_id": member.id, "amount": 10, "kind": "purchase", "reason": f"Bulk {label} {n}",
         "idempotency_key": f"bulk:{label}:{n}", "created_at": at - timedelta(hours=2),
         "expires_at": add_months(at, 24), "remaining": 10, "qualifying": 10}
        for n, at in enumerate(moments)
    ])
    db.session.execute(insert(TierChange), [
        {"member_id": member.id, "from_tier_id": regular, "to_tier_id": silver, "reason": "",
         "reason_code": "qualifying_points", "reason_params": {"points": 1000 + n},
         "created_at": at - timedelta(hours=1)}
        for n, at in enumerate(moments)
    ])
    entry_id = db.session.scalar(select(PointsEntry.id).where(PointsEntry.idempotency_key == f"bulk:{label}:0"))
    db.session.execute(insert(Redemption), [
        {"member_id": member.id, "reward_id": reward.id, "points": 10, "points_entry_id": entry_id,
         "voucher_code": f"{label}-{n}", "idempotency_key": f"bulk:{label}:{n}", "status": "used",
         "created_at": at - timedelta(days=1), "used_at": at}
        for n, at in enumerate(moments)
    ])
    member.points_balance += 10 * count
    db.session.commit()


def home_activity(client):
    with counting_queries() as statements:
        response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    activity = html.split('id="activity-heading"')[1].split("</section>")[0]
    return statements, re.findall(r"<strong>(.*?)</strong>", activity)


def test_the_home_runs_every_timeline_source_in_one_query_with_10_and_10000_rows_each(client):
    ann = make_member(name="Ann Lee", email="ann.timeline@example.com", tier="silver")
    coffee = make_reward(name="Coffee for two", name_zh="咖啡兩杯")
    newest = utcnow() - timedelta(minutes=5)
    bulk_activity(ann, coffee, 10, newest, "few")
    login(client, "ann.timeline@example.com")
    few, shown = home_activity(client)
    # the newest six, whatever their source: a voucher used, then a tier change, then an earning
    assert shown == ["Voucher used", "Moved up to Silver", "Purchase"] * 2

    bulk_activity(ann, coffee, 10_000, newest - timedelta(hours=30), "many")
    assert db.session.scalar(select(func.count()).select_from(Redemption).where(Redemption.member_id == ann.id)) \
        == 10_010
    many, shown_then = home_activity(client)
    assert shown_then == shown
    assert len(few) <= BUDGET, "\n".join(few)
    assert len(few) == 7  # the 6 of a home without vouchers, and the reward names
    assert len(many) == len(few), f"{len(few)} → {len(many)} queries"
    # one query for the activity of every source, one for the names of the rewards it shows
    assert len([s for s in many if "UNION ALL" in s and "FROM points_entries" in s]) == 1
    assert len([s for s in many if "FROM redemptions" in s]) == 1
    assert len([s for s in many if "FROM rewards" in s]) == 1
