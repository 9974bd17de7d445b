"""The staff queue is served by the index on (status, running_due_at) on PostgreSQL: with sequential
scans switched off, so that the plan shows which index the planner can use, the queue's query reads
ix_tickets_status_running_due (and the counts read only open tickets)."""

from datetime import timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from portal.extensions import db
from portal.models import utcnow
from portal.tickets import services
from portal.tickets.models import TICKET_STATUSES, Ticket
from portal.tickets.services import QueueFilters
from tests.factories import make_member


class Explain(Executable, ClauseElement):
    """EXPLAIN of a select, its parameters bound as the select's own."""

    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain(element, compiler, **kw):
    return "EXPLAIN " + compiler.process(element.statement, **kw)


def plan(statement):
    return "\n".join(db.session.execute(Explain(statement)).scalars())


# A PostgreSQL plan: these tests run on PostgreSQL only (not skipped on SQLite: not collected there).
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def many_tickets(app):
    assert db.session.get_bind().dialect.name == "postgresql"
    member = make_member()
    now = utcnow()
    # As in a portal that has run a while: most tickets are closed, a few are open.
    statuses = [*TICKET_STATUSES[:3], *["resolved"] * 2, *["closed"] * 15]
    db.session.execute(insert(Ticket), [
        dict(number=f"T-{now.year}-{800000 + n:06d}", member_id=member.id, kind="feedback", subject=f"Plan {n}",
             status=statuses[n % 20], priority=False, first_response_due_at=now + timedelta(minutes=n),
             resolution_due_at=now + timedelta(hours=48), resolution_hours=48,
             running_due_at=now + timedelta(minutes=n) if n % 20 < 2 else None, version=1, created_at=now,
             updated_at=now) for n in range(4000)])
    db.session.execute(text("ANALYZE tickets"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    return now


@pytest.mark.parametrize("filters", [QueueFilters(), QueueFilters(status="new"), QueueFilters(breached=True),
                                     QueueFilters(due_soon=True)], ids=["open", "new", "breached", "due_soon"])
def test_the_queue_reads_the_running_due_index(many_tickets, filters):
    shown = plan(services.queue_query(filters, now=many_tickets))
    assert "ix_tickets_open_queue" in shown or "ix_tickets_status_running_due" in shown, shown
    assert "Seq Scan on tickets" not in shown, shown


def test_the_open_queue_reads_its_first_entries_in_order_not_a_sort_of_every_open_ticket(many_tickets):
    shown = plan(services.queue_query(QueueFilters(), now=many_tickets))
    assert "ix_tickets_open_queue" in shown and "Sort" not in shown, shown
