"""Survey jobs: send a dispatch (invitations, then their emails in batches); the one reminder, and
running again a dispatch whose job was lost."""

from jobs.runs import in_batches, moment
from jobs.worker import app_context
from portal.extensions import db
from portal.surveys import dispatch, services


def run_dispatch(dispatch_id):
    """Invite the dispatch's audience, a batch per commit, and give their emails to batch jobs; safe to run again."""
    with app_context():
        return dispatch.run_dispatch(dispatch_id)


def email_dispatch_batch(dispatch_id, invitation_ids):
    """Store the emails of a batch of the dispatch's invitations in one commit and send them over one
    connection (a job of their own); safe to run again."""
    with app_context():
        return dispatch.email_batch(dispatch_id, invitation_ids)


def send_survey_reminders(at=None):
    """The one reminder to each invitation that waited its survey's reminder days unanswered (never
    after expiry, never to members who turned survey emails off); also run again any dispatch
    that stopped making progress."""
    with app_context():
        now = moment(at)
        ids = services.reminders_due(now)
        sent = in_batches("survey-reminders", ids, lambda batch: services.send_reminders(batch, now))
        resumed = dispatch.resume_stale(now)
        db.session.commit()
        return {"reminders": len(sent), "dispatches": len(resumed)}
