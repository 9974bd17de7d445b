"""Index budget (issue 11, item 5): on PostgreSQL, every SELECT that the member pages and the main
staff pages run (captured as sent, with their parameters) is planned without a sequential scan of a
big table, on a data set of a few members with long histories and a few hundred others. Sequential
scans are switched off, so that the plan shows whether an index can serve the query at all: where
none can, PostgreSQL still scans the table (at a cost of 10^10), and the test names the query."""

import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select, text

from portal.extensions import db
from portal.members.models import Member, PointsEntry, Tier
from portal.models import utcnow
from portal.tickets.models import Ticket
from tests.factories import make_member
from tests.helpers import HARNESS
from tests.perf.world import add_history, build_world, visit_pages

# The tables that grow with members and time (read from the models).
BIG_TABLES = {
    "members", "points_entries", "points_allocations", "tier_changes", "redemptions", "registrations",
    "tickets", "ticket_messages", "ticket_events", "ticket_attachments", "survey_invitations", "survey_responses",
    "survey_answers", "notifications", "outbox_messages", "audit_entries", "purchases",
}
LONG_HISTORY = 1000  # rows of each kind for each of the few members with a long history
OTHERS = 300

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@contextmanager
def capturing_selects():
    """The SELECT statements sent inside the block, with their parameters (savepoints left out)."""
    captured = []

    def record(_conn, _cursor, statement, parameters, _context, executemany):
        if not executemany and not HARNESS.match(statement) and statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield captured
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def add_others(count):
    """`count` members with a little history each: an earning and a closed ticket."""
    tier = db.session.scalar(select(Tier.id).where(Tier.code == "regular"))
    now = utcnow()
    db.session.execute(insert(Member), [
        {"name": f"Other Member {n}", "email": f"other{n}@example.net", "password_hash": "x", "status": "active",
         "phone": f"+886 9{n:08d}", "tier_id": tier, "points_balance": 10, "created_at": now} for n in range(count)])
    ids = db.session.scalars(select(Member.id).where(Member.email.like("other%@example.net"))).all()
    db.session.execute(insert(PointsEntry), [
        {"member_id": member_id, "amount": 10, "kind": "purchase", "idempotency_key": f"other:{member_id}",
         "created_at": now - timedelta(days=3), "expires_at": now + timedelta(days=700), "remaining": 10,
         "qualifying": 10} for member_id in ids])
    db.session.execute(insert(Ticket), [
        {"number": f"T-OTHER-{member_id:06d}", "member_id": member_id, "kind": "feedback", "subject": "Other",
         "status": "closed", "priority": False, "first_response_due_at": now, "resolution_due_at": now,
         "resolution_hours": 48, "version": 1, "created_at": now, "updated_at": now} for member_id in ids])


def seq_scans(node):
    """The big tables that a plan (a node of EXPLAIN's JSON) reads with a sequential scan."""
    found = []
    if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in BIG_TABLES:
        found.append(f"Seq Scan on {node['Relation Name']}")
    for child in node.get("Plans", []):
        found += seq_scans(child)
    return found


def test_the_pages_queries_use_indexes_on_the_big_tables(app, client):
    world = build_world()
    add_history(world, LONG_HISTORY, "long")
    for n in range(2):  # two more members with long histories
        add_history(world, LONG_HISTORY, f"long{n}", member_id=make_member(name=f"Long History {n}").id)
    add_others(OTHERS)
    db.session.commit()
    for table in BIG_TABLES:
        db.session.execute(text(f"ANALYZE {table}"))

    captured = {}

    def visit(name, get):
        get()
        with capturing_selects() as statements:
            get()
        captured[name] = statements

    visit_pages(app, world, visit)
    assert sum(len(statements) for statements in captured.values()) > 40  # the listener saw the pages

    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    scans = []
    for name, statements in captured.items():
        for statement, parameters in statements:
            plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
            plan = plan if isinstance(plan, list) else json.loads(plan)
            tables = seq_scans(plan[0]["Plan"])
            if tables:
                scans.append(f"{name}: {', '.join(tables)}\n    {' '.join(statement.split())[:400]}")
    assert not scans, "\n".join(scans)
