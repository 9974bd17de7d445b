"""The programme's calendar, the one copy: its time zone, today, day and month bounds, N days ahead.

Times are stored in UTC; a *day* is always a day of the programme's time zone (PORTAL_TIMEZONE,
Asia/Taipei by default), which is what members and staff mean by "today" or "31 Dec". Every
feature asks here rather than converting on its own. Outside an app (the `rq cron` schedule
reads it at import time) the zone comes from the environment, with the same default.
"""

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from portal.models import utcnow

DEFAULT_ZONE = "Asia/Taipei"


def zone_name():
    """The name of the programme's time zone."""
    if has_app_context():
        return current_app.config["DEFAULT_TIMEZONE"]
    return os.environ.get("PORTAL_TIMEZONE") or DEFAULT_ZONE


def programme_zone():
    """The programme's time zone."""
    return ZoneInfo(zone_name())


def local(moment):
    """A stored UTC moment as the programme's local time."""
    return moment.astimezone(programme_zone())


def today(now=None):
    """The programme's date at the UTC moment `now` (default: now)."""
    return local(now or utcnow()).date()


def start_of_day(day):
    """The UTC moment the programme's day `day` begins (None for None)."""
    if day is None:
        return None
    return datetime.combine(day, time(), programme_zone()).astimezone(UTC)


def end_of_day(day):
    """The UTC moment the programme's day `day` ends, which is when the next one begins (None for None)."""
    return start_of_day(day + timedelta(days=1)) if day is not None else None


def start_of_month(now=None):
    """The UTC moment the programme's month of `now` began."""
    return start_of_day(today(now).replace(day=1))


def day_of(moment, last=False):
    """The programme's day of a stored moment; `last`: the day that *ends* at that moment (an
    exclusive end such as `available_until` belongs to the day before it)."""
    if moment is None:
        return None
    if last:
        moment = moment - timedelta(microseconds=1)
    return local(moment).date()


def days_ahead(days, now=None):
    """The programme's date `days` days after today (negative: before)."""
    return today(now) + timedelta(days=days)


def daily_at_utc(hour, minute=0, on=None):
    """(minute, hour) in UTC of hour:minute in the programme's zone on the day `on` (default today)."""
    day = on or date.today()
    moment = datetime.combine(day, time(hour, minute), programme_zone()).astimezone(UTC)
    return moment.minute, moment.hour
