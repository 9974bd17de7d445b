"""How fast staff find a member: the member search over N generated members on PostgreSQL.

    .venv/bin/python bench/search.py --members 100000
    .venv/bin/python bench/search.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/other --members 5000

Makes the database if it is missing (default: bench_queries_x on TEST_POSTGRES_URL's server),
migrates it (0014's trigram indexes included) and fills it with N members written with COPY
(deterministic: seeded; a database that already holds N bench members is reused as it is), then
VACUUMs and ANALYZEs the table. Each of 20 typical searches (name fragments, email fragments, phone numbers, member
numbers) runs --repeat times through portal.members.search.search_members, as the staff page
calls it (the count, then a page of 25 with their tiers); prints p50/p95/max in ms per kind and
overall, and the plan of the count query of one search of each kind. Budget: p95 ≤ 50 ms at
100,000 members. A tiny run is in tests/perf/test_search.py so that it never rots.
"""

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.members import search  # noqa: E402
from portal.members.models import Member, Tier  # noqa: E402

SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DEFAULT_DATABASE = "bench_queries_x"
BUDGET_MS = 50
DOMAIN = "bench.example"  # every bench member's email ends with it: how a rerun finds them

FIRST = ("Mei", "Wei", "Jia", "Yu", "Hui", "Ting", "Hao", "Chen", "Li", "Xin", "Ann", "Tom", "Grace", "Kevin",
         "Ivy", "Jason", "Amy", "Eric", "Joyce", "Ming", "Shu", "Yi", "Zhi", "Pei", "Ruo", "Kai", "Lan", "Fang")
LAST = ("Lin", "Chen", "Wang", "Huang", "Chang", "Lee", "Wu", "Liu", "Tsai", "Yang", "Hsu", "Cheng", "Hsieh",
        "Kuo", "Hung", "Tseng", "Chiu", "Liao", "Lai", "Chou", "Yeh", "Su", "Chuang", "Lu", "Chiang", "Ho", "Kao")
MAILBOXES = ("gmail", "yahoo", "hotmail", "outlook", "icloud", "hinet")


def fake_member(n, rng):
    """(name, email, phone) of bench member n: names repeat as real ones do; emails are unique."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    second = rng.choice(FIRST).lower() if rng.random() < 0.5 else ""
    name = f"{first}{'-' + second if second else ''} {last}"
    email = f"{first.lower()}.{last.lower()}{n}@{rng.choice(MAILBOXES)}.{DOMAIN}"
    phone = None if rng.random() < 0.1 else f"+886 9{rng.randrange(10):d}{rng.randrange(10)} " \
        f"{rng.randrange(1000):03d} {rng.randrange(1000):03d}"
    return name, email, phone


def searches(count, rng):
    """20 typical searches for a set of `count` members: what staff type at the desk."""
    ids = [rng.randrange(1, count + 1) for _ in range(4)]
    samples = [fake_member(n, random.Random(n)) for n in ids]
    name, email, phone = samples[0]
    return [
        ("name", "lin"), ("name", "mei lin"), ("name", "hsieh"), ("name", "grace chou"), ("name", "chuang"),
        ("name", name.split()[0].lower()),
        ("email", email.split("@")[0]), ("email", "kevin.tsai"), ("email", "joyce.ho1"), ("email", "ivy.kuo"),
        ("email", samples[1][1].split("@")[0][:8]),
        ("phone", phone or "0912 345 678"), ("phone", "912 345"), ("phone", "0988-123-456"),
        ("phone", (samples[2][2] or "+886 955 555 555").replace(" ", "")), ("phone", "345678"),
        ("number", f"M{ids[0]:06d}"), ("number", str(ids[1])), ("number", f"m{ids[2]}"), ("number", f"M{ids[3]:06d}"),
    ]


def ensure_database(url):
    url = sa.engine.make_url(url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": url.database}).scalar():
            connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    admin.dispose()


def fill(count, seed):
    """COPY `count` bench members in (after deleting other bench members), unless they are there."""
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Member).where(Member.email.like(f"%.{DOMAIN}")))
    if have == count:
        return False
    db.session.execute(sa.delete(Member).where(Member.email.like(f"%.{DOMAIN}")))
    tiers = db.session.scalars(sa.select(Tier.id).order_by(Tier.rank)).all()
    db.session.commit()
    rng = random.Random(seed)
    buffer = io.StringIO()
    for n in range(1, count + 1):
        name, email, phone = fake_member(n, rng)
        tier = tiers[0] if rng.random() < 0.7 else rng.choice(tiers)
        buffer.write("\t".join((name, email, "x", phone or r"\N", str(tier), "active", "1", "en",
                                "2025-01-01 00:00:00+00", "t", "t", "t", "0")) + "\n")
    raw = db.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor, cursor.copy(
                "COPY members (name, email, password_hash, phone, tier_id, status, session_version, language, "
                "created_at, marketing_emails, survey_emails, event_reminders, points_balance) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()
    return True


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(url, count, repeat, seed=11, out=sys.stdout):
    """Fill, then time the searches; returns {kind: [ms, …], "all": [...]} (also printed)."""
    ensure_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-search-" + "x" * 32, "REDIS_URL": None,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        if fill(count, seed):
            print(f"{count} members written with COPY in {time.perf_counter() - started:.1f} s", file=out)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE members")  # as autovacuum leaves a table that has settled
        terms = searches(count, random.Random(seed))
        for _kind, text in terms:  # warm the caches (the bench measures a running portal)
            search.search_members(text)
        times = {}
        for _ in range(repeat):
            for kind, text in terms:
                db.session.rollback()
                began = time.perf_counter()
                page = search.search_members(text)
                list(page.members)
                elapsed = (time.perf_counter() - began) * 1000
                times.setdefault(kind, []).append(elapsed)
                times.setdefault("all", []).append(elapsed)
        listing = []
        for _ in range(repeat):  # the page staff open first: every member, by name (not one of the 20)
            db.session.rollback()
            began = time.perf_counter()
            list(search.search_members("").members)
            listing.append((time.perf_counter() - began) * 1000)
        print(f"member search over {count} members, {len(terms)} searches × {repeat}:", file=out)
        for kind, values in times.items():
            print(f"  {kind:7} p50 {statistics.median(values):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms   "
                  f"max {max(values):6.1f} ms", file=out)
        print(f"  (the list of every member, first page: p50 {statistics.median(listing):.1f} ms, "
              f"p95 {percentile(listing, 0.95):.1f} ms)", file=out)
        for kind, text in {kind: text for kind, text in terms}.items():
            condition, _number = search._matches(text)
            query = sa.select(sa.func.count(Member.id)).where(condition)
            compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
            plan = db.session.execute(sa.text(f"EXPLAIN {compiled}")).scalars().all()
            print(f"  plan of {kind} {text!r}: " + " | ".join(line.strip() for line in plan if "Scan" in line),
                  file=out)
        db.session.remove()
        db.engine.dispose()
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=sa.engine.make_url(SERVER).set(database=DEFAULT_DATABASE)
                        .render_as_string(hide_password=False))
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10, help="runs of each of the 20 searches")
    args = parser.parse_args(argv)
    times = run(args.database_url, args.members, args.repeat)
    p95 = percentile(times["all"], 0.95)
    print(f"p95 {p95:.1f} ms: {'within' if p95 <= BUDGET_MS else 'OVER'} the {BUDGET_MS} ms budget")
    return times


if __name__ == "__main__":
    main()
