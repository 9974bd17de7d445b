"""The schedule, read by `rq cron jobs/cron.py` (REDIS_URL tells it where Redis is).

The jobs, their queues and times are listed in jobs/schedule.py (`flask jobs list` shows them);
cron expressions are in UTC.
"""

from rq import cron
from rq.utils import import_attribute

from jobs.schedule import SCHEDULE

for job in SCHEDULE:
    cron.register(import_attribute(job.func), job.queue, interval=job.interval, cron=job.cron,
                  job_timeout=job.timeout, name=job.name)
