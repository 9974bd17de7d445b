"""The points and care jobs on a real Redis and a real worker; `flask jobs run NAME`; the schedule."""

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from rq import Queue
from rq.cron import CronScheduler
from rq.job import Job
from sqlalchemy import select

from jobs.schedule import JOBS
from portal.care import birthdays
from portal.care.models import BirthdayGreeting, ExpiryNotice
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members import ledger
from portal.members.models import Member, PointsEntry
from tests.factories import make_member
from tests.helpers import ROOT

pytestmark = pytest.mark.jobs

# 02:00 UTC on 1 Mar 2026 (10:00 in Asia/Taipei): the tier review's moment, a birthday, expiry.
AT = datetime(2026, 3, 1, 2, tzinfo=UTC)


@pytest.fixture
def care_app(jobs_app):
    """jobs_app (which deletes every committed row afterwards) under the name these tests use."""
    return jobs_app


def committed_members():
    """Mei (points due and expiring soon, a birthday today, Gold with too few points), Ann (nothing due)."""
    mei = make_member(name="Mei Lin", email="mei@example.com", tier="gold", birthday_month=3, birthday_day=1)
    ann = make_member(name="Ann Lee", email="ann@example.com", birthday_month=3, birthday_day=2)
    ledger.earn(mei, 300, "purchase", "old", at=AT - timedelta(days=700), expires_at=AT - timedelta(hours=1))
    ledger.earn(mei, 1200, "purchase", "soon", at=AT - timedelta(days=60), expires_at=AT + timedelta(days=10))
    ledger.earn(ann, 50, "purchase", "later", at=AT - timedelta(days=60), expires_at=AT + timedelta(days=90))
    db.session.commit()
    return mei.id, ann.id


def state(member_id):
    member = db.session.get(Member, member_id, populate_existing=True)
    return {
        "balance": member.points_balance,
        "tier": member.tier.code,
        "expired": -sum(e.amount for e in db.session.scalars(select(PointsEntry).where(
            PointsEntry.member_id == member_id, PointsEntry.kind == "expiry"))),
        "notices": [(n.expires_on, n.points) for n in db.session.scalars(
            select(ExpiryNotice).where(ExpiryNotice.member_id == member_id))],
        "birthdays": [(g.year, g.points) for g in db.session.scalars(
            select(BirthdayGreeting).where(BirthdayGreeting.member_id == member_id))],
        "emails": sorted(m.template for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.member_id == member_id))),
    }


MEI_AFTER = {
    "balance": 1200 + 500,  # 300 expired, a Gold birthday bonus of 500 came
    "tier": "silver",  # 1,500 + 500 qualifying points in 12 months, Gold needs 5,000
    "expired": 300,
    "notices": [(date(2026, 3, 11), 1200)],
    "birthdays": [(2026, 500)],
    "emails": ["birthday", "expiry_notice", "tier_review"],
}


def test_a_worker_runs_each_job_and_the_emails_arrive(care_app, redis, mailbox, run_worker):
    mei, ann = committed_members()
    queue = Queue("default", connection=redis)
    jobs = [queue.enqueue(JOBS[name].func, at=AT.isoformat())
            for name in ("expire-points", "expiry-notices", "birthdays", "tier-review")]
    jobs += [queue.enqueue(JOBS["birthdays"].func, at=AT.isoformat())]  # a second run the same day

    run_worker(care_app)
    results = [Job.fetch(job.id, connection=redis).return_value() for job in jobs]
    assert results == [
        {"members": 1, "expiry_entries": 1},
        {"members": 1, "notices": 1},
        {"day": "2026-03-01", "members": 1, "greeted": 1},
        {"members": 1, "moved_down": 1},
        {"day": "2026-03-01", "members": 0, "greeted": 0},
    ]
    assert state(mei) == MEI_AFTER
    assert state(ann) == {"balance": 50, "tier": "regular", "expired": 0, "notices": [], "birthdays": [],
                          "emails": []}
    subjects = sorted(email["Subject"] for email in mailbox.wait_for("mei@example.com", count=3))
    assert subjects == ["1,200 points expire on 11 Mar 2026", "Happy birthday, Mei!",
                        "Your membership tier is now Silver"]
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {"sent"}
    assert ledger.reconcile() == []


