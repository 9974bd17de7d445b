"""How fast a survey goes out: N generated members, real RQ workers, a local SMTP sink.

    .venv/bin/python bench/dispatch.py --members 2000 --workers 2

Uses the portal's DATABASE_URL and REDIS_URL (Redis must answer). Makes a tier of its own with N
members in it (inserted in bulk), a one-question survey, and sends it to that tier through the
real path (start_dispatch, then `python -m jobs.worker` processes) to an SMTP server on
loopback that only counts. Prints invitations and emails per second, then deletes everything it
made. Not a timed test: a tiny run is in tests/jobs/test_bench_dispatch.py so that it never rots.
"""

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select, text  # noqa: E402

from portal import create_app  # noqa: E402
from portal.audit.models import AuditEntry  # noqa: E402
from portal.auth.passwords import hash_password  # noqa: E402
from portal.care.models import Notification  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.mail.models import OutboxMessage  # noqa: E402
from portal.members.models import Member, Tier  # noqa: E402
from portal.models import utcnow  # noqa: E402
from portal.surveys import dispatch as sending  # noqa: E402
from portal.surveys.models import Dispatch, Invitation, Question, Survey  # noqa: E402


class CountingSink:
    """A bare SMTP server on loopback that accepts every message, counts it and keeps nothing.

    Written for the bench rather than aiosmtpd: aiosmtpd parses and logs every command, and on a
    2-core machine the sink's own CPU would be counted against the workers it measures. This one
    speaks just enough SMTP for smtplib (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)."""

    def __init__(self):
        self.count, self.connections, self.last = 0, 0, None
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        started = threading.Event()
        self.loop.call_soon_threadsafe(started.set)
        self.thread.start()
        started.wait(10)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _serve(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", self.port))
        self.loop.run_forever()

    async def _session(self, reader, writer):
        self.connections += 1
        writer.write(b"220 bench sink\r\n")
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-bench\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go on\r\n")
                    await reader.readuntil(b"\r\n.\r\n")
                    self.count += 1
                    self.last = time.monotonic()
                    writer.write(b"250 OK\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    break
                else:  # HELO, MAIL, RCPT, RSET, NOOP
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        finally:
            writer.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_members(tier, count, run):
    """`count` active members in `tier`, inserted in bulk (one password hash for all)."""
    password, now = hash_password(f"bench-{run}"), utcnow()
    rows = [{"name": f"Bench Member {n}", "email": f"bench-{run}-{n}@bench.invalid", "password_hash": password,
             "status": "active", "email_verified_at": now, "tier_id": tier.id, "language": "en" if n % 3 else "zh_Hant",
             "created_at": now} for n in range(count)]
    for start in range(0, count, 5000):
        db.session.execute(insert(Member), rows[start:start + 5000])
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":  # as autovacuum would, before the dispatch
        db.session.execute(text("ANALYZE members"))
        db.session.commit()


def start_workers(count, env):
    return [subprocess.Popen([sys.executable, "-m", "jobs.worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.STDOUT, start_new_session=True) for _ in range(count)]


def stop_workers(workers):
    """A warm shutdown (SIGTERM: the worker ends after its job; the queues are empty by now)."""
    for worker in workers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def clean_up(tier_id, survey_id):
    """Delete every row the run made, children first."""
    db.session.rollback()
    members = select(Member.id).where(Member.tier_id == tier_id).scalar_subquery()
    db.session.execute(delete(Notification).where(Notification.member_id.in_(members)))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.member_id.in_(members)))
    db.session.execute(delete(Invitation).where(Invitation.survey_id == survey_id))
    db.session.execute(delete(Dispatch).where(Dispatch.survey_id == survey_id))
    db.session.execute(delete(AuditEntry).where(AuditEntry.target_type == "Survey", AuditEntry.target_id == survey_id))
    db.session.execute(delete(Question).where(Question.survey_id == survey_id))
    db.session.execute(delete(Survey).where(Survey.id == survey_id))
    db.session.execute(delete(Member).where(Member.tier_id == tier_id))
    db.session.execute(delete(Tier).where(Tier.id == tier_id))
    db.session.commit()


def run(members, workers, timeout):
    sink = CountingSink()
    sink.start()
    os.environ.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port)})
    app = create_app()
    if app.extensions["redis"] is None:
        sink.stop()
        sys.exit("bench/dispatch.py: Redis does not answer at REDIS_URL; the workers need it.")
    run_id = uuid.uuid4().hex[:8]
    with app.app_context():
        rank = (db.session.scalar(select(func.max(Tier.rank))) or 0) + 1000
        tier = Tier(code=f"bench-{run_id}", rank=rank, name="Bench", name_zh="Bench", threshold=10**9)
        survey = Survey(title=f"Bench survey {run_id}", title_zh="測試問卷")
        survey.questions = [Question(kind="rating", text="How satisfied are you?", position=1)]
        db.session.add_all([tier, survey])
        db.session.commit()
        tier_id, survey_id = tier.id, survey.id
        started = []
        try:
            made = time.monotonic()
            make_members(tier, members, run_id)
            print(f"members: {members} made in {time.monotonic() - made:.1f} s", flush=True)
            started = start_workers(workers, dict(os.environ))
            time.sleep(1)  # let the workers start before the clock does
            begun = time.monotonic()
            dispatch_id = sending.start_dispatch(survey, "tiers", [tier_id]).id
            db.session.commit()
            done_at = None
            deadline = begun + timeout
            while time.monotonic() < deadline:
                status = db.session.scalar(select(Dispatch.status).where(Dispatch.id == dispatch_id))
                db.session.rollback()  # on SQLite an open transaction holds the write lock
                if done_at is None and status == "done":
                    done_at = time.monotonic()
                if done_at is not None and sink.count >= members:
                    break
                time.sleep(0.2)
            dispatch = db.session.get(Dispatch, dispatch_id)
            progress = sending.progress(dispatch)
            finished = sink.last or time.monotonic()
            invite_seconds = (done_at or time.monotonic()) - begun
            email_seconds = finished - begun
            print(f"workers: {workers}, batch size: {app.config['SURVEY_BATCH_SIZE']}, "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            print(f"invitations: {progress.invited} (emails stored: {progress.emailed}) in {invite_seconds:.1f} s: "
                  f"{progress.invited / invite_seconds:.0f} invitations per second")
            print(f"emails: {sink.count} received over {sink.connections} SMTP connections in {email_seconds:.1f} s: "
                  f"{sink.count / email_seconds:.0f} emails per second")
            stop_workers(started)
            started = []
            workers_cpu = os.times().children_user + os.times().children_system  # the workers and their horses
            print(f"worker CPU: {workers_cpu:.1f} s, {workers_cpu / max(sink.count, 1) * 1000:.2f} ms per email "
                  f"(the workers alone could send {sink.count / workers_cpu * workers:.0f} per second on "
                  f"{workers} free cores)")
            ok = progress.invited == members and sink.count == members and dispatch.status == "done"
            print("complete" if ok else f"INCOMPLETE after {timeout} s")
            return 0 if ok else 1
        finally:
            stop_workers(started)
            clean_up(tier_id, survey_id)
            sink.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=900, help="seconds to wait for every email")
    args = parser.parse_args(argv)
    return run(args.members, args.workers, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
