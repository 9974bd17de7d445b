"""gunicorn's settings for the portal: `make run` and production serve with these.

    .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app

The environment may override: PORT (or GUNICORN_BIND), WEB_CONCURRENCY (workers), GUNICORN_THREADS,
GUNICORN_WORKER_CLASS (bench/web.py --sweep compares them).
(First version: the choice of worker class, workers and threads is measured in bench/web.py and
explained here once measured.)
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
