"""Mail jobs on a real Redis: enqueued after commit, sent by a real worker, retried, swept."""

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from rq import Queue
from rq.cron import CronScheduler
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry
from sqlalchemy import update

from jobs.queues import enqueue_after_commit
from portal.extensions import db, limiter
from portal.mail import outbox
from portal.mail.models import OutboxMessage
from portal.models import utcnow
from tests import services
from tests.factories import make_member
from tests.helpers import ROOT, post_form

pytestmark = pytest.mark.jobs

SEND_JOB = "jobs.mail.send_outbox_message"
SWEEP_JOB = "jobs.mail.sweep_outbox"
LINK = "http://localhost/verify/a-signed-token"


def queue_verification(member):
    return outbox.queue_email(
        "verify_email", member.email, {"name": member.name, "link": LINK, "hours": 24},
        language=member.language, to_name=member.name, member=member,
    )


def reload(message_id):
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def test_mail_waits_for_the_commit_then_a_worker_sends_it(jobs_app, redis, mailbox, run_worker):
    assert jobs_app.config["JOBS_INLINE"] is False
    mail = Queue("mail", connection=redis)
    member = make_member(name="Mei Lin")
    db.session.commit()
    queue_verification(member)
    db.session.rollback()
    db.session.commit()
    assert mail.count == 0  # the rolled-back email's job was forgotten

    message_id = queue_verification(member).id
    assert mail.count == 0  # a worker must never look for a row that is not committed

    db.session.commit()
    [job] = mail.get_jobs()
    assert (job.func_name, job.args) == (SEND_JOB, (message_id,))
    assert job.retries_left == 2 and job.retry_intervals == [0, 0]
    assert reload(message_id).status == "queued" and mailbox.to(member.email) == []

    run_worker(jobs_app)
    [email] = mailbox.wait_for(member.email)
    assert email["Subject"] == "Confirm your email for the Member Portal"
    assert LINK in services.text_of(email) and LINK in services.html_of(email)
    message = reload(message_id)
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, None)
    assert message.sent_at is not None
    assert mail.count == 0


def test_smtp_down_retries_then_fails_and_resend_sends_it_once(
        jobs_app, redis, mailbox, run_worker, smtp_port, monkeypatch):
    monkeypatch.setitem(jobs_app.config, "SMTP_PORT", services.free_port())  # nothing listens
    member = make_member()
    message_id = queue_verification(member).id
    db.session.commit()
    [job_id] = Queue("mail", connection=redis).job_ids

    run_worker(jobs_app)
    message = reload(message_id)
    assert (message.status, message.attempts) == ("failed", 3)  # the first try and 2 retries
    assert "ConnectionRefusedError" in message.last_error
    assert job_id in FailedJobRegistry("mail", connection=redis).get_job_ids()
    assert mailbox.to(member.email) == []

    monkeypatch.setitem(jobs_app.config, "SMTP_PORT", smtp_port)
    outbox.resend(message)
    db.session.commit()
    run_worker(jobs_app)
    message = reload(message_id)
    assert (message.status, message.last_error) == ("sent", None)
    assert len(mailbox.to(member.email)) == 1


def test_two_jobs_for_one_message_send_one_email(jobs_app, redis, mailbox, run_worker):
    member = make_member()
    message_id = queue_verification(member).id
    enqueue_after_commit(SEND_JOB, message_id, retry_intervals=[0, 0])
    db.session.commit()
    mail = Queue("mail", connection=redis)
    job_ids = mail.job_ids
    assert len(job_ids) == 2

    run_worker(jobs_app, workers=2)  # they may well race for it
    assert len(mailbox.to(member.email)) == 1
    results = [Job.fetch(job_id, connection=redis).return_value() for job_id in job_ids]
    assert sorted(results) == ["sent", "skipped"]
    assert set(FinishedJobRegistry("mail", connection=redis).get_job_ids()) == set(job_ids)
    assert reload(message_id).attempts == 1


