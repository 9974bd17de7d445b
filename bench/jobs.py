"""The jobs benchmark: a survey to N members (100,000 by default) through two RQ workers to a local
SMTP sink, against the budget of 5 minutes for 100,000 emails.

    .venv/bin/python bench/jobs.py                            # 100,000 members, the portal's workers
    .venv/bin/python bench/jobs.py --worker-class both --members 20000 --write

It is bench/dispatch.py's run (the same members, survey, workers, sink and clean-up; see there)
with the budget and the worker class on top: `--worker-class simple` runs jobs in the worker's own
process (rq's SimpleWorker: what `python -m jobs.worker` does), `fork` forks a work horse per job
(rq's default Worker), `both` runs one after the other and compares them. Prints the emails per
second, the total time and the workers' CPU per email; `--write` adds the figures to
bench/results/jobs-<date>.md. Uses DATABASE_URL and REDIS_URL (Redis must answer). A tiny run is
in tests/jobs/test_bench_jobs.py so that it never rots.

Why SimpleWorker (jobs/worker.py): the portal's jobs are many and short (a batch of 500 survey
emails is one job; a password reset is one), and a forked horse starts cold for each (a new
database connection, SQL compiled again, translations loaded again), so forking costs CPU per job
on top of the job itself: see the figures this prints with `--worker-class both`.
"""

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dispatch import arguments, measure  # noqa: E402

BUDGET_MEMBERS, BUDGET_SECONDS = 100_000, 300
WORKER_CLASSES = {"simple": "SimpleWorker: jobs run in the worker's own process",
                  "fork": "Worker: a work horse forked for each job"}


def verdict(figures):
    """The budget: 100,000 emails in 5 minutes; a smaller run is judged at its own rate."""
    seconds = figures.email_seconds * BUDGET_MEMBERS / figures.members
    measured = "measured" if figures.members >= BUDGET_MEMBERS else "at this rate"
    within = "within" if seconds <= BUDGET_SECONDS else f"OVER by {seconds - BUDGET_SECONDS:.0f} s"
    return (f"budget: {BUDGET_MEMBERS:,} emails in {BUDGET_SECONDS} s; {measured}: {seconds:.0f} s for "
            f"{BUDGET_MEMBERS:,} ({within})")


def compare(by_class):
    """One line per worker class, and what forking costs per email."""
    lines = ["| worker class | emails | total | emails/s | worker CPU per email | load average |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, f in by_class.items():
        lines.append(f"| {name} ({WORKER_CLASSES[name].split(':')[0]}) | {f.delivered:,} | {f.email_seconds:.1f} s | "
                     f"{f.emails_per_second:.0f} | {f.cpu_ms_per_email:.2f} ms | {f.load:.1f} |")
    if len(by_class) == 2:
        simple, fork = by_class["simple"], by_class["fork"]
        lines.append(f"\nForking per job: {fork.cpu_ms_per_email - simple.cpu_ms_per_email:+.2f} ms of worker CPU per "
                     f"email, {fork.emails_per_second / simple.emails_per_second:.0%} of SimpleWorker's rate.")
    return "\n".join(lines)


def write_results(by_class, args):
    path = ROOT / "bench" / "results" / f"jobs-{datetime.now(UTC):%Y-%m-%d}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a") as out:
        if new:
            out.write("# Jobs benchmark (bench/jobs.py)\n\n")
        out.write(f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {args.members:,} members, {args.workers} workers, "
                  f"{platform.node()} ({platform.machine()}, {os.cpu_count()} cores)\n\n")
        out.write(compare(by_class) + "\n\n")
        for f in by_class.values():
            out.write(f"- {f.worker_class}: {verdict(f)}\n")
        out.write("\n")
    print(f"written: {path.relative_to(ROOT)}")


def main(argv=None):
    # `both`, this script's own: each class in turn, then the two compared
    parser = arguments(__doc__.split("\n\n")[0], members=BUDGET_MEMBERS, classes=(*WORKER_CLASSES, "both"))
    parser.add_argument("--write", action="store_true", help="add the figures to bench/results/jobs-<date>.md")
    args = parser.parse_args(argv)
    classes = list(WORKER_CLASSES)[::-1] if args.worker_class == "both" else [args.worker_class]
    by_class = {}
    for name in classes:
        print(f"\n== worker class: {name} ({WORKER_CLASSES[name]})", flush=True)
        figures = measure(args.members, args.workers, args.timeout, name)
        print(f"total: {figures.delivered:,} emails in {figures.email_seconds:.1f} s, "
              f"{figures.emails_per_second:.0f} emails per second")
        print(verdict(figures), flush=True)
        by_class[name] = figures
    print("\n" + compare(by_class))
    if args.write:
        write_results(by_class, args)
    return 0 if all(f.complete for f in by_class.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
