"""gunicorn's settings for the portal: `make run` and production serve with these.

    .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app

The environment may override: PORT (or GUNICORN_BIND), WEB_CONCURRENCY (workers), GUNICORN_THREADS,
GUNICORN_WORKER_CLASS (bench/web.py --sweep compares them).

Worker class, workers and threads: gthread, one worker a core, 8 threads each
-----------------------------------------------------------------------------
Measured with `python -m bench.web --sweep --rounds 2` (hello and the member home, wrk 5 s each,
50 members' sessions, PostgreSQL with 100k members; medians of two rounds taken in turn) on this
2-core machine while other work kept its load average at 6–9, so the figures are noisy (the same
setting varied up to 2× between rounds): bench/results/gunicorn-2026-12-03.md (and -sweep1.md, one
round on 10k members). Requests/s of the member home (hello in brackets) and its p95:

    setting            10 connections              50 connections
    sync 2             26.6 (1311)  p95  503 ms    26.0 (1235)  p95 2404 ms
    sync 3             32.3 (1442)  p95  476 ms    17.5  (937)  p95 3478 ms
    gthread 2 × 4      41.3 (4286)  p95  791 ms    29.2 (4756)  p95 3679 ms
    gthread 3 × 2      25.6 (4108)  p95  747 ms    40.9 (3794)  p95 2167 ms
    gthread 3 × 4      40.7 (3491)  p95  548 ms    55.7 (5131)  p95 2095 ms
    gthread 2 × 8      48.9 (4589)  p95  656 ms    63.6 (5290)  p95 1841 ms

- gthread over sync: sync workers serve one request at a time and close the connection after
  each (no keep-alive), so every request pays a new TCP connection — hello's ceiling is 3× lower
  under sync — and a slow client or query holds a whole process. gthread keeps connections alive
  and lets a worker's threads overlap their waits on PostgreSQL and Redis.
- Workers: a page is 15–40 ms of Python holding the GIL, so only processes add CPU: one a core
  uses both cores; more (3–5, see -sweep1.md) bought nothing measurable here and cost ~120 MB
  RSS each (preloaded, partly shared copy-on-write).
- Threads: 8 did best at both connection counts (4 was within the noise of it). The price: each
  login's argon2id hash takes 46 MiB while it runs, so a burst of logins can take threads × 46 MiB
  in a worker; and up to 8 database connections a worker (SQLAlchemy's pool allows 5 + 10).
The lead re-runs the sweep on a quiet machine (docs/performance.md); the overrides above change it
per deployment without editing this file.

preload_app: safe, and why
--------------------------
The app is built once in the master, then forked: less memory (shared pages), a faster start, and
an app that cannot start fails once in the master instead of in every worker. It is safe because
nothing built before the fork is shared in use afterwards:
- PostgreSQL: create_app() opens no database connection (tests/bench/test_web_bench.py checks
  it), and post_fork() below disposes of the engines' pools in each worker anyway, so a
  connection opened in the master in the future is never shared by two processes.
- Redis (jobs' client, the rate limiter's storage): redis-py's ConnectionPool notes its process id
  and opens new connections in a forked child (its _checkpid), so the ping in create_app is safe.
- No threads are started in create_app (gthread's are started by each worker after the fork).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG")  # "-" for stdout; off by default (it costs CPU)
errorlog = "-"


def post_fork(server, worker):
    """Each worker opens its own database connections: drop any the master's pool holds.

    preload_app builds the app once in the master (create_app opens no database connection, and
    tests/bench/test_web_bench.py checks it); should one be opened there in the future, the
    workers must not share its socket. dispose(close=False) forgets the pool's connections in this
    worker without closing them under the master. Redis clients need nothing: redis-py's pool
    notices the new process id and opens new connections.
    """
    app = getattr(server.app, "callable", None)
    app = getattr(app, "application", app)  # a WSGI middleware in front (e.g. WhiteNoise)
    extensions = getattr(app, "extensions", {})
    if "sqlalchemy" not in extensions:  # bench/hello.py, or anything without the database
        return
    with app.app_context():
        for engine in extensions["sqlalchemy"].engines.values():
            engine.dispose(close=False)
