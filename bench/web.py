"""Web benchmark: the portal's pages against a bare Flask "hello" under the same gunicorn config.

    .venv/bin/python -m bench.web --database-url postgresql://postgres@127.0.0.1/bench_seed_copy
    .venv/bin/python -m bench.web --tiny --out /tmp/results        # a seconds-long run on demo data
    .venv/bin/python -m bench.web --sweep --rounds 2 --database-url …  # gunicorn settings compared

It starts the portal (wsgi:app) and bench/hello.py with gunicorn.conf.py (GUNICORN_BIND set), as in
production as far as http on loopback allows: PORTAL_ENV=production, Redis for the rate limits and
jobs, a random SECRET_KEY, secure cookies left on (this client and wrk send them over http anyway)
and staff two-factor required (the bench enrols its staff user with a TOTP secret it writes into the
bench database, then signs in with codes). It logs members picked at random (seeded) in through the
real login form over HTTP, then loads each page with wrk (bench/cycle.lua cycles through one
session cookie and URL per member) at each connection count, and writes bench/results/web-<date>.md.

Logging in writes (the audit log, a TOTP step), opening a survey link marks it opened, and the
staff enrolment writes the staff user's TOTP secret: point it at a copy of a seeded database
(`createdb -T bench_seed_full bench_web_full`), never at one that others must find unchanged.
Successful logins are not rate limited (only failures are counted, see portal/auth/throttle.py),
so the production limits stay as they are.

`--target URL` measures a server that is already running (e.g. the scale-out behind nginx): give it
the same --database-url and its SECRET_KEY (env SECRET_KEY or --secret-key: survey links are
signed with it), and `--hello-url` for the hello app behind the same front.
"""

import argparse
import datetime
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "cycle.lua"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"
HISTORY_PAGE = 20  # the points page's page size (portal/members/views.py)

# Budgets (issue 11): member pages ≥ 25 % of hello's requests/s; p95 at 10 connections.
MIN_SHARE = 25.0
MEMBER_P95_MS = 50.0
STAFF_P95_MS = 150.0
P95_AT = 10


@dataclass
class Page:
    key: str
    title: str
    staff: bool = False
    hx: bool = False
    pairs: list = field(default_factory=list)  # (cookie, path)


PAGES = [
    Page("home", "Member home"),
    Page("points", "Points"),
    Page("load_more", "Points: Load more (htmx)", hx=True),
    Page("benefits", "Benefits"),
    Page("rewards", "Rewards"),
    Page("events", "Events"),
    Page("event", "An event page"),
    Page("my_tickets", "My tickets"),
    Page("ticket", "A ticket page"),
    Page("survey_link", "A survey link (/s/<token>)"),
    Page("staff_search", "Staff: member search", staff=True),
    Page("staff_member", "Staff: member page", staff=True),
    Page("staff_queue", "Staff: ticket queue", staff=True),
    Page("staff_results", "Staff: survey results", staff=True),
]


