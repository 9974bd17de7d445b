"""How fast a survey goes out: N generated members, real RQ workers, a local SMTP sink.

    .venv/bin/python bench/dispatch.py --members 2000 --workers 2

Uses the portal's DATABASE_URL and REDIS_URL (Redis must answer). Makes a tier of its own with N
members in it (inserted in bulk), a one-question survey, and sends it to that tier through the
real path (start_dispatch, then `python -m jobs.worker` processes) to an SMTP server on
loopback that only counts. Prints invitations and emails per second, then deletes everything it
made. Not a timed test: a tiny run is in tests/jobs/test_bench_dispatch.py so that it never rots.
"""

import argparse
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select, text  # noqa: E402

from bench.harness import CountingSink, start_workers, stop_processes  # noqa: E402
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


@dataclass
class Figures:
    """What a run measured (seconds from the dispatch's start)."""

    members: int
    workers: int
    worker_class: str
    invited: int
    emailed: int  # emails stored in the outbox
    delivered: int  # emails the SMTP sink received
    connections: int
    invite_seconds: float
    email_seconds: float
    worker_cpu: float  # the workers' CPU, and their work horses' when they fork
    complete: bool
    load: float  # the machine's 1-minute load average when the last email came

    @property
    def emails_per_second(self):
        return self.delivered / self.email_seconds

    @property
    def cpu_ms_per_email(self):
        return self.worker_cpu / max(self.delivered, 1) * 1000


def measure(members, workers, timeout, worker_class="simple"):
    """Send a survey to `members` generated members through `workers` RQ workers of `worker_class`
    ("simple": jobs in the worker's process; "fork": a work horse forked per job); print and
    return the Figures. Deletes what it made, whatever happens."""
    sink = CountingSink()
    sink.start()
    os.environ.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port)})
    app = create_app()
    if app.extensions["redis"] is None:
        sink.stop()
        sys.exit(f"{sys.argv[0]}: Redis does not answer at REDIS_URL; the workers need it.")
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
            cpu_before = os.times()
            started = start_workers(workers, dict(os.environ), worker_class)
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
            load = os.getloadavg()[0]
            stop_processes(started)
            started = []
            cpu_after = os.times()  # the workers and their horses, waited for
            figures = Figures(
                members=members, workers=workers, worker_class=worker_class, invited=progress.invited,
                emailed=progress.emailed, delivered=sink.count, connections=sink.connections,
                invite_seconds=(done_at or time.monotonic()) - begun, email_seconds=finished - begun,
                worker_cpu=(cpu_after.children_user - cpu_before.children_user
                            + cpu_after.children_system - cpu_before.children_system),
                complete=progress.invited == members and sink.count == members and dispatch.status == "done",
                load=load)
            report(figures, app.config["SURVEY_BATCH_SIZE"], timeout)
            return figures
        finally:
            stop_processes(started)
            clean_up(tier_id, survey_id)
            sink.stop()


def report(f, batch_size, timeout):
    print(f"workers: {f.workers} ({f.worker_class}), batch size: {batch_size}, "
          f"load average {f.load:.1f} on {os.cpu_count()} cores")
    print(f"invitations: {f.invited} (emails stored: {f.emailed}) in {f.invite_seconds:.1f} s: "
          f"{f.invited / f.invite_seconds:.0f} invitations per second")
    print(f"emails: {f.delivered} received over {f.connections} SMTP connections in {f.email_seconds:.1f} s: "
          f"{f.emails_per_second:.0f} emails per second")
    print(f"worker CPU: {f.worker_cpu:.1f} s, {f.cpu_ms_per_email:.2f} ms per email "
          f"(the workers alone could send {f.delivered / max(f.worker_cpu, 0.001) * f.workers:.0f} per second on "
          f"{f.workers} free cores)")
    print("complete" if f.complete else f"INCOMPLETE after {timeout} s", flush=True)


def arguments(description, members, classes=("simple", "fork")):
    """The command line that bench/dispatch.py and bench/jobs.py share, with `members` by default."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--members", type=int, default=members)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=classes, default="simple",
                        help="simple: jobs run in the worker's process (the portal's choice); fork: a work "
                             "horse forked per job (rq's default Worker)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds to wait for every email")
    return parser


def main(argv=None):
    args = arguments(__doc__.splitlines()[0], members=2000).parse_args(argv)
    return 0 if measure(args.members, args.workers, args.timeout, args.worker_class).complete else 1


if __name__ == "__main__":
    sys.exit(main())
