"""Points jobs: expire what is due (daily), tell members 30 days before their points expire (daily)."""

from jobs.runs import in_batches, moment
from jobs.worker import app_context
from portal.care import points


def expire_points(at=None):
    """Expire the due points of every active member, a batch of members per commit."""
    with app_context():
        now = moment(at)
        ids = points.members_with_due_points(now)
        written = in_batches("expire-points", ids, lambda batch: points.expire_points(now, member_ids=batch))
        return {"members": len(ids), "expiry_entries": len(written)}


def send_expiry_notices(at=None):
    """Email each active member the points that expire in the next 30 days, once per expiry day."""
    with app_context():
        now = moment(at)
        ids = points.members_with_points_expiring(now)
        made = in_batches("expiry-notices", ids, lambda batch: points.send_expiry_notices(now, member_ids=batch))
        return {"members": len(ids), "notices": len(made)}