def log(message):
    print(f"[bench.web {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the data set -------------------------------------------------------------------------------

@dataclass
class Accounts:
    members: list  # (member id, email)
    password: str
    staff_email: str
    convention: str


def bench_app(database_url, secret_key):
    """The portal in this process, on the bench database: to pick members and sign survey links."""
    from portal import create_app

    return create_app({
        "PORTAL_ENV": "development", "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(database_url),
        "SECRET_KEY": secret_key, "REDIS_URL": None, "STAFF_2FA": "optional",
        "INSTANCE_DIR": tempfile.mkdtemp(prefix="bench-web-instance-"),
    })


def _sqlalchemy_url(url):
    from portal.config import database_url

    return database_url(url)


TINY_SCALE = 0.002  # bench/seed.py's scale for --tiny: 200 members, ~10k ledger entries, in a second


def fill_tiny_database(app):
    """An empty database gets the schema and a small data set: bench/seed.py's at TINY_SCALE (the
    same accounts as the real run's), or the demo data (portal/demo.py) without it."""
    from flask_migrate import upgrade
    from sqlalchemy import func, inspect, select

    from portal.extensions import db
    from portal.members.models import Member

    with app.app_context():
        if "members" not in inspect(db.engine).get_table_names():
            upgrade(directory=str(ROOT / "migrations"))
        if db.session.scalar(select(func.count()).select_from(Member)):
            return
        seed = _seed_module()
        if seed is not None and hasattr(seed, "seed"):
            db.session.remove()
            db.engine.dispose()
            seed.seed(app.config["SQLALCHEMY_DATABASE_URI"], scale=TINY_SCALE, log=lambda *_args: None)
            return
        from portal.demo import seed_demo

        seed_demo()
        db.session.commit()


def _seed_module():
    try:
        from bench import seed
    except ImportError:
        return None
    return seed


def find_accounts(app, password=None):
    """The seed's convention (member{i}@bench.example, staff@bench.example) or the demo's;
    `password` overrides the convention's."""
    from sqlalchemy import select

    from portal.auth.models import StaffUser
    from portal.extensions import db
    from portal.members.models import Member

    with app.app_context():
        usable = (Member.status == "active") & Member.email_verified_at.is_not(None)
        seed = _seed_module()
        if db.session.scalar(select(StaffUser.id).where(StaffUser.email == "staff@bench.example")):
            if seed is None and not password:
                raise SystemExit("The database is bench/seed.py's, but bench.seed (its password) is missing: "
                                 "give --password.")
            rows = db.session.execute(select(Member.id, Member.email).where(
                usable, Member.email.like("member%@bench.example")).order_by(Member.id)).all()
            return Accounts([tuple(r) for r in rows], password or seed.SEED_PASSWORD, "staff@bench.example",
                            "bench.seed")
        from portal.demo import DEMO_PASSWORD

        rows = db.session.execute(select(Member.id, Member.email).where(usable).order_by(Member.id)).all()
        return Accounts([tuple(r) for r in rows], password or DEMO_PASSWORD, "lead@example.com", "portal/demo.py")


def enrol_staff(app, email):
    """Production requires staff two-factor: give the staff user a TOTP secret (on the bench
    database) unless it has one. Returns the secret."""
    import pyotp
    from sqlalchemy import select

    from portal.auth.models import StaffUser
    from portal.extensions import db
    from portal.models import utcnow

    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        if staff is None:
            raise SystemExit(f"No staff user {email} in the database.")
        if not staff.two_factor_enabled:
            staff.totp_secret = pyotp.random_base32()
            staff.totp_enabled_at = utcnow()
            db.session.commit()
        return staff.totp_secret


def data_counts(app):
    from sqlalchemy import text

    from portal.extensions import db

    tables = [("members", "members"), ("ledger entries", "points_entries"), ("events", "events"),
              ("registrations", "registrations"), ("tickets", "tickets"),
              ("ticket messages", "ticket_messages"), ("surveys", "surveys"),
              ("invitations", "survey_invitations")]
    counts = {}
    with app.app_context():
        names = set(db.inspect(db.engine).get_table_names())
        for label, table in tables:
            if table in names:
                counts[label] = db.session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 (fixed names)
    return counts


def plan_urls(app, accounts, sessions, rng):
    """Which members to log in, and each member page's (member id, path) list; staff paths."""
    from sqlalchemy import func, select

    from portal.events.models import Event
    from portal.extensions import db
    from portal.members.models import PointsEntry
    from portal.models import utcnow
    from portal.surveys.models import Invitation, Survey
    from portal.surveys.services import invitation_token
    from portal.tickets.models import Ticket

    member_ids = [m for m, _email in accounts.members]
    if not member_ids:
        raise SystemExit("No active, verified members in the database.")
    chosen = rng.sample(member_ids, min(sessions, len(member_ids)))
    plan = {}
    for key, path in (("home", "/"), ("points", "/points"), ("benefits", "/benefits"),
                      ("rewards", "/rewards"), ("events", "/events"), ("my_tickets", "/tickets")):
        plan[key] = [(m, path) for m in chosen]
    with app.app_context():
        usable = set(member_ids)
        now = utcnow()
        events = db.session.scalars(select(Event.id).where(
            Event.status == "published", Event.ends_at > now).order_by(Event.id)).all()
        if not events:
            events = db.session.scalars(select(Event.id).where(Event.status == "published").order_by(Event.id)).all()
        plan["event"] = [(m, f"/events/{rng.choice(events)}") for m in chosen] if events else []

        # "Load more": members with more than a page of history, the id of the last entry shown.
        busy = db.session.scalars(select(PointsEntry.member_id).group_by(PointsEntry.member_id)
                                  .having(func.count() > HISTORY_PAGE).order_by(PointsEntry.member_id)
                                  .limit(20000)).all()
        busy = [m for m in busy if m in usable]
        picked = _prefer(chosen, busy, sessions, rng)
        plan["load_more"] = []
        for m in picked:
            last = db.session.scalars(select(PointsEntry.id).where(PointsEntry.member_id == m)
                                      .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc())
                                      .offset(HISTORY_PAGE - 1).limit(1)).first()
            plan["load_more"].append((m, f"/points?after={last}"))

        # A ticket page: the member's own (newest) ticket.
        owners = db.session.scalars(select(Ticket.member_id).distinct().order_by(Ticket.member_id).limit(20000)).all()
        picked = _prefer(chosen, [m for m in owners if m in usable], sessions, rng)
        plan["ticket"] = []
        for m in picked:
            number = db.session.scalars(select(Ticket.number).where(Ticket.member_id == m)
                                        .order_by(Ticket.id.desc()).limit(1)).first()
            plan["ticket"].append((m, f"/tickets/{number}"))

        # A survey link from an email: open invitations first (unanswered, unexpired, survey open).
        open_links = db.session.scalars(
            select(Invitation).join(Survey).where(Invitation.answered_at.is_(None), Invitation.expires_at > now,
                                                  Survey.status != "closed").order_by(Invitation.id).limit(20000)).all()
        links = open_links or db.session.scalars(select(Invitation).where(Invitation.answered_at.is_not(None))
                                                 .order_by(Invitation.id).limit(20000)).all()
        plan["survey_kind"] = ("open links (the survey's form)" if open_links else
                               "answered links (the answered page): the data set has no open invitation")
        links = rng.sample(links, min(sessions, len(links)))
        plan["survey_link"] = [(None, "/s/" + invitation_token(i)) for i in links]

        # Staff: a search by a member's surname (or email's start), a member's page, the queue, results.
        from portal.members.models import Member

        sample = rng.sample(member_ids, min(sessions, len(member_ids)))
        names = db.session.execute(select(Member.name, Member.email).where(Member.id.in_(sample))).all()
        queries = [(n.split()[-1] if n and n.split() else e.split("@")[0]) for n, e in names]
        plan["staff_search"] = [("staff", "/admin/members?" + urllib.parse.urlencode({"q": q})) for q in queries]
        plan["staff_member"] = [("staff", f"/admin/members/{m}") for m in sample]
        plan["staff_queue"] = [("staff", "/admin/tickets/")]
        surveys = db.session.scalars(select(Invitation.survey_id).distinct().order_by(Invitation.survey_id)).all()
        plan["staff_results"] = [("staff", f"/admin/surveys/{s}/results") for s in surveys[:sessions]]
    return plan


