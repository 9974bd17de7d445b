#!/usr/bin/env bash
# `make bench`: every benchmark of docs/performance.md, end to end, on this machine's PostgreSQL and
# Redis; the results go to bench/results/. About 30 minutes on 2 cores; nothing else should run.
#   BENCH_SCALE=0.1 make bench      a tenth of the data set (10,000 members), for a quicker look
set -euo pipefail
BIN=.venv/bin
SERVER=${BENCH_POSTGRES:-postgresql+psycopg://postgres@127.0.0.1:5432}
REDIS=${BENCH_REDIS:-redis://127.0.0.1:6379}
SCALE=${BENCH_SCALE:-1}
SEEDED=$SERVER/portal_bench
TODAY=$(date -u +%F)  # the data set's "today": its open survey and upcoming events are current
MEMBERS=$($BIN/python -c "print(max(100, round(100000 * $SCALE)))")

step() { echo; echo "== $(date -u +%H:%M:%S) $*"; }

step "Data set: bench/seed.py --scale $SCALE --today $TODAY into portal_bench"
$BIN/python bench/databases.py drop "$SEEDED"
$BIN/python bench/seed.py --database-url "$SEEDED" --scale "$SCALE" --today "$TODAY" --create

step "Web: bench/web.py on a copy (logins write)"
$BIN/python bench/databases.py copy "$SEEDED" "$SERVER/portal_bench_web"
$BIN/python -m bench.web --database-url "$SERVER/portal_bench_web" --redis-url "$REDIS/10"

step "Staff member search: bench/search.py ($MEMBERS members of its own)"
$BIN/python bench/search.py --database-url "$SERVER/portal_bench_search" --members "$MEMBERS" \
  | tee "bench/results/search-$TODAY.txt"

step "Jobs: bench/jobs.py, a survey to $MEMBERS members through two RQ workers (the portal's worker)"
$BIN/python bench/databases.py migrated "$SERVER/portal_bench_jobs"  # it makes its own members
export DATABASE_URL="$SERVER/portal_bench_jobs" REDIS_URL="$REDIS/11"
$BIN/python bench/jobs.py --members "$MEMBERS" --worker-class simple --write
step "Jobs: forking a work horse per job or not, compared on a fifth of the members"
$BIN/python bench/jobs.py --members "$((MEMBERS / 5))" --worker-class both --write
unset DATABASE_URL REDIS_URL

step "Scale-out: two gunicorn instances behind nginx, two workers, rq cron; the web bench through it"
$BIN/python bench/databases.py copy "$SEEDED" "$SERVER/portal_bench_scaleout"
$BIN/python bench/scaleout.py --database-url "$SERVER/portal_bench_scaleout" --redis-url "$REDIS/12" -- --label scaleout

step "Done: bench/results/"
ls -1 bench/results/
