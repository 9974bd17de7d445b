"""Jobs on a real Redis, run by a real `python -m jobs.worker --burst`, against committed data.

A worker is another process, so it cannot see a test's rolled-back transaction: these tests
commit, and `jobs_app` deletes what they made afterwards.
"""

import os
import subprocess
import sys

import pytest
from redis import Redis
from redis.exceptions import RedisError

from portal import create_app
from portal.extensions import db, limiter
from tests import services
from tests.helpers import FAST_HASH, ROOT, delete_committed_rows, test_settings

WORKER_TIMEOUT = 60
# Settings the worker must not inherit from whoever runs the tests.
INHERITED = ("PORTAL_", "SMTP_")
OWN = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}


@pytest.fixture
def redis_url():
    """The test Redis (db 13), emptied before and after the test."""
    client = Redis.from_url(services.REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except RedisError:
        client.close()
        services.unavailable(f"Redis at {services.REDIS_URL}")
    client.flushdb()
    yield services.REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def redis(redis_url):
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def smtp_port(smtp_server):
    return smtp_server[0]


@pytest.fixture
def make_app(tmp_path):
    """create_app(test_settings(...)) for one test, but the settings named in `from_environment`
    come from the environment; the shared limiter is left as it was found.

    Flask-Limiter keeps its storage on the one `limiter` object, so each create_app() rebinds it;
    without the restore, every later test would count logins in this test's Redis.
    """
    saved = dict(vars(limiter))  # storage, fallback state (`_storage_dead`, …), limits
    made = []

    def make(database_url="sqlite://", from_environment=(), **extra):
        settings = test_settings(database_url, tmp_path / "instance", **extra)
        for name in from_environment:
            del settings[name]
        app = create_app(settings)
        made.append(app)
        return app

    yield make
    vars(limiter).clear()
    vars(limiter).update(saved)
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def jobs_app(database_url, migrated_app, redis_url, smtp_port, make_app):
    """An app on the run's database (the migrations built it) that enqueues on the test Redis.

    The test runs inside its app context; rows it commits are deleted afterwards (the tiers
    and benefits that the migration made are kept).
    """
    app = make_app(database_url, REDIS_URL=redis_url, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port,
                   MAIL_RETRY_INTERVALS=[0, 0])
    with app.app_context():
        try:
            yield app
        finally:
            delete_committed_rows()


@pytest.fixture
def run_worker(tmp_path):
    """Run `python -m jobs.worker --burst` for `app`'s database, Redis and SMTP; return its output.

    With `workers=2` two of them work the queues at the same time. Afterwards the test's session
    starts a new transaction (SQLite would otherwise keep showing the snapshot of the one it had
    open), so the test reads what the workers committed.
    """
    instance = tmp_path / "worker-instance"
    instance.mkdir()

    def run(app, workers=1):
        config = app.config
        env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED) and k not in OWN}
        env.update({
            "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": config["REDIS_URL"],
            "SMTP_HOST": config["SMTP_HOST"],
            "SMTP_PORT": str(config["SMTP_PORT"]),
            "SECRET_KEY": config["SECRET_KEY"],
            "PORTAL_INSTANCE_DIR": str(instance),
            "PORTAL_MAIL_RETRY_INTERVALS": ",".join(str(s) for s in config["MAIL_RETRY_INTERVALS"]),
            "PORTAL_ARGON2_MEMORY_KIB": str(FAST_HASH["ARGON2_MEMORY_KIB"]),
        })
        # End the test's own transaction first, as a request's ends: on SQLite every transaction
        # holds the write lock from its start (BEGIN IMMEDIATE), and the workers need to write.
        db.session.rollback()
        started = [
            subprocess.Popen([sys.executable, "-m", "jobs.worker", "--burst"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(workers)
        ]
        outputs = []
        try:
            for worker in started:
                output = worker.communicate(timeout=WORKER_TIMEOUT)[0]
                assert worker.returncode == 0, f"the worker exited with {worker.returncode}:\n{output}"
                outputs.append(output)
        finally:
            for worker in started:
                if worker.poll() is None:
                    worker.kill()
                    worker.communicate()
        db.session.rollback()
        return "\n".join(outputs)

    return run