def _prefer(chosen, eligible, count, rng):
    """Of the `eligible` members, those already chosen first, then others at random, up to `count`."""
    eligible_set = set(eligible)
    picked = [m for m in chosen if m in eligible_set]
    rest = sorted(eligible_set - set(picked))
    if len(picked) < count and rest:
        picked += rng.sample(rest, min(count - len(picked), len(rest)))
    return picked[:count]


# --- HTTP: logging in and checking pages ---------------------------------------------------------

class AnyCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Production's cookies are Secure; on loopback http this client sends them all the same."""

    def return_ok_secure(self, cookie, request):
        return True


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _csrf(html):
    found = CSRF.search(html)
    if not found:
        raise RuntimeError("no csrf_token in the form")
    return found.group(1) or found.group(2)


def log_in(base, email, password, totp_secret=None):
    """The session cookie ("session=…") of a fresh login through the real form (and TOTP step)."""
    jar = http.cookiejar.CookieJar(policy=AnyCookiePolicy())
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(base + "/login", timeout=30).read().decode()
    data = urllib.parse.urlencode({"csrf_token": _csrf(form), "email": email, "password": password}).encode()
    with opener.open(base + "/login", data=data, timeout=60) as response:
        landed, html = response.geturl(), response.read().decode()
    if "/login/two-factor" in landed:
        if not totp_secret:
            raise RuntimeError(f"{email} asks for a second factor and the bench has no secret")
        import pyotp

        totp = pyotp.TOTP(totp_secret)
        while totp.interval - time.time() % totp.interval < 3:  # not a code about to change
            time.sleep(0.5)
        data = urllib.parse.urlencode({"csrf_token": _csrf(html), "code": totp.now()}).encode()
        with opener.open(base + "/login/two-factor", data=data, timeout=60) as response:
            landed = response.geturl()
    if urllib.parse.urlsplit(landed).path.startswith("/login"):
        raise RuntimeError(f"logging in as {email} failed (landed on {landed})")
    cookies = [f"{c.name}={c.value}" for c in jar if c.name == "session"]
    if not cookies:
        raise RuntimeError(f"no session cookie after logging in as {email}")
    return cookies[0]


