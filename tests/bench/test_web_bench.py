"""bench/web.py's tiny run end to end (gunicorn, logins over HTTP, wrk), and gunicorn.conf.py's
preload_app being safe: the app built in the master holds no database connection, and the workers
drop any the master's pool would hold."""

import os
import runpy
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import redis
from sqlalchemy import text

from bench.web import PAGES
from portal import create_app
from portal.extensions import db
from tests import services
from tests.helpers import test_settings

ROOT = Path(__file__).resolve().parents[2]


def test_tiny_run_writes_a_row_for_every_page(tmp_path):
    if shutil.which("wrk") is None:
        services.unavailable("wrk (make bench-tools installs it)")
    try:
        redis.Redis.from_url(services.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        services.unavailable("Redis at " + services.REDIS_URL)
    made = services.create_postgres_database()
    if made is None:
        services.unavailable("PostgreSQL at " + services.POSTGRES_URL)
    url, drop = made
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bench.web", "--tiny", "--duration", "1s", "--database-url", url,
             "--redis-url", services.REDIS_URL, "--out", str(tmp_path)],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=240,
        )
    finally:
        drop()
    assert result.returncode == 0, result.stderr[-4000:]
    [written] = tmp_path.glob("web-*.md")
    report = written.read_text()
    assert report.strip() in result.stdout  # printed as written
    rows = {line.split("|")[1].strip(): line for line in report.splitlines() if line.startswith("| ")}
    assert "Hello (bare Flask)" in rows
    for page in PAGES:
        row = rows[page.title]
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        assert cells[1] == "1"  # connections
        assert float(cells[2]) > 0, row  # requests/s
        assert cells[3].endswith("%"), row
        assert "non-200" not in cells[8], row  # every request answered 200
    for line in ("- machine: 2 cores" if os.cpu_count() == 2 else "- machine: ", "- git commit: ", "- data set: "):
        assert line in report


def test_create_app_opens_no_database_connection(database_url, tmp_path):
    """With preload_app the master builds the app before forking: no connection may be open then,
    and no thread started (a fork keeps only the thread that forked)."""
    before = set(threading.enumerate())
    app = create_app(test_settings(database_url, tmp_path))
    assert not set(threading.enumerate()) - before  # threads that ended meanwhile do not count
    with app.app_context():
        pool = db.engine.pool
        assert pool.checkedin() == 0 and pool.checkedout() == 0
        db.engine.dispose()


def test_post_fork_drops_the_masters_connections(database_url, tmp_path):
    app = create_app(test_settings(database_url, tmp_path))
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.remove()  # back to the pool, as a master that had used it would leave it
        assert db.engine.pool.checkedin() == 1

    class Gunicorn:
        callable = app

    class Server:
        app = Gunicorn

    post_fork = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_fork"]
    post_fork(Server, worker=None)
    with app.app_context():
        assert db.engine.pool.checkedin() == 0  # the worker opens its own
        db.engine.dispose()
    post_fork(type("Server", (), {"app": type("Hello", (), {"callable": object()})}), worker=None)  # no database


def test_each_worker_listens_on_its_own_socket(tmp_path):
    """gunicorn.conf.py's reuse_port: every worker has a listening socket of its own (SO_REUSEPORT),
    so the kernel spreads new connections over the workers; with one shared socket, one worker
    could accept all of a client's keep-alive connections and leave the other core idle."""
    from bench.web import free_port, wait_until_up

    if shutil.which("ss") is None:
        services.unavailable("ss (Debian's iproute2)")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), WEB_CONCURRENCY="2", GUNICORN_BIND=f"127.0.0.1:{port}")
    env.pop("GUNICORN_REUSE_PORT", None)
    with open(tmp_path / "gunicorn.log", "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bench.hello:app"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/", process)
            listening = subprocess.run(["ss", "-tlnH", f"( sport = :{port} )"], capture_output=True, text=True,
                                       check=True).stdout.splitlines()
        finally:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=30)
    assert len(listening) == 2, (listening, (tmp_path / "gunicorn.log").read_text()[-2000:])

