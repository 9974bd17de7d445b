"""The event jobs on a real Redis and a real worker: the 24-hour reminder goes once however often the
job runs or dies, the news of a change or cancellation goes once to everyone registered, and the
reminder job catches up news whose job was lost."""

import logging
from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import select

from jobs.schedule import JOBS
from portal.care.models import Notification
from portal.events import messages, services
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.models import utcnow
from tests.factories import event_fields, make_event, make_member, make_staff

pytestmark = pytest.mark.jobs

REMINDERS = JOBS["event-reminders"].func
NEWS = messages.NEWS_JOB
SUBJECTS = ["Reminder: Tea tasting", "You are registered: Tea tasting"]


def templates_of(member_id):
    return sorted(m.template for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.member_id == member_id)))


def notices_of(member_id, template):
    return db.session.scalars(select(Notification).where(
        Notification.member_id == member_id, Notification.template == template)).all()


def registration(registration_id):
    return db.session.get(Registration, registration_id, populate_existing=True)


def results(redis, jobs):
    return [Job.fetch(job.id, connection=redis).return_value() for job in jobs]


def run(app, *args):
    db.session.commit()  # end the test's transaction: on SQLite it holds the write lock
    result = app.test_cli_runner().invoke(args=["jobs", *args])
    db.session.rollback()
    return result


def event_tomorrow(people, capacity=10, starts_in=timedelta(hours=20), **fields):
    """A committed event starting within a day, `people` (member fields) registered two days ago:
    (event id, member ids, registration ids)."""
    now = utcnow()
    event = make_event("Tea tasting", capacity=capacity, starts_at=now + starts_in, **fields)
    members = [make_member(**each) for each in people]
    regs = [services.register(m, event, now=now - timedelta(days=2) + timedelta(seconds=n))
            for n, m in enumerate(members)]
    db.session.commit()
    return event.id, [m.id for m in members], [r.id for r in regs]


def test_the_reminder_goes_once_to_confirmed_members_even_when_the_job_runs_twice(jobs_app, redis, mailbox,
                                                                                    run_worker):
    event_id, (keen, quiet, queued), regs = event_tomorrow(
        [{"email": "keen@example.com"}, {"email": "quiet@example.com", "event_reminders": False},
         {"email": "queued@example.com"}], capacity=2)
    at = utcnow().isoformat()
    queue = Queue("default", connection=redis)
    jobs = [queue.enqueue(REMINDERS, at=at), queue.enqueue(REMINDERS, at=at)]

    run_worker(jobs_app, workers=2)  # the two runs may well race

    assert sorted(results(redis, jobs), key=lambda r: -r["reminders"]) == [
        {"reminders": 2, "news": 0}, {"reminders": 0, "news": 0}]
    assert templates_of(keen) == ["event_registered", "event_reminder"]
    assert templates_of(quiet) == ["event_registered"]  # reminders off: no email…
    assert len(notices_of(quiet, "event_reminder")) == 1  # …but the portal says so
    assert templates_of(queued) == ["event_registered"] and notices_of(queued, "event_reminder") == []
    subjects = sorted(m["Subject"] for m in mailbox.wait_for("keen@example.com", count=2))
    assert subjects == SUBJECTS and len(mailbox.to("quiet@example.com")) == 1
    assert [registration(r).reminded_at is not None for r in regs] == [True, True, False]
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {"sent"}


def test_a_worker_that_died_mid_run_sends_nothing_twice(jobs_app, redis, mailbox, run_worker):
    event_id, ids, regs = event_tomorrow([{} for _ in range(4)])
    now = utcnow()
    # the dead worker's first batch was committed (its emails stored), the rest never ran
    messages.send_reminders(regs[:2], now)
    db.session.commit()
    job = Queue("default", connection=redis).enqueue(REMINDERS, at=now.isoformat())

    run_worker(jobs_app)

    assert job.return_value() == {"reminders": 2, "news": 0}
    for member_id in ids:
        assert templates_of(member_id) == ["event_registered", "event_reminder"]
        assert len(notices_of(member_id, "event_reminder")) == 1


