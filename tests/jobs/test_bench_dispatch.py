"""bench/dispatch.py, run small so that it never rots: it sends to 20 generated members through
real workers and its own SMTP sink, prints the rates, and leaves nothing behind."""

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


def test_a_tiny_bench_run_sends_everything_and_cleans_up(jobs_app, tmp_path):
    before = (db.session.scalar(select(func.count()).select_from(Member)),
              db.session.scalar(select(func.count()).select_from(Tier)),
              db.session.scalar(select(func.count()).select_from(Survey)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
    env.update({"DATABASE_URL": jobs_app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": jobs_app.config["REDIS_URL"],
                "SECRET_KEY": jobs_app.config["SECRET_KEY"], "PORTAL_INSTANCE_DIR": str(tmp_path),
                "PORTAL_SURVEY_BATCH_SIZE": "8", "PORTAL_ARGON2_MEMORY_KIB": str(FAST_HASH["ARGON2_MEMORY_KIB"])})
    db.session.commit()
    run = subprocess.run([sys.executable, "bench/dispatch.py", "--members", "20", "--workers", "2", "--timeout", "120"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "invitations: 20 " in run.stdout and "emails: 20 received over 3 SMTP connections" in run.stdout
    assert "invitations per second" in run.stdout and "emails per second" in run.stdout and "complete" in run.stdout
    db.session.rollback()
    after = (db.session.scalar(select(func.count()).select_from(Member)),
             db.session.scalar(select(func.count()).select_from(Tier)),
             db.session.scalar(select(func.count()).select_from(Survey)))
    assert after == before  # it cleaned up
