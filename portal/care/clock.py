"""The programme's calendar: days and months as members see them, in the programme's time zone."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def programme_zone():
    """The programme's time zone (DEFAULT_TIMEZONE)."""
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def programme_today(now):
    """The date of the UTC moment `now` in the programme's time zone."""
    return now.astimezone(programme_zone()).date()


def start_of_day(day):
    """The UTC moment the programme's day `day` begins."""
    return datetime.combine(day, time(), programme_zone()).astimezone(UTC)


def start_of_month(now):
    """The UTC moment the programme's month of `now` began."""
    return start_of_day(programme_today(now).replace(day=1))


def end_of_day(day):
    """The UTC moment the programme's day `day` ends (the next one begins)."""
    return start_of_day(day + timedelta(days=1))
