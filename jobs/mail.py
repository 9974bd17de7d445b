"""Mail jobs: send one outbox row, or a batch over one connection; sweep rows that a lost worker left behind."""

from rq import get_current_job

from jobs.worker import app_context
from portal.extensions import db
from portal.mail import outbox


def send_outbox_message(message_id):
    """Send outbox row `message_id`; the last failed retry marks it failed."""
    with app_context():
        job = get_current_job()
        final = job is None or not job.retries_left
        try:
            return outbox.send_message(message_id, final_attempt=final)
        finally:
            db.session.commit()


def send_outbox_batch(message_ids):
    """Send the outbox rows `message_ids` over one SMTP connection; the last failed retry marks them failed."""
    with app_context():
        job = get_current_job()
        final = job is None or not job.retries_left
        try:
            return outbox.send_batch(message_ids, final_attempt=final)
        finally:
            db.session.commit()


def sweep_outbox():
    """Re-enqueue outbox rows that are stuck (a worker died, Redis was down when they were made)."""
    with app_context():
        ids = outbox.requeue_stale()
        db.session.commit()
        return ids
