"""Every scheduled job: its name (for `flask jobs run NAME`), function, queue and when it runs.

`rq cron` reads cron expressions in UTC. The programme's days are in its time zone
(PORTAL_TIMEZONE, the app's DEFAULT_TIMEZONE, Asia/Taipei when unset), so daily jobs are given
in programme time and turned into UTC here with the zone's offset of today (a zone with summer
time needs `rq cron` restarted when the clocks change; Asia/Taipei has none).
"""

from dataclasses import dataclass

from portal import dates

ZONE = dates.zone_name()
MEMBER_WIDE_TIMEOUT = 3600  # seconds: jobs that go through every member take longer than RQ's 180


def daily_at(hour, minute=0):
    """A UTC cron expression for hour:minute every day in the programme's zone."""
    utc_minute, utc_hour = dates.daily_at_utc(hour, minute)
    return f"{utc_minute} {utc_hour} * * *"


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    func: str  # dotted path of the job function
    queue: str
    when: str  # for people: `flask jobs list`
    cron: str | None = None  # UTC
    interval: int | None = None  # seconds
    timeout: int | None = None


SCHEDULE = (
    ScheduledJob("sweep-outbox", "jobs.mail.sweep_outbox", "mail", "every 5 minutes", interval=300),
    ScheduledJob("event-reminders", "jobs.events.send_event_reminders", "default", "every 10 minutes",
                 interval=600, timeout=MEMBER_WIDE_TIMEOUT),
    ScheduledJob("ticket-escalation", "jobs.tickets.escalate_tickets", "default", "every 5 minutes", interval=300),
    ScheduledJob("close-resolved-tickets", "jobs.tickets.close_resolved_tickets", "default",
                 f"daily 03:00 {ZONE}", cron=daily_at(3)),
    ScheduledJob("survey-reminders", "jobs.surveys.send_survey_reminders", "default", "every hour",
                 interval=3600, timeout=MEMBER_WIDE_TIMEOUT),
    ScheduledJob("expire-points", "jobs.points.expire_points", "default",
                 f"daily 01:00 {ZONE}", cron=daily_at(1), timeout=MEMBER_WIDE_TIMEOUT),
    ScheduledJob("expiry-notices", "jobs.points.send_expiry_notices", "default",
                 f"daily 01:10 {ZONE}", cron=daily_at(1, 10), timeout=MEMBER_WIDE_TIMEOUT),
    ScheduledJob("birthdays", "jobs.care.greet_birthdays", "default",
                 f"daily 08:00 {ZONE}", cron=daily_at(8), timeout=MEMBER_WIDE_TIMEOUT),
    # 02:00 UTC on the 1st is the 1st in the programme's zone too (10:00 in Asia/Taipei); the
    # review reads the month of the moment it runs in that zone.
    ScheduledJob("tier-review", "jobs.care.review_tiers", "default",
                 "1st of each month, 02:00 UTC", cron="0 2 1 * *", timeout=MEMBER_WIDE_TIMEOUT),
)
JOBS = {job.name: job for job in SCHEDULE}
