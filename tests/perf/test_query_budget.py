"""Query budget (issue 11, item 5): every member page and the main staff pages run a fixed number of
SQL statements, the same with 10 rows of history as with 10,000 (ledger entries, tickets and their
messages, registrations, redemptions, survey invitations, responses and answers, notifications,
audit entries, emails): no statement per row (N+1), and no row fetched twice per request.

BUDGET is the one table of counts: a page that needs a query more, or one fewer, changes it here.
"""

from portal.extensions import db
from tests.helpers import counting_queries
from tests.perf.world import add_history, build_world, visit_pages

# page → its SQL statements, on SQLite and PostgreSQL alike, with 10 rows of history and with 10,000.
# Before issue 11: rewards 5 (the rewards' minimum tiers in a second query), survey link 9 (the
# invitation, its member and its survey one by one, an UPDATE of opened_at on every visit and all of
# them again after its commit, then the choices one query per choice question), staff member
# search 4 (the matches counted, then read again for the page: now counted only up to 1,001, which
# lets a search that matches thousands walk the name index for its page), staff ticket 8 (the member's
# balance summed over the whole ledger, rather than the balance kept on the member's row); every member
# page one more (the bell's unread count, now read with the member: auth.sessions.load_with).
BUDGET = {
    "member home": 7,  # member with its bell, tiers, benefits, qualifying points, activity, expiring, activity names
    "points": 3,  # member with its bell, a page of entries, expiring
    "points: load more (htmx)": 3,  # the partial has no bell
    "benefits": 3,  # member with its bell, tiers, benefits
    "rewards": 3,  # member with its bell, rewards with their minimum tiers, the member's tier
    "events": 4,  # member with its bell, a page of events, their counts, the member's registrations
    "events: load more (htmx)": 4,  # the partial has no bell
    "an event": 4,  # member with its bell, event, the member's registration, counts
    "my tickets": 2,  # member with its bell, a page of tickets
    "my tickets: load more (htmx)": 2,  # the partial has no bell
    "a ticket": 5,  # member with its bell, ticket, status changes, messages, pictures
    "survey link": 3,  # invitation with member and survey, questions, choices (no login, no bell)
    "staff: member search": 4,  # staff, tiers, the matches counted up to 1,001, a page of members with their tiers
    "staff: member page": 8,  # staff, member, tiers, tier changes, entries, registrations, vouchers, tickets
    "staff: ticket queue": 4,  # staff, colleagues, counts, a page of tickets
    "staff: a ticket": 7,  # staff, ticket, messages, pictures, status changes, ratings, other tickets
    "staff: survey results": 10,  # staff, survey, tiers, questions, choices, funnel, answered, numbers, choices, texts
}


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


def measure(app, world):
    """The statements of each page (its second visit: the steady state; a first visit may write)."""
    counts = {}

    def visit(name, get):
        get()
        with counting_queries() as statements:
            get()
        counts[name] = statements

    visit_pages(app, world, visit)
    return counts