def test_without_an_answering_redis_jobs_run_inline(make_app):
    dead = f"redis://127.0.0.1:{services.free_port()}/0"
    app = make_app(REDIS_URL=dead, RATELIMIT_STORAGE_URI=None)
    assert app.config["JOBS_INLINE"] is True
    assert app.extensions["redis"] is None
    # A limiter on a Redis that does not answer would fail every login: it counts in memory.
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert "Memory" in type(limiter.storage).__name__


def test_a_limiter_storage_that_stops_answering_falls_back_to_memory(database_url, migrated_app, make_app):
    dead = f"redis://127.0.0.1:{services.free_port()}/0"
    app = make_app(database_url, REDIS_URL=dead, RATELIMIT_STORAGE_URI=dead)
    response = post_form(app.test_client(), "/login", {"email": "nobody@example.com", "password": "wrong"})
    assert response.status_code == 422  # counted in memory, not a 500


def test_with_redis_the_login_limiter_counts_in_redis(
        database_url, migrated_app, make_app, redis_url, redis, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)  # as a deployment configures it
    monkeypatch.delenv("PORTAL_RATELIMIT_STORAGE_URI", raising=False)
    app = make_app(database_url, from_environment=("REDIS_URL", "RATELIMIT_STORAGE_URI"))
    assert app.config["JOBS_INLINE"] is False
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert "Redis" in type(limiter.storage).__name__

    response = post_form(app.test_client(), "/login", {"email": "nobody@example.com", "password": "wrong"})
    assert response.status_code == 422
    assert redis.keys("LIMITS*")  # the failed login was counted in Redis


def test_rq_cron_config_sweeps_the_outbox_every_five_minutes(redis, monkeypatch):
    monkeypatch.chdir(ROOT)
    scheduler = CronScheduler(connection=redis)
    scheduler.load_config_from_file("jobs/cron.py")
    [cron_job] = [job for job in scheduler.get_jobs() if job.name == "sweep-outbox"]
    assert (cron_job.func_name, cron_job.queue_name, cron_job.interval) == (SWEEP_JOB, "mail", 300)


def test_rq_cron_enqueues_the_sweep(redis_url, redis):
    """`rq cron jobs/cron.py`, as `make run` starts it, puts a sweep on the mail queue at once."""
    mail = Queue("mail", connection=redis)
    cron = subprocess.Popen([sys.executable, "-m", "rq.cli", "cron", "jobs/cron.py", "--url", redis_url],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while mail.count == 0 and time.monotonic() < deadline and cron.poll() is None:
            time.sleep(0.1)
    finally:
        cron.terminate()
        output = cron.communicate(timeout=10)[0]
    assert [job.func_name for job in mail.get_jobs()] == [SWEEP_JOB], output


def test_the_sweep_sends_what_a_lost_job_or_a_dead_worker_left(jobs_app, redis, mailbox, run_worker):
    mail = Queue("mail", connection=redis)
    lost, stuck, fresh = make_member(), make_member(), make_member()
    ids = {member.email: queue_verification(member).id for member in (lost, stuck, fresh)}
    db.session.commit()
    mail.empty()  # Redis lost the jobs
    two_hours_ago = utcnow() - timedelta(hours=2)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[lost.email])
                       .values(created_at=two_hours_ago))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[stuck.email])
                       .values(status="sending", claimed_at=two_hours_ago, attempts=1))
    db.session.commit()
    sweep = mail.enqueue(SWEEP_JOB)

    run_worker(jobs_app)
    assert sorted(sweep.return_value()) == sorted([ids[lost.email], ids[stuck.email]])
    assert len(mailbox.to(lost.email)) == 1 and len(mailbox.to(stuck.email)) == 1
    assert reload(ids[lost.email]).status == "sent" and reload(ids[stuck.email]).status == "sent"
    # A queued message younger than any retry interval may still have a job waiting: left alone.
    assert reload(ids[fresh.email]).status == "queued" and mailbox.to(fresh.email) == []
