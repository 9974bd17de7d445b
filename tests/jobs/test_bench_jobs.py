"""bench/dispatch.py and bench/jobs.py, run small so that they never rot: each sends to 20 generated
members through real workers and its own SMTP sink, prints the rates (bench/jobs.py with both
worker classes, and the budget), and leaves nothing behind."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.members.models import Member, Tier
from portal.surveys.models import Survey
from tests.helpers import FAST_HASH, ROOT

pytestmark = pytest.mark.jobs

SENT = "invitations: 20 (emails stored: 20) in", "emails: 20 received over 3 SMTP connections", "complete"


def counts():
    return [db.session.scalar(select(func.count()).select_from(model)) for model in (Member, Tier, Survey)]


@pytest.mark.parametrize(("command", "expected"), [
    (["bench/dispatch.py"], [*SENT, "workers: 2 (simple)", "invitations per second", "emails per second"]),
    (["bench/jobs.py", "--worker-class", "both"],
     [*SENT, "== worker class: fork (Worker: a work horse forked for each job)", "workers: 2 (fork)",
      "== worker class: simple (SimpleWorker", "workers: 2 (simple)", "total: 20 emails in",
      "budget: 100,000 emails in 300 s; at this rate:", "| fork (Worker) | 20 |", "| simple (SimpleWorker) | 20 |",
      "Forking per job:"]),
], ids=["dispatch", "jobs"])
def test_a_tiny_bench_run_sends_everything_and_cleans_up(jobs_app, tmp_path, command, expected):
    before = counts()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
    env.update({"DATABASE_URL": jobs_app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": jobs_app.config["REDIS_URL"],
                "SECRET_KEY": jobs_app.config["SECRET_KEY"], "PORTAL_INSTANCE_DIR": str(tmp_path),
                "PORTAL_SURVEY_BATCH_SIZE": "8", "PORTAL_ARGON2_MEMORY_KIB": str(FAST_HASH["ARGON2_MEMORY_KIB"])})
    db.session.commit()
    run = subprocess.run([sys.executable, *command, "--members", "20", "--workers", "2", "--timeout", "120"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    for line in expected:
        assert line in run.stdout, f"{line!r} not in:\n{run.stdout}"
    assert "INCOMPLETE" not in run.stdout
    db.session.rollback()
    assert counts() == before  # it cleaned up
