"""Background jobs: queues, job functions, the worker and the cron schedule."""
