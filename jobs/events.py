"""Event jobs: tell everyone registered of a change or cancellation; the 24-hour reminders."""

from jobs.runs import in_batches, moment
from jobs.worker import app_context
from portal.events import messages


def tell_event_news(event_id=None):
    """Email everyone registered for `event_id` (every event when None) the change or cancellation
    they were not yet told of, once each, a batch per commit."""
    with app_context():
        ids = messages.news_due(event_id)
        told = in_batches("event-news", ids, messages.tell_news)
        return {"registrations": len(ids), "told": len(told)}


def send_event_reminders(at=None):
    """Remind confirmed members of events starting within 24 hours, once each; also catch up any
    change or cancellation news a lost job did not send."""
    with app_context():
        now = moment(at)
        ids = messages.reminders_due(now)
        sent = in_batches("event-reminders", ids, lambda batch: messages.send_reminders(batch, now))
        news = messages.news_due()
        told = in_batches("event-news", news, messages.tell_news)
        return {"reminders": len(sent), "news": len(told)}
