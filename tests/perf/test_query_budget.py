"""Query budget (issue 11, item 5): every member page and the main staff pages run a fixed number of
SQL statements, the same with 10 rows of history as with 10,000 (ledger entries, tickets and their
messages, registrations, redemptions, survey invitations, responses and answers, notifications,
audit entries, emails): no statement per row (N+1), and no row fetched twice per request.

BUDGET is the one table of counts: a page that needs a query more, or one fewer, changes it here.
"""

from portal.extensions import db
from tests.helpers import counting_queries, login
from tests.perf.history import add_history, build_world

# page → its SQL statements, on SQLite and PostgreSQL alike, with 10 rows of history and with 10,000.
# Before issue 11: rewards 5 (the rewards' minimum tiers in a second query), survey link 9 (the
# invitation, its member and its survey one by one, an UPDATE of opened_at on every visit and all of
# them again after its commit, then the choices one query per choice question).
BUDGET = {
    "member home": 8,  # member, tiers, benefits, qualifying points, activity, expiring, bell, activity names
    "points": 4,  # member, a page of entries, expiring, bell
    "points: load more (htmx)": 3,  # the partial has no bell
    "benefits": 4,  # member, tiers, benefits, bell
    "rewards": 4,  # member, rewards with their minimum tiers, bell, the member's tier
    "events": 5,  # member, events, their counts, the member's registrations, bell
    "an event": 5,  # member, event, the member's registration, counts, bell
    "my tickets": 3,  # member, tickets, bell
    "a ticket": 6,  # member, ticket, status changes, messages, pictures, bell
    "survey link": 3,  # invitation with member and survey, questions, choices (no login, no bell)
    "staff: member search": 4,  # staff, tiers, count, a page of members with tiers
    "staff: member page": 8,  # staff, member, tiers, tier changes, entries, registrations, vouchers, tickets
    "staff: ticket queue": 4,  # staff, colleagues, counts, a page of tickets
    "staff: a ticket": 8,  # staff, ticket, messages, pictures, status changes, ratings, balance, other tickets
    "staff: survey results": 10,  # staff, survey, tiers, questions, choices, funnel, answered, numbers, choices, texts
}
HTMX = {"HX-Request": "true"}


def member_pages(world):
    return {
        "member home": ("/", {}),
        "points": ("/points", {}),
        "points: load more (htmx)": (f"/points?after={world.after_id}", {"headers": HTMX}),
        "benefits": ("/benefits", {}),
        "rewards": ("/rewards", {}),
        "events": ("/events", {}),
        "an event": (f"/events/{world.event_id}", {}),
        "my tickets": ("/tickets", {}),
        "a ticket": (f"/tickets/{world.ticket_number}", {}),
    }


def staff_pages(world):
    return {
        "staff: member search": ("/admin/members?q=lin", {}),
        "staff: member page": (f"/admin/members/{world.member_id}", {}),
        "staff: ticket queue": ("/admin/tickets/", {}),
        "staff: a ticket": (f"/admin/tickets/{world.ticket_number}", {}),
        "staff: survey results": (f"/admin/surveys/{world.survey_id}/results", {}),
    }


def count(client, pages):
    counts = {}
    for name, (path, kwargs) in pages.items():
        with counting_queries() as statements:
            response = client.get(path, **kwargs)
        assert response.status_code == 200, f"{name}: {response.status_code}"
        counts[name] = statements
    return counts


def measure(app, world):
    """The statements of every page: the member's (logged in), the survey link (no login), staff's."""
    results = {}
    for who, pages in (("member", member_pages(world)), ("staff", staff_pages(world))):
        client = app.test_client()
        login(client, world.member_email if who == "member" else world.staff_email)
        count(client, pages)  # once before counting: the steady state (a first visit may write, e.g. opened_at)
        results |= count(client, pages)
    client = app.test_client()
    link = {"survey link": (f"/s/{world.token}", {})}
    count(client, link)
    results |= count(client, link)
    return results


def test_every_page_runs_a_fixed_number_of_queries_with_10_and_with_10000_rows_of_history(app, client):
    world = build_world()
    add_history(world, 10, "few")
    db.session.commit()
    few = measure(app, world)

    add_history(world, 10_000, "many")
    db.session.commit()
    many = measure(app, world)

    for name in BUDGET:
        assert len(many[name]) == len(few[name]), \
            f"{name}: {len(few[name])} → {len(many[name])} queries\n" + "\n".join(many[name])
        assert len(few[name]) == BUDGET[name], f"{name}: {len(few[name])} queries\n" + "\n".join(few[name])
    assert set(few) == set(BUDGET)
