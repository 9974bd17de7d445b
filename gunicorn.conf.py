"""gunicorn's settings for the portal: `make run` and production serve with these.

    .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app

The environment may override: PORT (or GUNICORN_BIND), WEB_CONCURRENCY (workers), GUNICORN_THREADS,
GUNICORN_WORKER_CLASS (bench/web.py --sweep compares them), GUNICORN_REUSE_PORT=0.

Worker class, workers and threads: gthread, one worker a core, 8 threads each
-----------------------------------------------------------------------------
Measured with `python -m bench.web --sweep --rounds 2` twice (hello and the member home, wrk 5 s
each, 50 members' sessions, PostgreSQL with 100k members: four rounds in all, the settings taken
in turn in each) on this 2-core machine while other work kept its load average at 3–10, so single
figures are noisy (one setting varied up to 4× between rounds): bench/results/gunicorn-2026-12-03-
sweep2.md and -sweep3.md (and -sweep1.md: one round on 10k members, 2–5 workers). The member
home's requests/s, median of the four rounds [lowest–highest]:

    setting            10 connections          50 connections
    sync 2             49.4  [18–119]          52.1  [17–118]
    sync 3             46.9  [22–68]           28.2   [9–58]
    gthread 2 × 4      55.3  [33–90]           41.6  [17–54]
    gthread 3 × 4      44.9  [39–49]           46.0  [41–70]
    gthread 2 × 8      55.7  [45–59]           60.3  [56–64]

gthread 2 × 8 has the best median at both counts and by far the steadiest figures; sync 2 had the
single best round (at the quietest moment, load 3.5) and the worst ones. Its p95 at 10 connections
was 340–750 ms, far from the budget: the pages' own cost (issue 11, item 2) dominates, not this.

- gthread over sync, beyond the figures: a sync worker serves one request at a time, so with one
  worker a core two slow requests (a staff CSV export, survey results over a million
  invitations) stall every member; and a request longer than `timeout` gets its sync worker
  killed, while gthread's heartbeat comes from the worker's main thread. gthread also keeps
  connections alive (sync closes each) and overlaps threads' waits on PostgreSQL and Redis.
- Workers: a page is 15–40 ms of Python holding the GIL, so only processes add CPU: one a core
  uses both cores; more (3–5, see -sweep1.md) bought nothing measurable here and cost ~120 MB
  RSS each (preloaded, partly shared copy-on-write).
- Threads: 8 did best at both connection counts (4 was close at 10). The price: each
  login's argon2id hash takes 46 MiB while it runs, so a burst of logins can take threads × 46 MiB
  in a worker; and up to 8 database connections a worker (SQLAlchemy's pool allows 5 + 10).
The lead re-runs the sweep on a quiet machine (docs/performance.md); the overrides above change it
per deployment without editing this file.

reuse_port: each worker its own listening socket
------------------------------------------------
With one socket shared by the workers, a gthread worker accepts every connection that is waiting
when it wakes: keep-alive clients (wrk's 10 connections, nginx's upstream keep-alive) could all
land on one worker, which then used one core while the other idled. Measured on the member's
benefits page, wrk 10 connections, 4 runs each (2026-12-03, the 100k data set; `ss -tnp` counting
each worker's connections): one shared socket gave connections per worker 6/4, 7/3, 10/0, 7/3 and
356, 362, 160, 326 requests/s (the 10/0 run at half); SO_REUSEPORT with a socket per worker (the
kernel spreads new connections over them) gave 6/4 four times and 351, 343, 360, 345. Most of the
earlier runs' variance between rounds (a setting "varying up to 4x") was this. The price: two
gunicorn instances started by the same user on the same port both take connections instead of
the second failing to start.

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
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") != "0"  # see "reuse_port" above
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG")  # "-" for stdout; off by default (it costs CPU)
errorlog = "-"

# gunicorn ≥ 25 opens a control socket for `gunicornc` at one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): a second instance on the machine (`make run` beside the benchmark, the
# scale-out run's two instances) would take it from the first. Off unless GUNICORN_CONTROL_SOCKET
# names a path for this instance.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True


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
