"""Member care jobs: the monthly tier review, birthday greetings and bonuses (daily)."""

from jobs.runs import in_batches, moment
from jobs.worker import app_context
from portal import dates
from portal.care import birthdays, review


def review_tiers(at=None):
    """The monthly tier review: members below their tier's threshold go down one tier, emailed."""
    with app_context():
        now = moment(at)
        ids = review.members_to_review()
        moved = in_batches("tier-review", ids, lambda batch: review.review_tiers(now, member_ids=batch))
        return {"members": len(ids), "moved_down": len(moved)}


def greet_birthdays(at=None):
    """Greet the members whose birthday is today in the programme's time zone, with the tier's bonus."""
    with app_context():
        today = dates.today(moment(at))
        ids = birthdays.members_with_birthday(today)
        greeted = in_batches("birthdays", ids, lambda batch: birthdays.greet_birthdays(today, member_ids=batch))
        return {"day": today.isoformat(), "members": len(ids), "greeted": len(greeted)}
