"""Survey jobs on a real Redis, real worker processes and a real SMTP server: a dispatch goes end to
end in batches over one connection each; `kill -9` of the worker mid-dispatch or mid-batch, then
starting again, finishes with no duplicate invitation and no missing or repeated email; the one
reminder (never twice, never after expiry, never to those who turned survey emails off)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy
from rq import Queue
from sqlalchemy import func, select, update

from jobs.schedule import JOBS
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.models import utcnow
from portal.surveys import dispatch as sending
from portal.surveys import services
from portal.surveys.models import Dispatch, Invitation, Question, Survey
from tests.factories import make_member, make_staff
from tests.helpers import FAST_HASH, ROOT, survey_smtp_sink

pytestmark = pytest.mark.jobs

REMINDERS = JOBS["survey-reminders"].func
INHERITED = ("PORTAL_", "SMTP_")
OWN = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}


def survey_make(title="Member satisfaction 2026", **fields):
    survey = Survey(title=title, **fields)
    survey.questions = [Question(kind="rating", text="How satisfied are you?", position=1)]
    db.session.add(survey)
    db.session.flush()
    return survey


def start_worker(app, tmp_path, burst=True, batch_size=5):
    """`python -m jobs.worker` for the app's database, Redis and SMTP, in a process group of its own
    (RQ forks a work horse per job, in a group of its own too: kill -9 must take both)."""
    config = app.config
    env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED) and k not in OWN}
    instance = tmp_path / "worker-instance"
    instance.mkdir(exist_ok=True)
    env.update({
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": config["REDIS_URL"],
        "SMTP_HOST": config["SMTP_HOST"], "SMTP_PORT": str(config["SMTP_PORT"]),
        "SECRET_KEY": config["SECRET_KEY"], "PORTAL_INSTANCE_DIR": str(instance),
        "PORTAL_MAIL_RETRY_INTERVALS": "0,0", "PORTAL_SURVEY_BATCH_SIZE": str(batch_size),
        "PORTAL_ARGON2_MEMORY_KIB": str(FAST_HASH["ARGON2_MEMORY_KIB"]),
    })
    db.session.rollback()  # on SQLite the test's transaction would hold the write lock
    return subprocess.Popen([sys.executable, "-m", "jobs.worker", *(["--burst"] if burst else [])], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def finish(worker, timeout=90):
    try:
        output = worker.communicate(timeout=timeout)[0]
    finally:
        kill(worker)
    assert worker.returncode == 0, output
    db.session.rollback()
    return output


def horses(worker):
    """The work horses RQ forked for the worker's jobs (each in a process group of its own)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == worker.pid:  # its parent
            found.append(int(stat.parent.name))
    return found


def signal_all(worker, number):
    """Send `number` to the worker's work horses' groups, then to the worker's group."""
    for pid in horses(worker):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, number)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, number)


def kill(worker):
    """kill -9 of the worker and its work horse."""
    if worker.poll() is None:
        signal_all(worker, signal.SIGKILL)
        worker.communicate()