def fetch_status(base, cookie, path, hx):
    opener = urllib.request.build_opener(NoRedirect())
    headers = {"Cookie": cookie} if cookie else {}
    if hx:
        headers["HX-Request"] = "true"
    try:
        request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 (http to the bench servers)
        with opener.open(request, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_until_up(url, process=None, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (the bench servers)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


# --- servers -----------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_environment(args, secret_key, instance_dir):
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": str(ROOT),
        "PORTAL_ENV": "production",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SMTP_HOST": "127.0.0.1",  # the pages measured send no email; jobs wait in Redis
        "PORTAL_BASE_URL": "https://members.bench.example",
        "PORTAL_INSTANCE_DIR": instance_dir,
    })
    for name in ("PORTAL_SECURE_COOKIES", "PORTAL_STAFF_2FA", "PORTAL_PROXY_HOPS", "GUNICORN_ACCESS_LOG"):
        env.pop(name, None)
    return env


class Servers:
    """The portal and hello under gunicorn.conf.py, each in its own process group (ended by pid)."""

    def __init__(self, args, secret_key, extra_env=None):
        self.args, self.processes = args, []
        self.instance_dir = tempfile.mkdtemp(prefix="bench-web-server-")
        self.env = server_environment(args, secret_key, self.instance_dir)
        self.env.update(extra_env or {})

    def start(self, module, port):
        env = dict(self.env, GUNICORN_BIND=f"127.0.0.1:{port}")
        logfile = open(Path(self.instance_dir) / f"{module.replace(':', '_')}.log", "w")  # noqa: SIM115
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), module],
                                   cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes.append((process, logfile))
        return process

    def stop(self):
        for process, logfile in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)  # the group this script started; quick shutdown
                try:
                    process.wait(timeout=25)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            logfile.close()
        self.processes = []

    def log_tail(self):
        text = []
        for path in Path(self.instance_dir).glob("*.log"):
            text.append(f"--- {path.name}\n" + "\n".join(path.read_text().splitlines()[-30:]))
        return "\n".join(text)


