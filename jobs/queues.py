"""The Redis connection, the queues, and enqueue_after_commit()."""

import logging

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.utils import import_attribute
from sqlalchemy import event

from portal.extensions import db

log = logging.getLogger("jobs")
QUEUE_NAMES = ("default", "mail")
PENDING = "portal_pending_jobs"


def redis_connection(url):
    """A Redis client for `url`, or None when the server does not answer."""
    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
    try:
        client.ping()
    except RedisError:
        return None
    return client


def init_jobs(app):
    """Decide between RQ (Redis answers) and inline jobs, and hook commits to enqueueing."""
    url = app.config.get("REDIS_URL")
    connection = redis_connection(url) if url else None
    app.extensions["redis"] = connection
    app.config["JOBS_INLINE"] = connection is None
    if connection is None:
        where = f"Redis at {url} does not answer" if url else "REDIS_URL is not set"
        log.warning("%s: background jobs run inline, in the web process.", where)
    if not getattr(db, "_portal_job_hooks", False):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_soft_rollback", _after_rollback)
        db._portal_job_hooks = True


def get_queue(name="default"):
    """The RQ queue `name` on the app's Redis connection."""
    return Queue(name, connection=current_app.extensions["redis"])


def enqueue_after_commit(func, *args, queue="mail", retry_intervals=None, timeout=None, **kwargs):
    """Enqueue `func` (a dotted path) once the current transaction commits; nothing if it rolls back.
    `timeout`: seconds the job may run on RQ (its default is 180)."""
    pending = db.session.info.setdefault(PENDING, [])
    pending.append((func, args, kwargs, queue, retry_intervals, timeout))


def _after_rollback(session, previous_transaction):
    if previous_transaction.parent is None or not previous_transaction.nested:
        session.info.pop(PENDING, None)


def _after_commit(session):
    if session.in_nested_transaction():  # a SAVEPOINT released (SQLAlchemy says "commit"): not the commit yet
        return
    pending = session.info.pop(PENDING, [])
    for func, args, kwargs, queue, intervals, timeout in pending:
        run_or_enqueue(func, args, kwargs, queue, intervals, timeout)


def run_or_enqueue(func, args, kwargs, queue, intervals, timeout=None):
    """Enqueue on RQ with retries, or without Redis run the job now in a fresh app context."""
    app = current_app._get_current_object()
    if app.config["JOBS_INLINE"]:
        job = import_attribute(func)
        with app.app_context():
            try:
                job(*args, **kwargs)
            except Exception:  # an inline job must not break the request that queued it
                log.exception("inline job %s%r failed", func, args)
        return None
    retry = Retry(max=len(intervals), interval=list(intervals)) if intervals else None
    try:
        return get_queue(queue).enqueue(func, *args, retry=retry, job_timeout=timeout, **kwargs)
    except RedisError:
        # The data is committed; the cron sweep enqueues it again when Redis is back.
        log.exception("could not enqueue %s%r", func, args)
        return None