def run(app, *args):
    db.session.commit()  # end the test's transaction: on SQLite it holds the write lock
    result = app.test_cli_runner().invoke(args=["jobs", *args])
    db.session.rollback()
    return result


def test_flask_jobs_run_runs_each_job_in_the_cli_process(care_app, redis):
    mei, _ann = committed_members()
    for name in ("expire-points", "expiry-notices", "birthdays", "tier-review"):
        result = run(care_app, "run", name, "--at", AT.isoformat())
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"{name}: {{")
    assert state(mei) == MEI_AFTER
    again = run(care_app, "run", "birthdays", "--at", AT.isoformat())
    assert "'greeted': 0" in again.output and state(mei) == MEI_AFTER

    result = run(care_app, "run", "sweep-outbox")
    assert result.exit_code == 0 and result.output == "sweep-outbox: []\n"
    # The emails were queued for the mail worker, as a web request's are.
    assert len(Queue("mail", connection=redis)) == 3

    assert run(care_app, "run", "sweep-outbox", "--at", AT.isoformat()).exit_code == 2
    assert run(care_app, "run", "birthdays", "--at", "2026-03-01").exit_code == 2  # no time zone
    assert run(care_app, "run", "nonsense").exit_code == 2

    listing = run(care_app, "list").output
    for name in JOBS:
        assert name in listing
    assert "daily 08:00 Asia/Taipei" in listing and "1st of each month, 02:00 UTC" in listing


def test_one_failing_member_does_not_cost_the_others_their_greeting(care_app, monkeypatch, caplog):
    members = [make_member(birthday_month=3, birthday_day=1) for _ in range(3)]
    db.session.commit()
    ids = [member.id for member in members]
    real = birthdays.greet_birthdays

    def greet(today, member_ids=None):
        if ids[1] in member_ids:
            raise RuntimeError("a bad row")
        return real(today, member_ids=member_ids)

    monkeypatch.setattr(birthdays, "greet_birthdays", greet)
    with caplog.at_level(logging.ERROR, logger="jobs"):
        result = run(care_app, "run", "birthdays", "--at", AT.isoformat())
    assert result.exit_code == 1
    assert f"1 member(s) failed (ids [{ids[1]}])" in result.output
    assert f"birthdays: member {ids[1]} failed" in caplog.text and "a bad row" in caplog.text
    greeted = set(db.session.scalars(select(BirthdayGreeting.member_id)))
    assert greeted == {ids[0], ids[2]}


def test_rq_cron_schedules_each_job_in_utc(redis, monkeypatch):
    monkeypatch.chdir(ROOT)
    scheduler = CronScheduler(connection=redis)
    scheduler.load_config_from_file("jobs/cron.py")
    registered = {job.name: (job.func_name, job.queue_name, job.cron, job.interval)
                  for job in scheduler.get_jobs()}
    assert registered == {
        "sweep-outbox": ("jobs.mail.sweep_outbox", "mail", None, 300),
        "event-reminders": ("jobs.events.send_event_reminders", "default", None, 600),
        "survey-reminders": ("jobs.surveys.send_survey_reminders", "default", None, 3600),
        "ticket-escalation": ("jobs.tickets.escalate_tickets", "default", None, 300),
        # Asia/Taipei is UTC+8 all year: 01:00, 01:10, 03:00 and 08:00 there.
        "close-resolved-tickets": ("jobs.tickets.close_resolved_tickets", "default", "0 19 * * *", None),
        "expire-points": ("jobs.points.expire_points", "default", "0 17 * * *", None),
        "expiry-notices": ("jobs.points.send_expiry_notices", "default", "10 17 * * *", None),
        "birthdays": ("jobs.care.greet_birthdays", "default", "0 0 * * *", None),
        "tier-review": ("jobs.care.review_tiers", "default", "0 2 1 * *", None),
    }
    review = next(job for job in scheduler.get_jobs() if job.name == "tier-review")
    assert review.get_next_enqueue_time().day == 1 and review.job_options["job_timeout"] == 3600
