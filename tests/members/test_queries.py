"""Performance budget: the member home and the points page run a fixed, small number of SQL
queries, the same for a member with 10 ledger entries and for one with 2,000."""

from datetime import timedelta

from portal.extensions import db
from portal.members import ledger
from portal.models import utcnow
from tests.conftest import counting_queries, login
from tests.factories import make_member

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
    # What the pages need and no more: the member and the bell's unread count, then for the home
    # the tiers and their benefits, the qualifying points, the expiring points and the recent
    # activity; for the points page one page of entries and the expiring points.
    assert len(few["home"]) == 7 and len(few["points"]) == 4


def test_the_counter_sees_the_requests_queries(client):
    """The listener counts what a request runs (a check that the budget test can fail)."""
    make_member(email="ann@example.com")
    login(client, "ann@example.com")
    with counting_queries() as statements:
        client.get("/points")
    assert any("FROM points_entries" in s for s in statements)