def wait_until(check, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot each time
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def count(model, *conditions):
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def assert_everyone_once(members, survey_id, sink, dispatch_id):
    """One invitation, one stored email and one received email per member; the dispatch done."""
    for member_id, address in members:
        assert count(Invitation, Invitation.member_id == member_id, Invitation.survey_id == survey_id) == 1
        assert count(OutboxMessage, OutboxMessage.member_id == member_id,
                     OutboxMessage.template == "survey_invitation") == 1
        assert len(sink.to(address)) == 1, address
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {"sent"}
    dispatch = db.session.get(Dispatch, dispatch_id, populate_existing=True)
    progress = sending.progress(dispatch)
    assert (progress.invited, progress.emailed, progress.failed, progress.done) == (len(members), len(members), 0,
                                                                                   True)


def people(count_, prefix):
    members = [make_member(name=f"Member {n}", email=f"{prefix}{n}@example.com") for n in range(count_)]
    return [(m.id, m.email) for m in members]


@pytest.fixture
def sink_app(jobs_app, monkeypatch):
    """The jobs app, its SMTP a sink that counts connections (and can hold one message)."""
    def use(**options):
        context = survey_smtp_sink(**options)
        port, sink = context.__enter__()
        monkeypatch.setitem(jobs_app.config, "SMTP_PORT", port)
        made.append(context)
        return sink

    made = []
    yield use
    for context in made:
        context.__exit__(None, None, None)


def test_a_dispatch_goes_to_smtp_in_batches_over_one_connection_each(jobs_app, sink_app, redis, tmp_path):
    sink = sink_app()
    members = people(9, "batch")
    make_member(name="Off", email="off@example.com", survey_emails=False)
    survey = survey_make()
    dispatch = sending.start_dispatch(survey, "all", staff=make_staff("operations"))
    db.session.commit()
    assert [job.func_name for job in Queue("default", connection=redis).get_jobs()] == [sending.RUN_JOB]

    finish(start_worker(jobs_app, tmp_path, batch_size=4))

    assert_everyone_once(members, survey.id, sink, dispatch.id)
    assert sink.connections == 3  # 4 + 4 + 1 emails: one SMTP connection per batch
    assert sink.to("off@example.com") == []
    assert db.session.get(Dispatch, dispatch.id).left_out == 1


def test_kill_9_mid_dispatch_then_starting_again_invites_and_emails_everyone_once(
        jobs_app, sink_app, redis, tmp_path):
    sink = sink_app()
    members = people(60, "killed")
    survey = survey_make()
    dispatch_id = sending.start_dispatch(survey, "all").id
    db.session.commit()
    worker = start_worker(jobs_app, tmp_path, burst=False, batch_size=5)
    # A reader of its own: on SQLite the portal's sessions take the write lock from their start.
    reader = sqlalchemy.create_engine(jobs_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        progress = select(func.count(Invitation.id), func.count(Invitation.emailed_at)).where(
            Invitation.dispatch_id == dispatch_id)
        deadline = time.monotonic() + 60
        with reader.connect() as connection:
            while connection.execute(progress).one()[0] == 0 and time.monotonic() < deadline:
                connection.rollback()
                time.sleep(0.005)
        signal_all(worker, signal.SIGSTOP)  # frozen mid-dispatch, wherever it was…
    finally:
        kill(worker)  # …and killed there
        reader.dispose()
    db.session.rollback()
    invited = count(Invitation, Invitation.dispatch_id == dispatch_id)
    emailed = count(Invitation, Invitation.dispatch_id == dispatch_id, Invitation.emailed_at.is_not(None))
    assert 0 < emailed < 60 or 0 < invited < 60, (invited, emailed)  # it did die mid-way
    assert db.session.get(Dispatch, dispatch_id).status == "running"

    # Started again: the hourly job finds the dispatch that stopped making progress and runs it again.
    sweep = Queue("default", connection=redis).enqueue(REMINDERS, at=(utcnow() + timedelta(hours=1)).isoformat())
    finish(start_worker(jobs_app, tmp_path, batch_size=5))

    assert sweep.return_value() == {"reminders": 0, "dispatches": 1}
    assert_everyone_once(members, survey.id, sink, dispatch_id)


def test_kill_9_mid_batch_then_starting_again_sends_every_email_once(jobs_app, sink_app, redis, tmp_path):
    sink = sink_app(hold_at=7)  # the 2nd email of the 2nd batch gets no answer
    members = people(12, "midbatch")
    survey = survey_make()
    dispatch_id = sending.start_dispatch(survey, "all").id
    db.session.commit()
    worker = start_worker(jobs_app, tmp_path, burst=False, batch_size=5)
    try:
        assert sink.held.wait(60), "the worker never reached the 7th email"
    finally:
        kill(worker)
    sink.release()  # the server never accepted it
    db.session.rollback()
    assert len(sink.messages) == 6
    statuses = [m.status for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    # the dead batch's sent email is recorded; the one in flight and the rest are left "sending"
    assert statuses[:6] == ["sent"] * 6 and set(statuses[6:10]) == {"sending"}

    finish(start_worker(jobs_app, tmp_path, batch_size=5))  # the third batch's job was still in Redis
    # An hour on, the outbox sweep sends what the dead batch left.
    db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "sending")
                       .values(claimed_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    Queue("mail", connection=redis).enqueue("jobs.mail.sweep_outbox")
    finish(start_worker(jobs_app, tmp_path, batch_size=5))

    assert_everyone_once(members, survey.id, sink, dispatch_id)
    assert len(sink.messages) == 12


def test_the_reminder_goes_once_never_after_expiry_nor_to_those_who_turned_survey_emails_off(
        jobs_app, redis, mailbox, tmp_path):
    survey = survey_make(reminder_days=3)
    four_days_ago = utcnow() - timedelta(days=4)
    due, fresh, expired, quiet, answered = (make_member(email=f"{name}@example.com") for name in (
        "due", "fresh", "expired", "quiet", "answered"))
    invitations = {}
    for member in (due, fresh, expired, quiet, answered):
        sent_at = utcnow() if member is fresh else four_days_ago
        invitations[member.email] = services.invite(member, survey, now=sent_at)
    invitations["expired@example.com"].expires_at = utcnow() - timedelta(hours=1)
    invitations["answered@example.com"].answered_at = utcnow()
    quiet.survey_emails = False
    db.session.commit()
    default = Queue("default", connection=redis)
    jobs = [default.enqueue(REMINDERS), default.enqueue(REMINDERS)]
    Queue("mail", connection=redis).empty()  # the invitations' own emails are not this test's

    worker = start_worker(jobs_app, tmp_path)
    other = start_worker(jobs_app, tmp_path)  # the two runs may race
    finish(worker), finish(other)

    assert sorted(job.return_value()["reminders"] for job in jobs) == [0, 1]
    reminders = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "survey_reminder")).all()
    assert [m.to_email for m in reminders] == ["due@example.com"]
    assert len(mailbox.wait_for("due@example.com")) == 1
    reloaded = {email: db.session.get(Invitation, i.id, populate_existing=True) for email, i in invitations.items()}
    assert reloaded["due@example.com"].reminded_at is not None
    assert all(i.reminded_at is None for email, i in reloaded.items() if email != "due@example.com")

    again = default.enqueue(REMINDERS)
    finish(start_worker(jobs_app, tmp_path))
    assert again.return_value() == {"reminders": 0, "dispatches": 0}


def test_flask_jobs_lists_the_survey_reminders(jobs_app):
    db.session.commit()
    listing = jobs_app.test_cli_runner().invoke(args=["jobs", "list"]).output
    assert "survey-reminders" in listing and "every hour" in listing
