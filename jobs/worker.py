"""The RQ worker, run inside the portal's app context: `python -m jobs.worker`."""

import contextlib
import sys

from flask import current_app, has_app_context
from rq import Worker

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
    """Do once in the worker what every job would do again: RQ forks a work horse per job from this
    process, and a horse inherits what is ready here (the mappers configured, the email templates
    compiled) instead of redoing it for each job."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    with app.app_context():
        for name in app.jinja_env.list_templates(filter_func=lambda name: name.startswith("mail/")):
            app.jinja_env.get_template(name)


def main(argv=None):
    """Work the portal's queues until stopped (with `--burst`, until they are empty)."""
    from jobs.queues import QUEUE_NAMES

    argv = sys.argv[1:] if argv is None else argv
    app = get_app()
    connection = app.extensions["redis"]
    if connection is None:
        sys.exit("jobs.worker: Redis does not answer at REDIS_URL; nothing to work on.")
    warm_up(app)
    worker = Worker(QUEUE_NAMES, connection=connection)
    worker.work(burst="--burst" in argv, with_scheduler=True)


if __name__ == "__main__":
    main()
