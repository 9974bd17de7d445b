#!/usr/bin/env bash
# `make run` (and `make dev`): migrate, add demo data to an empty database, start the worker and
# cron when Redis answers, then serve the portal on http://127.0.0.1:${PORT:-5000}: through gunicorn
# with gunicorn.conf.py, as production does, or with `dev` as the first argument through Flask's
# reloading debug server.
set -euo pipefail
MODE=${1:-run}
BIN=.venv/bin
export PORT=${PORT:-5000}  # the web app, the worker and cron all build email links on it
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

$BIN/flask db upgrade
if $BIN/flask db-empty 2>/dev/null; then
  echo "Empty database: adding the demo accounts (see README)."
  $BIN/flask seed-demo
fi

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if $BIN/python -c "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL'], socket_connect_timeout=2).ping()" 2>/dev/null; then
  echo "Redis answers at $REDIS_URL: starting an RQ worker and rq cron."
  $BIN/python -m jobs.worker & pids+=($!)
  $BIN/rq cron jobs/cron.py --url "$REDIS_URL" & pids+=($!)
else
  echo "Redis does not answer at $REDIS_URL: jobs (emails) run inline in the web process."
  unset REDIS_URL
  # The rate limits then count in each process's memory: with one gunicorn worker (threads serve
  # requests side by side) they count every request, as Redis would across workers.
  export WEB_CONCURRENCY=${WEB_CONCURRENCY:-1}
fi
if [ -z "${SMTP_HOST:-}" ]; then
  echo "No SMTP_HOST: emails stay in the outbox (read them at /admin/outbox); their links are printed here."
fi
echo "Serving the portal on http://127.0.0.1:$PORT"
if [ "$MODE" = dev ]; then
  $BIN/flask run --debug --host 127.0.0.1 --port "$PORT"
else
  # Not exec: the trap above stops the worker and cron when gunicorn ends.
  GUNICORN_BIND=127.0.0.1:$PORT $BIN/gunicorn -c gunicorn.conf.py wsgi:app
fi
