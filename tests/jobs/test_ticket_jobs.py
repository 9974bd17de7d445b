"""The ticket jobs on a real Redis, a real worker and a real SMTP server: escalation run twice
(racing) emails the team lead once per breach; resolved tickets close after their days."""

from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import select

from jobs.schedule import JOBS
from portal.extensions import db
from portal.models import utcnow
from portal.tickets.models import Ticket
from tests.factories import make_staff, make_ticket

pytestmark = pytest.mark.jobs

ESCALATE = JOBS["ticket-escalation"].func
CLOSE = JOBS["close-resolved-tickets"].func


def test_the_schedule_runs_escalation_every_5_minutes_and_closing_daily():
    assert (JOBS["ticket-escalation"].interval, JOBS["ticket-escalation"].queue) == (300, "default")
    assert JOBS["close-resolved-tickets"].cron is not None and "03:00" in JOBS["close-resolved-tickets"].when


def test_escalation_twice_emails_the_lead_once_and_old_resolved_tickets_close(jobs_app, redis, mailbox,
                                                                             run_worker):
    now = utcnow()
    lead = make_staff("admin", email="lead@example.com")
    late = make_ticket(kind="complaint", subject="Late one", now=now - timedelta(hours=25))
    done = make_ticket(status="resolved", staff=lead, now=now - timedelta(days=8))
    late_id, done_id = late.id, done.id
    db.session.commit()
    mailbox.clear()
    queue = Queue("default", connection=redis)
    jobs = [queue.enqueue(ESCALATE), queue.enqueue(ESCALATE), queue.enqueue(CLOSE)]

    run_worker(jobs_app, workers=2)

    returned = [Job.fetch(job.id, connection=redis).return_value() for job in jobs]
    # An untouched complaint breaches both clocks at once: one email naming both, once.
    assert sorted(r["emails"] for r in returned[:2]) == [0, 1]
    assert returned[2] == {"closed": 1}
    to_lead = mailbox.wait_for("lead@example.com", count=1)
    assert len(to_lead) == 1 and late.number in to_lead[0]["Subject"] and "not resolved" in to_lead[0]["Subject"]
    tickets = {t.id: t for t in db.session.scalars(select(Ticket))}
    assert tickets[late_id].first_response_breached_at is not None
    assert tickets[done_id].status == "closed"
    assert len(mailbox.to("lead@example.com")) == 1  # nothing more came
