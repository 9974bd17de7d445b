"""Tickets filed and escalated at the same moment, each thread with its own connection, on both
databases: every number given once and none skipped (the year's counter row made by a race), and
two escalation runs email each breach once."""

from datetime import timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members.models import Member
from portal.models import utcnow
from portal.tickets import services
from portal.tickets.models import TicketBreach, TicketCounter
from tests.factories import make_member, make_staff, make_ticket
from tests.helpers import run_together

RACERS = 12


def errors_in(results):
    return [result for result in results if isinstance(result, BaseException)]


def test_tickets_filed_at_once_get_every_number_once(committing_app):
    with committing_app.app_context():
        ids = [make_member(name=f"Racer {n}").id for n in range(RACERS)]
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(TicketCounter)) == 0  # the race makes the row

    def file(i):
        member = db.session.get(Member, ids[i])
        ticket = services.open_ticket(member, "consultation", f"Question {i}", "Hello")
        db.session.commit()
        return ticket.number

    numbers = run_together(committing_app, RACERS, file)
    assert errors_in(numbers) == []
    year = numbers[0].split("-")[1]
    assert sorted(numbers) == [f"T-{year}-{n:06d}" for n in range(1, RACERS + 1)]


def test_two_escalation_runs_at_once_email_each_breach_once(committing_app):
    with committing_app.app_context():
        make_staff("admin")
        make_ticket(kind="complaint", now=utcnow() - timedelta(hours=30))
        db.session.commit()

    def escalate(_i):
        counts = services.escalate()
        db.session.commit()
        return counts

    results = run_together(committing_app, 4, escalate)
    assert errors_in(results) == []
    with committing_app.app_context():
        assert sum(r["emails"] for r in results) == 1  # first response and resolution, in one email to the lead
        assert db.session.scalar(select(func.count()).select_from(TicketBreach)) == 2
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.template == "ticket_breached")) == 1
