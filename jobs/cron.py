"""The schedule, read by `rq cron jobs/cron.py` (REDIS_URL tells it where Redis is)."""

from rq import cron

from jobs.mail import sweep_outbox

cron.register(sweep_outbox, "mail", interval=300, name="sweep-outbox")
