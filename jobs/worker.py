"""The RQ worker, run inside the portal's app context: `python -m jobs.worker`.

The worker runs its jobs in its own process (rq's SimpleWorker), not in a work horse forked for
each job (rq's default Worker). Measured with bench/dispatch.py (20,000 members, two workers,
PostgreSQL, this 2-core machine, 2026-12-02): forking, 215 emails/s delivered and 7.6 ms of worker
CPU per email; not forking, 313 emails/s and 4.9 ms. Again with bench/jobs.py --worker-class both
(100,000 members, 2026-12-03, the machine loaded by other runs: load average 8–11): forking, 122
emails/s and 3.30 ms of worker CPU per email; not forking, 187 emails/s and 2.36 ms (forking costs
40 % more CPU per email; bench/results/jobs-2026-12-03.md). A forked horse starts cold for every job
(a new database connection, SQL statements compiled again, translations loaded again) and the
portal's jobs are many and short. What forking would give, this process keeps by other means:
each job runs in a fresh app context (its own database session, removed at the end), a job that
runs too long is stopped by its timeout (SIGALRM, as in a horse), and a worker that dies takes
only its current job with it (the sweeps run it again).
"""

import argparse
import contextlib

from flask import current_app, has_app_context
from rq import SimpleWorker, Worker

# --worker-class: "simple" is the portal's choice (see above); "fork" is there to measure the other
# (bench/jobs.py --worker-class fork).
WORKER_CLASSES = {"simple": SimpleWorker, "fork": Worker}

_app = None


def get_app():
    """The app for this worker process, made once."""
    global _app
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app


@contextlib.contextmanager
def app_context():
    """Run a job inside an app context: the caller's when there is one, else the worker's own."""
    if has_app_context():
        yield current_app
        return
    app = get_app()
    with app.app_context():
        yield app


def warm_up(app):
    """Do before the first job what every job needs: the mappers configured, the email templates
    compiled (so the first jobs are not the slow ones)."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    with app.app_context():
        for name in app.jinja_env.list_templates(filter_func=lambda name: name.startswith("mail/")):
            app.jinja_env.get_template(name)


def main(argv=None):
    """Work the portal's queues until stopped (with `--burst`, until they are empty)."""
    from jobs.queues import QUEUE_NAMES

    parser = argparse.ArgumentParser(prog="python -m jobs.worker")
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    parser.add_argument("--worker-class", choices=WORKER_CLASSES, default="simple",
                        help="simple: jobs run in this process; fork: a work horse forked per job")
    args = parser.parse_args(argv)
    app = get_app()
    connection = app.extensions["redis"]
    if connection is None:
        parser.exit(1, "jobs.worker: Redis does not answer at REDIS_URL; nothing to work on.\n")
    warm_up(app)
    worker = WORKER_CLASSES[args.worker_class](QUEUE_NAMES, connection=connection)
    worker.work(burst=args.burst, with_scheduler=True)


if __name__ == "__main__":
    main()