def start_servers(args, secret_key, portal_port, hello_port, extra_env=None):
    servers = Servers(args, secret_key, extra_env)
    try:
        portal = servers.start("wsgi:app", portal_port)
        hello = servers.start("bench.hello:app", hello_port)
        wait_until_up(f"http://127.0.0.1:{portal_port}/healthz", portal)
        wait_until_up(f"http://127.0.0.1:{hello_port}/", hello)
    except Exception:
        log(servers.log_tail())
        servers.stop()
        raise
    return servers


# --- wrk ---------------------------------------------------------------------------------------

def run_wrk(base, pairs, hx, connections, duration, workdir):
    """One wrk run over the (cookie, path) pairs: a dict of its figures."""
    listing = Path(workdir) / f"pairs-{secrets.token_hex(4)}.tsv"
    listing.write_text("".join(f"{cookie or ''}\t{path}\n" for cookie, path in pairs))
    threads = max(1, min(connections, os.cpu_count() or 1, 4))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", duration, "--timeout", "10s",
               "--latency", "-s", str(LUA), base, "--", str(listing)] + (["hx"] if hx else [])
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    listing.unlink()
    for line in reversed(result.stdout.splitlines()):
        if line.startswith("{"):
            figures = json.loads(line)
            figures["rps"] = figures["requests"] / figures["seconds"] if figures["seconds"] else 0.0
            return figures
    raise RuntimeError(f"wrk gave no figures (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")


def wrk_missing():
    return shutil.which("wrk") is None


# --- the report --------------------------------------------------------------------------------

def git_commit():
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def gunicorn_settings(extra_env=None):
    """worker_class, workers and threads as gunicorn.conf.py gives them in this environment."""
    import runpy

    saved = dict(os.environ)
    os.environ.update(extra_env or {})
    try:
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return f"{conf['worker_class']}, {conf['workers']} workers × {conf['threads']} threads"


def ms(microseconds):
    return f"{microseconds / 1000:.1f}"


def budget(page, connections, figures, share):
    """The budget checks that apply to this row: "PASS …"/"FAIL …" strings."""
    checks = []
    if not page.staff:
        checks.append(("PASS" if share >= MIN_SHARE else "FAIL") + f" ≥{MIN_SHARE:.0f} %")
    if connections == P95_AT:
        limit = STAFF_P95_MS if page.staff else MEMBER_P95_MS
        checks.append(("PASS" if figures["p95"] / 1000 <= limit else "FAIL") + f" p95≤{limit:.0f}")
    if figures["non200"] or figures["errors"]["timeout"] or figures["errors"]["connect"]:
        checks.append(f"FAIL {figures['non200']} non-200")
    return "; ".join(checks) or "–"