def test_a_failing_batch_costs_only_its_member_and_a_rerun_sends_nothing_twice(jobs_app, monkeypatch, caplog):
    event_id, ids, regs = event_tomorrow([{} for _ in range(3)])
    real = messages.send_reminders
    at = utcnow().isoformat()

    def send(batch, now=None):
        if regs[1] in batch:
            raise RuntimeError("a bad row")
        return real(batch, now)

    monkeypatch.setattr(messages, "send_reminders", send)
    with caplog.at_level(logging.ERROR, logger="jobs"):
        failed = run(jobs_app, "run", "event-reminders", "--at", at)
    assert failed.exit_code == 1 and f"1 member(s) failed (ids [{regs[1]}])" in failed.output
    assert [registration(r).reminded_at is not None for r in regs] == [True, False, True]
    assert templates_of(ids[1]) == ["event_registered"]

    monkeypatch.setattr(messages, "send_reminders", real)
    again = run(jobs_app, "run", "event-reminders", "--at", at)
    assert again.exit_code == 0 and "'reminders': 1" in again.output
    for member_id in ids:
        assert templates_of(member_id) == ["event_registered", "event_reminder"]


def test_a_change_is_news_to_everyone_registered_once(jobs_app, redis, mailbox, run_worker):
    event_id, (placed, queued), regs = event_tomorrow(
        [{"email": "placed@example.com"}, {"email": "queued.news@example.com"}], capacity=1,
        starts_in=timedelta(days=5))
    staff = make_staff("expansion")
    event = db.session.get(Event, event_id)
    services.update_event(event, event_fields(event, venue="Da'an store"), staff)
    db.session.commit()
    default = Queue("default", connection=redis)
    assert [(job.func_name, job.args) for job in default.get_jobs()] == [(NEWS, (event_id,))]
    again = default.enqueue(NEWS, event_id)  # a second run of the same news

    run_worker(jobs_app)

    assert again.return_value() == {"registrations": 0, "told": 0}
    assert templates_of(placed) == ["event_changed", "event_registered"]
    assert templates_of(queued) == ["event_changed", "event_registered"]
    changed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "event_changed")).all()
    assert {len(m.attachments) for m in changed if m.member_id == placed} == {1}  # the new calendar file
    assert {len(m.attachments) for m in changed if m.member_id == queued} == {0}
    assert [registration(r).told_sequence for r in regs] == [1, 1]
    assert len(mailbox.wait_for("placed@example.com", count=2)) == 2

    services.cancel_event(db.session.get(Event, event_id), "The room flooded", staff)
    db.session.commit()
    run_worker(jobs_app)
    assert templates_of(placed) == ["event_cancelled", "event_changed", "event_registered"]
    assert templates_of(queued) == ["event_cancelled", "event_changed", "event_registered"]
    [cancelled] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "event_cancelled", OutboxMessage.member_id == placed)).all()
    assert b"METHOD:CANCEL" in cancelled.attachments[0].content
    assert "The room flooded" in cancelled.body_text
    assert [registration(r).told_sequence for r in regs] == [2, 2]


def test_the_reminder_job_catches_up_news_whose_job_was_lost(jobs_app, redis, run_worker):
    event_id, ids, regs = event_tomorrow([{}, {}], starts_in=timedelta(days=5))
    event = db.session.get(Event, event_id)
    later = event.starts_at + timedelta(hours=2)
    services.update_event(event, event_fields(event, starts_at=later, ends_at=later + timedelta(hours=2)),
                          make_staff("expansion"))
    db.session.commit()
    default = Queue("default", connection=redis)
    default.empty()  # Redis lost the news job
    job = default.enqueue(REMINDERS, at=utcnow().isoformat())

    run_worker(jobs_app)

    assert job.return_value() == {"reminders": 0, "news": 2}
    for member_id in ids:
        assert templates_of(member_id) == ["event_changed", "event_registered"]


def test_flask_jobs_lists_and_runs_the_event_reminders(jobs_app, redis):
    listing = run(jobs_app, "list").output
    assert "event-reminders" in listing and "every 10 minutes" in listing
    result = run(jobs_app, "run", "event-reminders")
    assert result.exit_code == 0 and result.output == "event-reminders: {'reminders': 0, 'news': 0}\n"
