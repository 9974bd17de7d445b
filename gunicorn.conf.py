"""gunicorn's settings for the portal: `make run` and production serve with these.

    .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app

The environment may override: PORT (or GUNICORN_BIND), WEB_CONCURRENCY (workers), GUNICORN_THREADS.
(First version: the choice of worker class, workers and threads is measured in bench/web.py and
explained here once measured.)
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = True
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