def report(args, meta, pages, results, hello):
    lines = [f"# Web benchmark, {meta['date']}", ""]
    lines += [f"- {k}: {v}" for k, v in meta.items() if k != "date"]
    lines += ["", f"Budgets: member pages ≥ {MIN_SHARE:.0f} % of hello's requests/s at every connection count; "
              f"p95 ≤ {MEMBER_P95_MS:.0f} ms (member) and ≤ {STAFF_P95_MS:.0f} ms (staff) at {P95_AT} connections.",
              ""]
    lines.append("| Page | Conns | Req/s | % of hello | p50 ms | p95 ms | p99 ms | URLs | Budget |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for connections in args.connection_counts:
        h = hello[connections]
        lines.append(f"| Hello (bare Flask) | {connections} | {h['rps']:.0f} | 100 % | {ms(h['p50'])} | "
                     f"{ms(h['p95'])} | {ms(h['p99'])} | 1 | – |")
        for page in pages:
            f = results[page.key][connections]
            share = 100.0 * f["rps"] / h["rps"] if h["rps"] else 0.0
            lines.append(f"| {page.title} | {connections} | {f['rps']:.1f} | {share:.1f} % | {ms(f['p50'])} | "
                         f"{ms(f['p95'])} | {ms(f['p99'])} | {len(page.pairs)} | "
                         f"{budget(page, connections, f, share)} |")
    failed = sum(line.count("FAIL") for line in lines if line.startswith("| "))
    lines += ["", f"Budget checks failed: {failed}.", ""]
    return "\n".join(lines)


# --- the run -----------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="the (copy of a) seeded database; --tiny makes its own")
    parser.add_argument("--duration", default="10s", help="wrk's duration per page and connection count")
    parser.add_argument("--connections", default="10,50", help="connection counts, comma-separated")
    parser.add_argument("--sessions", type=int, default=50, help="members logged in (one URL list each)")
    parser.add_argument("--seed", type=int, default=11, help="random seed for picking members")
    parser.add_argument("--port", type=int, default=0, help="the portal's port (hello: the next); 0: free ones")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--target", help="benchmark this running portal instead of starting gunicorn")
    parser.add_argument("--hello-url", help="the hello app to compare with (with --target)")
    parser.add_argument("--secret-key", default=os.environ.get("SECRET_KEY"), help="the target's SECRET_KEY")
    parser.add_argument("--password", help="the members' and staff's password (default: the data set's own)")
    parser.add_argument("--sweep", action="store_true",
                        help="compare gunicorn settings on hello and the member home (gunicorn-<date>.md)")
    parser.add_argument("--rounds", type=int, default=1, help="--sweep: rounds over the settings (medians)")
    parser.add_argument("--pages", help="only these page keys, comma-separated (e.g. home,points)")
    parser.add_argument("--out", help="results folder (default bench/results)")
    parser.add_argument("--label", help="written as web-<date>-<label>.md (e.g. scaleout)")
    parser.add_argument("--tiny", action="store_true",
                        help="a few seconds a page at 1 connection, on a small database it makes (a test)")
    parser.add_argument("--keep-database", action="store_true", help="--tiny: keep the database it made")
    args = parser.parse_args(argv)
    if args.tiny:
        if args.duration == "10s":
            args.duration = "2s"
        if args.connections == "10,50":
            args.connections = "1"
        args.sessions = min(args.sessions, 3)
    args.connection_counts = [int(c) for c in args.connections.split(",") if c.strip()]
    if not args.database_url and not args.tiny:
        parser.error("--database-url is required (or --tiny)")
    if args.target and not args.hello_url:
        parser.error("--target needs --hello-url (the hello app under the same front)")
    return args


def tiny_database():
    """A fresh PostgreSQL database for --tiny (bench_web_tiny_<random>): (url, drop)."""
    import sqlalchemy as sa

    admin_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"bench_web_tiny_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return admin.url.set(database=name).render_as_string(hide_password=False), drop


def main(argv=None):
    args = parse_args(argv)
    if wrk_missing():
        raise SystemExit("wrk is not installed: run `make bench-tools` (scripts/ensure-bench-tools.sh).")
    drop = None
    if args.tiny and not args.database_url:
        args.database_url, drop = tiny_database()
    try:
        return run(args)
    finally:
        if drop is not None and not args.keep_database:
            drop()


def run(args):
    rng = random.Random(args.seed)
    secret_key = args.secret_key if args.target else (args.secret_key or secrets.token_urlsafe(48))
    if args.target and not secret_key:
        raise SystemExit("--target needs the server's SECRET_KEY (--secret-key or env SECRET_KEY).")
    app = bench_app(args.database_url, secret_key)
    if args.tiny:
        fill_tiny_database(app)
    accounts = find_accounts(app, args.password)
    totp_secret = enrol_staff(app, accounts.staff_email)
    plan = plan_urls(app, accounts, args.sessions, rng)
    counts = data_counts(app)
    log(f"data: {counts}; accounts: {accounts.convention}, {len(accounts.members)} members")
    from portal.extensions import db

    with app.app_context():
        db.engine.dispose()  # nothing of this process's own held open during the runs

    if args.sweep:
        return sweep(args, plan, accounts, totp_secret, secret_key, rng, counts)
    servers = None
    if args.target:
        base, hello_base = args.target.rstrip("/"), args.hello_url.rstrip("/")
        served = f"already running at {base} (hello: {hello_base})"
    else:
        port = args.port or free_port()
        hello_port = port + 1 if args.port else free_port()
        servers = start_servers(args, secret_key, port, hello_port)
        base, hello_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{hello_port}"
        served = f"gunicorn.conf.py ({gunicorn_settings()}), PORTAL_ENV=production, Redis {args.redis_url}"
    load_before = os.getloadavg()
    try:
        pages, results, hello = measure(args, plan, accounts, totp_secret, base, hello_base, rng)
    except Exception:
        if servers is not None:
            log(servers.log_tail())
        raise
    finally:
        if servers is not None:
            servers.stop()
    load_after = os.getloadavg()
    today = datetime.date.today().isoformat()
    meta = {
        "date": today + (" (tiny run)" if args.tiny else ""),
        "machine": f"{os.cpu_count()} cores; load average (1, 5, 15 min) before "
                   f"{', '.join(f'{x:.2f}' for x in load_before)}, after {', '.join(f'{x:.2f}' for x in load_after)}",
        "git commit": git_commit(),
        "server": served,
        "database": urllib.parse.urlsplit(args.database_url).path.lstrip("/") or args.database_url,
        "data set": ", ".join(f"{v:,} {k}" for k, v in counts.items()),
        "survey links": plan["survey_kind"],
        "load": f"wrk {args.duration} a page and connection count, connections {args.connections}; "
                f"{args.sessions} members' sessions (seed {args.seed}, {accounts.convention})",
    }
    text = report(args, meta, pages, results, hello)
    print(text)
    out = Path(args.out) if args.out else ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    label = args.label or ("tiny" if args.tiny and not args.out else "")
    path = out / (f"web-{today}" + (f"-{label}" if label else "") + ".md")
    path.write_text(text + "\n")
    log(f"written to {path}")
    return 0


def measure(args, plan, accounts, totp_secret, base, hello_base, rng, cookies=None):
    """Log in (unless `cookies` has the sessions already), check every URL, run wrk on each page."""
    only = set(args.pages.split(",")) if args.pages else None
    pages = [p for p in PAGES if only is None or p.key in only]
    emails = dict(accounts.members)
    cookies = {} if cookies is None else cookies
    needed = sorted({m for p in pages for m, _path in plan[p.key] if isinstance(m, int)} - set(cookies))
    started = time.time()
    for member_id in needed:
        cookies[member_id] = log_in(base, emails[member_id], accounts.password)
    if any(p.staff for p in pages) and "staff" not in cookies:
        cookies["staff"] = log_in(base, accounts.staff_email, accounts.password, totp_secret)
    if needed:
        log(f"{len(needed)} logins over HTTP in {time.time() - started:.1f} s")
    for page in pages:
        page.pairs = []
        for who, path in plan[page.key]:
            cookie = cookies.get(who) if who is not None else None
            status = fetch_status(base, cookie, path, page.hx)
            if status == 200:
                page.pairs.append((cookie, path))
            else:
                log(f"{page.key}: {path} answers {status}; left out")
        if not page.pairs:
            raise RuntimeError(f"{page.title}: no URL answers 200 (planned {len(plan[page.key])})")
    workdir = tempfile.mkdtemp(prefix="bench-web-wrk-")
    results = {p.key: {} for p in PAGES}
    hello = {}
    for connections in args.connection_counts:
        hello[connections] = run_wrk(hello_base, [(None, "/")], False, connections, args.duration, workdir)
        log(f"hello @{connections}: {hello[connections]['rps']:.0f} req/s")
        for page in pages:
            figures = run_wrk(base, page.pairs, page.hx, connections, args.duration, workdir)
            results[page.key][connections] = figures
            log(f"{page.key} @{connections}: {figures['rps']:.1f} req/s, p95 {ms(figures['p95'])} ms, "
                f"non-200 {figures['non200']}")
    return pages, results, hello


# --- item 2: gunicorn's worker class, workers and threads -----------------------------------------

SWEEP = [("sync", w, 1) for w in (2, 3, 4, 5)] + [("gthread", w, t) for w in (2, 3, 4, 5) for t in (2, 4, 8)]


def sweep(args, plan, accounts, totp_secret, secret_key, rng, counts):
    """Hello and the member home under each setting of SWEEP (or BENCH_SWEEP, e.g.
    "sync:3:1,gthread:2:4"), `--rounds` times in turn so that a busy machine's drift spreads over
    all of them; the table gives each figure's median over the rounds: gunicorn-<date>.md."""
    import statistics

    args.pages = "home"
    settings = SWEEP
    if os.environ.get("BENCH_SWEEP"):
        settings = [(c, int(w), int(t)) for c, w, t in (x.split(":") for x in os.environ["BENCH_SWEEP"].split(","))]
    cookies = {}
    runs = {}  # (setting, connections) -> [(hello, home, load)]
    port = args.port or free_port()
    for _round in range(args.rounds):
        for setting in settings:
            worker_class, workers, threads = setting
            extra = {"GUNICORN_WORKER_CLASS": worker_class, "WEB_CONCURRENCY": str(workers),
                     "GUNICORN_THREADS": str(threads)}
            servers = start_servers(args, secret_key, port, port + 1, extra)
            load = os.getloadavg()[0]
            try:
                _pages, results, hello = measure(args, plan, accounts, totp_secret, f"http://127.0.0.1:{port}",
                                                 f"http://127.0.0.1:{port + 1}", rng, cookies)
            finally:
                servers.stop()
            for connections in args.connection_counts:
                runs.setdefault((setting, connections), []).append(
                    (hello[connections], results["home"][connections], load))
                h, f = hello[connections], results["home"][connections]
                log(f"{setting} @{connections}: hello {h['rps']:.0f}, home {f['rps']:.1f} req/s "
                    f"p95 {ms(f['p95'])} ms, load {load:.1f}")
    rows = []
    for (setting, connections), measured in runs.items():
        def median(figure, which, measured=measured):
            return statistics.median(m[which][figure] for m in measured)
        hello_rps, home_rps = median("rps", 0), median("rps", 1)
        rows.append(f"| {setting[0]} | {setting[1]} | {setting[2]} | {connections} | {hello_rps:.0f} | "
                    f"{ms(median('p95', 0))} | {home_rps:.1f} | {ms(median('p50', 1))} | {ms(median('p95', 1))} | "
                    f"{ms(median('p99', 1))} | {100 * home_rps / hello_rps:.1f} % | "
                    f"{statistics.median(m[2] for m in measured):.1f} |")
    today = datetime.date.today().isoformat()
    text = "\n".join([
        f"# gunicorn settings, {today}", "",
        f"- machine: {os.cpu_count()} cores; git commit {git_commit()}",
        f"- database: {urllib.parse.urlsplit(args.database_url).path.lstrip('/')} "
        f"({', '.join(f'{v:,} {k}' for k, v in counts.items())})",
        f"- wrk {args.duration} each; member home over {args.sessions} members' sessions; "
        f"medians of {args.rounds} round(s), the settings taken in turn in each round", "",
        "| class | workers | threads | conns | hello req/s | hello p95 ms | home req/s | home p50 ms | "
        "home p95 ms | home p99 ms | home % of hello | load (1 min) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows, ""])
    print(text)
    out = Path(args.out) if args.out else ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"gunicorn-{today}.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
