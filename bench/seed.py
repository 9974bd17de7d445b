"""The benchmark's data set: 100,000 members and their history, loaded into PostgreSQL with COPY.

    .venv/bin/python bench/seed.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_seed_full \
        --create [--scale 1.0] [--seed 42] [--today 2026-12-01]

At scale 1.0: 100,000 members across the four tiers, about 5,000,000 points entries, 2,000 events
with 200,000 registrations, 300,000 tickets with 1–4 messages each, 50 surveys with 1,000,000
invitations (some answered), 20 rewards and the redemptions the ledger made. `--scale` multiplies
every count (0.001: 100 members); at small scales there are more, smaller surveys, so that the
invitations still fit the members.

The database must be migrated and hold no members or staff yet: `--create` creates it and runs the
project's migrations (create_app + flask_migrate.upgrade). The tables are loaded at the same time on
connections of their own, so their foreign keys are dropped for the load and added again (validated)
after it; then sequences are moved past the ids used and the database is vacuumed and analysed.
The indexes stay in place: dropping them and building them after the load (`--drop-indexes`) was
slower here, 427 s against 301 s at scale 1 (46 s against 35 s at 0.1), because generating the rows
in Python is the bottleneck and PostgreSQL keeps the indexes up to date on the other core meanwhile.

Deterministic: the same --seed and --today give the same rows (every random draw comes from
random.Random seeded with the seed and a section name; no wall clock). All dates are relative to
--today (default 2026-12-01, noon in Taipei): the data set is "as of" that moment. Points that
expire after it are left for the daily expiry job, as they would be in a running portal.

Consistent as the app computes it (tests/bench/test_seed.py checks it with the app's own code):
- the ledger is simulated member by member with the rules of portal/members/ledger.py: earnings
  keep `remaining` and expire after POINTS_EXPIRY_MONTHS (24) with an expiry entry (the key the app
  uses, dated at the expiry), spending and reversals take from the earnings that expire first and
  write points_allocations; `points_balance` is the sum of the amounts (ledger.reconcile() finds
  nothing) and the sum of what remains;
- the tier is the one the qualifying points of the 12 months before --today reach (reversed earnings
  do not count), so neither an earning's upgrade nor the monthly review would move anyone;
  tier_changes hold the rises to it ("qualifying_points");
- event registrations follow the events' rules (one per member and event, confirmed up to the
  capacity, a waitlist only behind a full event, cancellations before the cut-off promote the
  queue, check-ins only of confirmed places at past published events, with the attendance points
  in the ledger); survey points and reward redemptions are ledger entries that their rows name;
- tickets go through the status machine of portal/tickets/services.py with the SLA clocks of
  portal/tickets/sla.py (default settings): due times, pauses, running_due_at, breaches noticed
  by a 5-minute escalation job, versions, status history; numbers are T-YYYY-NNNNNN per programme year.
Not modelled: purchases rows (purchase earnings carry their receipt in reason_params), notifications,
outbox, audit entries, birthday greetings, the "How did we do?" invitations of resolved tickets, ticket
pictures; the surveys' dispatches are to "all" with the invited members as their audience; registrations
of tier-restricted events go to members whose spending profile reaches that tier (their tier at the time
is not stored).

Accounts for the web benchmark (bench/web.py):
- members `member{i}@bench.example`, i = 1..N (member i has id i), all active with a verified email;
- staff `staff@bench.example` (admin: holds every role), and `service@`, `operations@`,
  `expansion@bench.example` with one role each;
- every account's password is SEED_PASSWORD, hashed once with the portal's hash_password (the
  argon2 settings of the environment the seed runs in: run it with the bench's settings, or the
  first login of each account rehashes).
Staff have no two-factor sign-in: the bench logs staff in where PORTAL_STAFF_2FA is "optional",
which is the default outside production (PORTAL_ENV=development); under production settings an
unenrolled staff user is sent to enrol before /admin, so the bench runs the app with PORTAL_ENV
unset (or PORTAL_STAFF_2FA=optional), never by weakening the app.

Long histories for the query-budget checks: members 1..10 (member1..member10@bench.example) joined
42 months before --today and have 12,000 activities each at scale ≥ 0.05 (about 13,300 ledger
entries with birthdays, expiries, attendance and survey points), 100 tickets (and the few that
chance gives them besides), 200 event registrations (and a few) and an invitation to every survey
(all scaled down below scale 0.05: 480 activities at 0.002).
"""

import argparse
import hashlib
import json
import math
import random
import sys
import time
from bisect import bisect_left
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal.dates import DEFAULT_ZONE  # noqa: E402
from portal.demo import COMMENTS, GIVEN, SHOPS, STORES, SURNAMES, WISHES  # noqa: E402
from portal.models import add_months  # noqa: E402
from portal.tickets import sla  # noqa: E402

SEED_PASSWORD = "bench-portal-2026"  # noqa: S105 (the bench accounts' password, documented above)
DEFAULT_TODAY = date(2026, 12, 1)
HEAVY_MEMBERS = 10  # member1..member10: the long histories
HISTORY_MONTHS = 42  # the oldest member joined this long before today
EXPIRY_MONTHS = 24  # POINTS_EXPIRY_MONTHS' default
QUALIFYING_MONTHS = 12
AUTO_CLOSE_DAYS = 7  # TICKET_AUTO_CLOSE_DAYS' default
ESCALATION_MINUTES = 5  # how often the breach job runs
BASE = {"members": 100_000, "entries": 5_000_000, "events": 2_000, "registrations": 200_000,
        "tickets": 300_000, "surveys": 50, "invitations": 1_000_000}
HEAVY = {"entries": 12_000, "tickets": 100, "registrations": 200}
EXPIRY_SHARE = 0.02  # expiry entries per activity (1.9 % at scale 1): the activity budget leaves room for them
STAFF = (("Bench Lead", "staff@bench.example", "admin"), ("Bench Service", "service@bench.example", "service"),
         ("Bench Operations", "operations@bench.example", "operations"),
         ("Bench Expansion", "expansion@bench.example", "expansion"))
# Spending profiles: weight, mean points per purchase, the tier rank it tends to reach.
PROFILES = ((0.55, 12, 1), (0.27, 45, 2), (0.13, 170, 3), (0.05, 650, 4))
# Rewards: name, name_zh, points, stock (None: unlimited), minimum tier code. Redemptions use the
# unlimited ones open to every tier (their stock needs no bookkeeping).
REWARDS = (
    ("Coffee for two", "咖啡兩杯", 300, None, None), ("Free delivery for a year", "一年免運費", 500, None, None),
    ("Canvas tote bag", "帆布托特包", 800, None, None), ("Pastry box", "糕點禮盒", 600, None, None),
    ("Movie tickets for two", "電影票兩張", 1500, None, None),
    ("Afternoon tea for two", "雙人下午茶", 2400, None, None),
    ("Tea sampler", "茶葉組合", 1000, None, None), ("Cooking class", "烹飪課", 3500, None, None),
    ("Bluetooth speaker", "藍牙喇叭", 6500, None, None), ("Weekend hotel stay", "週末飯店住宿", 15000, None, None),
    ("Spa afternoon", "水療午後", 3000, 40, "gold"), ("Limited-edition umbrella", "限量雨傘", 1000, 0, None),
    ("Lunar New Year gift box", "新春禮盒", 1200, 100, None), ("Chef's table dinner", "主廚餐桌", 12000, 5, "diamond"),
    ("Reusable cup", "環保杯", 400, None, None), ("Gift card NT$500", "禮物卡 500 元", 2000, None, None),
    ("Gift card NT$1000", "禮物卡 1000 元", 3800, None, None), ("Cinema snack set", "電影零食組", 700, None, None),
    ("Barista workshop", "咖啡師工作坊", 4500, None, None), ("Airport lounge pass", "機場貴賓室", 9000, 20, "gold"),
)
EVENT_THEMES = (("Tea tasting", "品茶會"), ("Home brewing masterclass", "居家手沖大師課"),
                ("Calligraphy workshop", "書法工作坊"), ("Online wine tasting", "線上品酒會"),
                ("Members' dinner", "會員晚宴"), ("Latte art class", "拉花課"),
                ("Cheese and wine evening", "起司品酒夜"),
                ("Flower arranging", "花藝課"), ("Photography walk", "攝影散步"), ("Baking class", "烘焙課"))
VENUES = (("Xinyi flagship", "11 Songren Road, Xinyi District, Taipei"),
          ("Da'an store", "145 Fuxing South Road Section 1, Da'an District, Taipei"),
          ("Taichung store", "88 Taiwan Boulevard Section 3, Xitun District, Taichung"))
ADJUSTMENTS = ("Apology for a delivery that arrived late", "Goodwill for a faulty item",
               "Points missing from a purchase", "Welcome gift from the store manager")
TICKET_TEXTS = {
    "feedback": (("More weekend events, please", "I would love to join your events but they are always on weekdays."),
                 ("Loved the tasting", "The tasting was wonderful, thank you!"),
                 ("A dark mode for the portal", "I check my points at night: a dark mode would help."),
                 ("The app logs me out too often", "I have to log in again every morning.")),
    "complaint": (("I was charged twice", "My card shows two payments for one order."),
                  ("My voucher was refused", "The cashier said my voucher was not valid."),
                  ("The wrong size arrived", "I redeemed a tote bag but got the small one."),
                  ("Points missing", "My last purchase did not earn any points.")),
    "consultation": (("Do my points expire?", "If I move down a tier, do I lose my points?"),
                     ("How do I change my email?", "I have a new email address. Can I change it myself?"),
                     ("Can I bring a friend?", "Can a friend join me at the next event?"),
                     ("Can I move points?", "Can I give my points to my husband's account?")),
}
STAFF_REPLIES = ("Thank you for telling us: we are looking into it.", "Sorry about that! We have fixed it for you.",
                 "Could you send us a photo of the receipt, please?", "Yes: open Profile and follow the steps there.")
MEMBER_REPLIES = ("Thank you, that helps.", "Here is the photo you asked for.", "It still does not work for me.")
NOTES = ("Asked finance to check the payment.", "Checked with the store manager.")
SURVEY_TOPICS = ("Member satisfaction", "Store experience", "Online shop", "Events feedback", "Rewards catalogue",
                 "Delivery", "Mobile app", "Newsletter")

UTC_ZONE = UTC


def scaled(name, scale):
    return max(1, round(BASE[name] * scale))


def heavy_count(name, scale):
    """The long-history members' share of `name`: full from scale 0.05, scaled down below it."""
    return max(1, round(HEAVY[name] * min(1.0, scale * 20)))


def ts(moment):
    return "\\N" if moment is None else moment.isoformat()


def txt(value):
    """A text value for COPY's text format."""
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def num(value):
    return "\\N" if value is None else str(value)


def boolean(value):
    return "t" if value else "f"


def ceil_to(moment, minutes):
    """`moment` rounded up to the next multiple of `minutes` past the hour (the job's runs)."""
    step = minutes * 60
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(-(-seconds // step) * step, UTC)


# --- where rows go: COPY into PostgreSQL, or a digest (tests) --------------------------------------

class CopyTarget:
    """One table's COPY on a connection of its own, fed with lines of COPY's text format."""

    def __init__(self, dsn, table, columns):
        self.table, self.count, self.opened = table, 0, time.perf_counter()
        self.connection = psycopg.connect(dsn)
        self.connection.execute("SET synchronous_commit = off")
        self.cursor = self.connection.cursor()
        self._copy = self.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
        self.copy = self._copy.__enter__()
        self.buffer = []

    def write(self, line):
        self.buffer.append(line)
        if len(self.buffer) >= 4000:
            self.flush()

    def flush(self):
        if self.buffer:
            self.copy.write("\n".join(self.buffer) + "\n")
            self.count += len(self.buffer)
            self.buffer.clear()

    def close(self):
        self.flush()
        self._copy.__exit__(None, None, None)
        self.connection.commit()
        self.connection.close()
        return time.perf_counter() - self.opened


class CopyOutput:
    def __init__(self, dsn):
        self.dsn = dsn

    def table(self, name, columns):
        return CopyTarget(self.dsn, name, columns)


class DigestTarget:
    def __init__(self, output, table):
        self.output, self.table, self.count, self.digest = output, table, 0, hashlib.sha256()

    def write(self, line):
        self.digest.update(line.encode())
        self.digest.update(b"\n")
        self.count += 1

    def close(self):
        self.output.digests[self.table] = self.digest.hexdigest()
        return 0.0


class DigestOutput:
    """Rows are not stored: each table's SHA-256 (`digests`) shows whether two runs made the same rows."""

    def __init__(self):
        self.digests = {}

    def table(self, name, columns):
        return DigestTarget(self, name)


# --- the generator -------------------------------------------------------------------------------

class Generator:
    """Makes every row, section by section, each from a random.Random of its own (seed and section name).

    `context`: what the migrated database already holds — tiers [(id, code, rank, threshold,
    birthday_bonus)] lowest first, the ids of tiers with priority support, the next free id of the
    tables the migrations put rows in — and the password hash to use."""

    def __init__(self, output, scale, seed, today, context, password_hash, log=print):
        self.out, self.scale, self.seed, self.log = output, scale, seed, log
        self.now = datetime(today.year, today.month, today.day, 4, 0, tzinfo=UTC)  # noon in Taipei
        self.zone = ZoneInfo(DEFAULT_ZONE)
        self.tiers = context["tiers"]
        self.priority_tiers = set(context["priority_tier_ids"])
        self.next_ids = dict(context["next_ids"])
        self.password_hash = password_hash
        self.counts, self.timings = {}, {}
        self.n_members = scaled("members", scale)
        self.n_heavy = min(HEAVY_MEMBERS, self.n_members)
        self.planned = {}  # member → [(at, amount, kind, key, reason_code, params, link)] earnings from other features
        self.entry_of = {}  # ("registration" | "invitation", id) → the points entry id its earning got
        self.tier_rank = {}  # member → rank of the tier they end in

    def rng(self, name):
        return random.Random(f"{self.seed}:{name}")

    def take_id(self, table):
        value = self.next_ids.get(table, 1)
        self.next_ids[table] = value + 1
        return value

    def open(self, table, columns):
        return self.out.table(table, columns)

    def finish(self, *targets):
        for target in targets:
            elapsed = target.close()
            self.counts[target.table] = self.counts.get(target.table, 0) + target.count
            self.timings[target.table] = self.timings.get(target.table, 0.0) + elapsed

    def run(self):
        for section in (self.staff, self.members_plan, self.rewards, self.events, self.surveys_plan,
                        self.ledger, self.registrations, self.surveys, self.tickets):
            started = time.perf_counter()
            section()
            self.timings["section " + section.__name__] = time.perf_counter() - started
            self.log(f"  {section.__name__}: {time.perf_counter() - started:.1f} s")
        return self.counts

    # ---- staff, members, rewards ----------------------------------------------------------------

    def staff(self):
        out = self.open("staff_users", ("id", "name", "role", "active", "email", "password_hash", "session_version",
                                        "language", "created_at"))
        self.staff_ids = {}
        for name, email, role in STAFF:
            staff_id = self.take_id("staff_users")
            self.staff_ids[role] = staff_id
            out.write("\t".join((str(staff_id), name, role, "t", email, txt(self.password_hash), "1", "en",
                                 ts(add_months(self.now, -HISTORY_MONTHS - 1)))))
        self.finish(out)

    def members_plan(self):
        """Who the members are (joined when, which profile, birthday, language): their rows are written
        after the ledger, which decides their tier and balance."""
        rng = self.rng("members")
        first = add_months(self.now, -HISTORY_MONTHS)
        span = int((self.now - timedelta(days=7) - first).total_seconds())
        self.join, self.profile, self.person = [None], [None], [None]
        weights = [p[0] for p in PROFILES]
        for i in range(1, self.n_members + 1):
            if i <= self.n_heavy:
                joined, profile = first, len(PROFILES) - 1
            else:
                joined = first + timedelta(seconds=rng.randrange(span))
                profile = rng.choices(range(len(PROFILES)), weights)[0]
            given, surname = rng.choice(GIVEN), rng.choice(SURNAMES)
            self.join.append(joined)
            self.profile.append(profile)
            self.person.append((f"{given} {surname}", rng.randint(1, 12), rng.randint(1, 28),
                                rng.randint(1955, 2004) if rng.random() < 0.7 else None,
                                "zh_Hant" if rng.random() < 0.3 else "en",
                                f"+886 9{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
                                if rng.random() < 0.6 else None,
                                rng.random() < 0.8))
            if self.take_id("members") != i:
                raise RuntimeError("members must be the first rows of an empty table")
        # Members by the time they joined, for "someone who was a member by then" (per profile rank too).
        self.by_join = sorted(range(1, self.n_members + 1), key=lambda m: (self.join[m], m))
        self.join_sorted = [self.join[m] for m in self.by_join]
        self.by_join_rank = {}
        for rank in range(1, len(self.tiers) + 1):
            chosen = [m for m in self.by_join if PROFILES[self.profile[m]][2] >= rank]
            self.by_join_rank[rank] = (chosen, [self.join[m] for m in chosen])

    def member_joined_by(self, rng, moment, rank=1, avoid=()):
        """A random member who had joined by `moment` (with a profile reaching `rank`), not in `avoid`; or None."""
        members, joined = self.by_join_rank[rank]
        eligible = bisect_left(joined, moment)
        if eligible == 0:
            return None
        for _ in range(30):
            member = members[rng.randrange(eligible)]
            if member not in avoid:
                return member
        candidates = [m for m in members[:eligible] if m not in avoid]
        return rng.choice(candidates) if candidates else None

    def rewards(self):
        out = self.open("rewards", ("id", "name", "name_zh", "description", "description_zh", "points_cost", "stock",
                                    "min_tier_id", "active", "created_at"))
        tier_ids = {code: tier_id for tier_id, code, *_rest in self.tiers}
        self.redeemable = []  # (cost, reward id), cheapest first
        for name, name_zh, cost, stock, tier in REWARDS:
            reward_id = self.take_id("rewards")
            out.write("\t".join((str(reward_id), txt(name), txt(name_zh), txt(f"{name}, for members."), "", str(cost),
                                 num(stock), num(tier_ids.get(tier)), "t",
                                 ts(add_months(self.now, -HISTORY_MONTHS - 1)))))
            if stock is None and tier is None:
                self.redeemable.append((cost, reward_id))
        self.redeemable.sort()
        self.finish(out)

    # ---- events and who registers (the registrations are written after the ledger) -------------

    def events(self):
        rng = self.rng("events")
        n_events = max(3, scaled("events", self.scale))
        out = self.open("events", ("id", "title", "title_zh", "description", "description_zh", "online", "online_url",
                                   "venue", "address", "starts_at", "ends_at", "capacity", "min_tier_id",
                                   "attendance_points", "cancel_cutoff_hours", "status", "sequence", "created_at",
                                   "published_at", "cancelled_at", "cancel_reason"))
        earliest = add_months(self.now, -36)
        past_span = int((self.now - earliest).total_seconds())
        capacities = (12, 20, 24, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300)
        events = []
        for k in range(n_events):
            if rng.random() < 0.9:
                starts = earliest + timedelta(seconds=rng.randrange(past_span))
            else:
                starts = self.now + timedelta(seconds=rng.randrange(90 * 86400))
            starts = starts.replace(minute=0, second=0, microsecond=0)
            status = "published"
            if starts > self.now + timedelta(days=20) and rng.random() < 0.2:
                status = "draft"
            elif rng.random() < 0.03:
                status = "cancelled"
            capacity = rng.choice(capacities)
            min_rank = None
            if rng.random() < 0.08:
                min_rank = 4 if rng.random() < 0.25 else 3
            published = None if status == "draft" else min(starts - timedelta(days=rng.randint(14, 45)),
                                                           self.now - timedelta(days=1))
            cancelled = None
            if status == "cancelled":
                cancelled = min(starts - timedelta(days=rng.randint(1, 10)), self.now - timedelta(hours=1))
                cancelled = max(cancelled, published + timedelta(hours=1))
            event = {"id": self.take_id("events"), "starts": starts,
                     "ends": starts + timedelta(hours=rng.choice((1, 2, 2, 3))), "capacity": capacity,
                     "status": status, "min_rank": min_rank, "points": rng.choice((0, 50, 80, 100, 150, 200)),
                     "cutoff": 24, "published": published, "cancelled": cancelled, "fill": rng.uniform(0.4, 1.3)}
            events.append(event)
            theme, theme_zh = rng.choice(EVENT_THEMES)
            online = rng.random() < 0.25
            venue, address = ("", "") if online else rng.choice(VENUES)
            min_tier = self.tiers[min_rank - 1][0] if min_rank else None
            out.write("\t".join((
                str(event["id"]), txt(f"{theme} #{k + 1}"), txt(f"{theme_zh} #{k + 1}"),
                txt(f"{theme}: an evening for members."), "", boolean(online),
                "https://meet.example.com/member-portal" if online else "", txt(venue), txt(address), ts(starts),
                ts(event["ends"]), str(capacity), num(min_tier), str(event["points"]), "24", status,
                "1" if status == "cancelled" else "0",
                ts((published or starts - timedelta(days=30)) - timedelta(days=2)), ts(published), ts(cancelled),
                "Cancelled: the host fell ill." if cancelled else "")))
        self.finish(out)
        self.plan_registrations(rng, events)

    def plan_registrations(self, rng, events):
        """Who registers for which event, cancels, waits and attends, by the events' rules."""
        total = scaled("registrations", self.scale)
        open_events = [e for e in events if e["status"] != "draft"]
        weight = sum(e["capacity"] * e["fill"] for e in open_events)
        for event in open_events:
            event["target"] = int(total * event["capacity"] * event["fill"] / weight)
        short = total - sum(e["target"] for e in open_events)
        for event in sorted(open_events, key=lambda e: -e["capacity"])[:short]:
            event["target"] += 1
        registrants = {e["id"]: [] for e in open_events}
        heavy_n = min(heavy_count("registrations", self.scale), len(open_events))
        for member in range(1, self.n_heavy + 1):
            for event in rng.sample(open_events, heavy_n):
                registrants[event["id"]].append(member)
        self.registration_rows = []
        self.member_events = {}  # member → event ids they registered for (tickets may be about one)
        desk = self.staff_ids["expansion"]
        for event in open_events:
            opens = event["published"]
            closes = min(event["cancelled"] or event["starts"], event["starts"], self.now)
            if closes <= opens:
                continue
            chosen = registrants[event["id"]]
            taken = set(chosen)
            while len(chosen) < event["target"]:
                member = self.member_joined_by(rng, closes, event["min_rank"] or 1, taken)
                if member is None:
                    break
                chosen.append(member)
                taken.add(member)
            actions = []
            for member in chosen:
                start = max(opens, self.join[member])
                if start >= closes:
                    continue
                at = start + timedelta(seconds=rng.randrange(max(1, int((closes - start).total_seconds()))))
                actions.append((at, 0, member))
                if rng.random() < 0.1:  # cancels later, before the cut-off (and before the event was cancelled)
                    until = min(event["starts"] - timedelta(hours=event["cutoff"]), closes)
                    if until > at:
                        actions.append((at + timedelta(seconds=rng.randrange(int((until - at).total_seconds()) + 1)),
                                        1, member))
            actions.sort()
            rows, confirmed, queue = {}, 0, []
            for at, cancel, member in actions:
                if not cancel:
                    row = [self.take_id("registrations"), member, "confirmed", at, None, at, None, 0]
                    if confirmed >= event["capacity"]:
                        row[2], row[4], row[5] = "waitlisted", at, None
                        queue.append(row)
                    else:
                        confirmed += 1
                    rows[member] = row
                    continue
                row = rows[member]
                was = row[2]
                row[2], row[6], row[4], row[7] = "cancelled", at, None, 1
                if was == "waitlisted":
                    queue.remove(row)
                elif queue and at < event["starts"]:
                    promoted = queue.pop(0)
                    promoted[2], promoted[5], promoted[4] = "confirmed", at, None
                else:
                    confirmed -= 1
            ended = event["ends"] <= self.now and event["status"] == "published"
            reminder = event["starts"] - timedelta(hours=24)
            for registration_id, member, status, registered, queued, confirmed_at, cancelled, revision in rows.values():
                checked_in = None
                if ended and status == "confirmed" and rng.random() < 0.85:
                    checked_in = event["starts"] + timedelta(seconds=rng.randrange(2700))
                    if event["points"]:
                        self.planned.setdefault(member, []).append((
                            checked_in, event["points"], "event_attendance", f"event-attendance:{registration_id}",
                            "event_attendance", f'{{"event_id": {event["id"]}}}', ("registration", registration_id),
                            desk))
                reminded = (reminder if status == "confirmed" and event["status"] == "published"
                            and reminder <= self.now and confirmed_at <= reminder else None)
                self.registration_rows.append((registration_id, event["id"], member, status, registered, queued,
                                               confirmed_at, cancelled, checked_in, reminded,
                                               1 if event["status"] == "cancelled" else 0, revision))
                self.member_events.setdefault(member, []).append(event["id"])

    def registrations(self):
        out = self.open("registrations", ("id", "event_id", "member_id", "status", "registered_at", "queued_at",
                                          "confirmed_at", "cancelled_at", "checked_in_at", "checked_in_by_staff_id",
                                          "points_entry_id", "reminded_at", "told_sequence", "revision"))
        desk = self.staff_ids["expansion"]
        for (registration_id, event_id, member, status, registered, queued, confirmed, cancelled, checked_in,
             reminded, sequence, revision) in sorted(self.registration_rows):
            out.write("\t".join((str(registration_id), str(event_id), str(member), status, ts(registered), ts(queued),
                                 ts(confirmed), ts(cancelled), ts(checked_in), num(desk if checked_in else None),
                                 num(self.entry_of.get(("registration", registration_id))), ts(reminded),
                                 str(sequence), str(revision))))
        self.registration_rows = None
        self.finish(out)

    # ---- surveys: planned before the ledger (their points), written after it ----------------------

    def surveys_plan(self):
        rng = self.rng("surveys")
        invitations = scaled("invitations", self.scale)
        n_surveys = max(scaled("surveys", self.scale), math.ceil(invitations / (0.5 * self.n_members)))
        self.survey_specs = []
        oldest = add_months(self.now, -24)
        span = int((self.now - timedelta(days=1) - oldest).total_seconds())
        for k in range(n_surveys):
            sent = oldest + timedelta(seconds=rng.randrange(span))
            latest = k == n_surveys - 1  # sent two days ago, open for 30: its links answer (the web bench's)
            sent = self.now - timedelta(days=2) if latest else sent
            eligible = bisect_left(self.join_sorted, sent)
            self.survey_specs.append({"k": k, "sent": sent, "eligible": eligible,
                                      "weight": eligible * rng.uniform(0.6, 1.4),
                                      "points": rng.choice((0, 0, 20, 50)),
                                      "expiry": 30 if latest else rng.choice((14, 30)),
                                      "reminder": rng.choice((0, 3, 3)), "anonymous": rng.random() < 0.1,
                                      "topic": rng.choice(SURVEY_TOPICS)})
        self.survey_specs.sort(key=lambda s: s["sent"])
        weight = sum(s["weight"] for s in self.survey_specs) or 1
        for spec in self.survey_specs:
            spec["count"] = min(spec["eligible"], int(invitations * spec["weight"] / weight))
        short = invitations - sum(s["count"] for s in self.survey_specs)
        for spec in sorted(self.survey_specs, key=lambda s: s["eligible"] - s["count"], reverse=True):
            add = min(short, spec["eligible"] - spec["count"])
            spec["count"] += add
            short -= add
        invitation_id = self.next_ids.get("survey_invitations", 1)
        for spec in self.survey_specs:
            spec["id"] = self.take_id("surveys")
            spec["first_invitation"] = invitation_id
            invitation_id += spec["count"]
            if spec["points"]:
                for row in self.survey_invitations(spec):
                    if row[6] is not None:  # answered: its points
                        self.planned.setdefault(row[1], []).append((
                            row[6], spec["points"], "survey", f"survey:{row[0]}", "survey",
                            f'{{"survey_id": {spec["id"]}}}',
                            ("invitation", row[0]), None))
        self.next_ids["survey_invitations"] = invitation_id

    def survey_invitations(self, spec):
        """The survey's invitations, the same on every call:
        (id, member, created, emailed, opened, reminded, answered)."""
        rng = self.rng(f"survey:{spec['k']}")
        sent = spec["sent"]
        members = [m for m in range(1, self.n_heavy + 1) if self.join[m] < sent][:spec["count"]]
        eligible = self.by_join[:spec["eligible"]]
        if spec["count"] > spec["eligible"] * 0.5:
            rest = [m for m in eligible if m > self.n_heavy]
            members += rng.sample(rest, spec["count"] - len(members))
        else:
            taken = set(members)
            while len(members) < spec["count"]:
                member = eligible[rng.randrange(len(eligible))]
                if member not in taken:
                    taken.add(member)
                    members.append(member)
        members.sort()
        closes = sent + timedelta(days=spec["expiry"])
        rows = []
        for n, member in enumerate(members):
            emailed = sent + timedelta(seconds=rng.randrange(1800))
            opened = answered = reminded = None
            if rng.random() < 0.35:
                opened = emailed + timedelta(seconds=int(rng.expovariate(1 / 86400)))
                if opened >= min(closes, self.now):
                    opened = None
                elif rng.random() < 0.6:
                    answered = opened + timedelta(seconds=rng.randrange(60, 900))
                    if answered >= min(closes, self.now):
                        answered = None
            remind_at = sent + timedelta(days=spec["reminder"])
            if spec["reminder"] and remind_at <= self.now and (answered is None or answered > remind_at):
                reminded = remind_at
            rows.append((spec["first_invitation"] + n, member, sent, emailed, opened, reminded, answered))
        return rows

    def surveys(self):
        rng = self.rng("survey-rows")
        ops = self.staff_ids["operations"]
        surveys = self.open("surveys", ("id", "title", "title_zh", "introduction", "introduction_zh", "status",
                                        "points", "expiry_days", "reminder_days", "anonymous", "created_at",
                                        "created_by_staff_id", "first_sent_at"))
        questions = self.open("survey_questions", ("id", "survey_id", "position", "kind", "text", "text_zh",
                                                   "required"))
        choices = self.open("survey_choices", ("id", "question_id", "position", "label", "label_zh"))
        dispatches = self.open("survey_dispatches", ("id", "survey_id", "audience", "status", "audience_size",
                                                     "left_out", "created_at", "created_by_staff_id", "finished_at"))
        for spec in self.survey_specs:
            closed = spec["sent"] < add_months(self.now, -6)
            surveys.write("\t".join((str(spec["id"]), txt(f"{spec['topic']} {spec['k'] + 1}"), "",
                                     "A few quick questions: they take two minutes.", "",
                                     "closed" if closed else "sent", str(spec["points"]), str(spec["expiry"]),
                                     str(spec["reminder"]), boolean(spec["anonymous"]),
                                     ts(spec["sent"] - timedelta(days=3)), str(ops), ts(spec["sent"]))))
            spec["questions"] = []
            for position, (kind, text, text_zh, required, options) in enumerate((
                    ("rating", "How satisfied are you with the programme?", "您對會員計畫滿意嗎？", True, ()),
                    ("nps", "How likely are you to recommend us?", "您有多大可能推薦我們？", True, ()),
                    ("single_choice", "Where do you shop most often?", "您最常在哪裡購物？", True, STORES),
                    ("multi_choice", "What would you like more of?", "您希望我們多提供哪些？", False, WISHES),
                    ("text", "Anything else?", "還有什麼想告訴我們的嗎？", False, ())), start=1):
                question_id = self.take_id("survey_questions")
                questions.write(f"{question_id}\t{spec['id']}\t{position}\t{kind}\t{text}\t{text_zh}\t{boolean(required)}")
                option_ids = []
                for n, (label, label_zh) in enumerate(options):
                    choice_id = self.take_id("survey_choices")
                    option_ids.append(choice_id)
                    choices.write(f"{choice_id}\t{question_id}\t{n}\t{txt(label)}\t{label_zh}")
                spec["questions"].append((question_id, kind, option_ids))
            spec["dispatch"] = self.take_id("survey_dispatches")
            dispatches.write("\t".join((str(spec["dispatch"]), str(spec["id"]), "all", "done", str(spec["count"]), "0",
                                        ts(spec["sent"]), str(ops), ts(spec["sent"] + timedelta(minutes=30)))))
        self.finish(surveys, questions, choices, dispatches)
        invitations = self.open("survey_invitations", (
            "id", "survey_id", "member_id", "dispatch_id", "about_type", "about_id", "created_at", "expires_at",
            "emailed_at", "email_failed", "opened_at", "reminded_at", "answered_at", "points_entry_id"))
        responses = self.open("survey_responses", ("id", "survey_id", "invitation_id", "tier_id", "language",
                                                   "submitted_at"))
        answers = self.open("survey_answers", ("id", "response_id", "question_id", "number", "choice_id", "text"))
        tier_ids = [tier[0] for tier in self.tiers]
        for spec in self.survey_specs:
            expires = ts(spec["sent"] + timedelta(days=spec["expiry"]))
            head = f"\t{spec['id']}\t"
            tail = f"\t{spec['dispatch']}\t\t0\t{ts(spec['sent'])}\t{expires}\t"
            for invitation_id, member, _created, emailed, opened, reminded, answered in self.survey_invitations(spec):
                entry = self.entry_of.get(("invitation", invitation_id))
                invitations.write(f"{invitation_id}{head}{member}{tail}{ts(emailed)}\tf\t{ts(opened)}\t{ts(reminded)}"
                                  f"\t{ts(answered)}\t{num(entry)}")
                if answered is None:
                    continue
                response_id = self.take_id("survey_responses")
                responses.write(f"{response_id}\t{spec['id']}\t{invitation_id}\t{tier_ids[self.tier_rank[member] - 1]}"
                                f"\t{self.person[member][4]}\t{ts(answered)}")
                rating = rng.choice((10, 10, 9, 9, 8, 8, 7, 6, 5, 3))
                for question_id, kind, option_ids in spec["questions"]:
                    values = []
                    if kind == "rating":
                        values = [(rating, None, None)]
                    elif kind == "nps":
                        values = [(max(0, min(10, rating + rng.choice((-1, 0, 0, 1)))), None, None)]
                    elif kind == "single_choice":
                        values = [(None, rng.choice(option_ids), None)]
                    elif kind == "multi_choice":
                        values = [(None, c, None) for c in rng.sample(option_ids, rng.choice((0, 1, 1, 2)))]
                    elif rng.random() < 0.2:
                        values = [(None, None, rng.choice(COMMENTS)[1])]
                    for number, choice, text in values:
                        answers.write(f"{self.take_id('survey_answers')}\t{response_id}\t{question_id}\t{num(number)}"
                                      f"\t{num(choice)}\t{txt(text)}")
        self.finish(invitations, responses, answers)

    # ---- the ledger, member by member (then the members' rows) ------------------------------------

    def ledger(self):
        rng = self.rng("ledger")
        entries = self.open("points_entries", ("id", "member_id", "amount", "kind", "reason", "actor_staff_id",
                                               "idempotency_key", "created_at", "expires_at", "remaining",
                                               "qualifying", "reverses_id", "reason_code", "reason_params"))
        allocations = self.open("points_allocations", ("id", "spend_id", "earning_id", "amount"))
        redemptions = self.open("redemptions", ("id", "member_id", "reward_id", "points", "points_entry_id",
                                                "voucher_code", "idempotency_key", "status", "created_at", "used_at",
                                                "used_by_staff_id", "cancel_reason"))
        changes = self.open("tier_changes", ("id", "member_id", "from_tier_id", "to_tier_id", "reason",
                                             "created_at", "reason_code", "reason_params"))
        members = self.open("members", ("id", "name", "phone", "birthday_month", "birthday_day", "birth_year", "status",
                                        "email_verified_at", "tier_id", "marketing_emails", "survey_emails",
                                        "event_reminders", "email", "password_hash", "session_version", "language",
                                        "created_at", "points_balance"))
        # The activity budget: the entries at this scale less what other features and birthdays add,
        # less the expiries the simulation will write.
        target = scaled("entries", self.scale)
        planned = sum(len(v) for v in self.planned.values())
        years = sum((self.now - self.join[m]).days for m in range(1, self.n_members + 1)) / 365.25
        heavy = heavy_count("entries", self.scale) if self.n_heavy else 0
        budget = max(self.n_members, (target - planned - years) / (1 + EXPIRY_SHARE) - heavy * self.n_heavy)
        mean = budget / max(1, self.n_members - self.n_heavy)
        self.ledger_state = {"entry": self.next_ids.get("points_entries", 1),
                             "allocation": self.next_ids.get("points_allocations", 1)}
        password = txt(self.password_hash)
        window = add_months(self.now, -QUALIFYING_MONTHS)
        tier_ids = [tier[0] for tier in self.tiers]
        for member in range(1, self.n_members + 1):
            activities = heavy if member <= self.n_heavy else max(1, round(rng.expovariate(1 / mean)))
            balance, qualifying, crossings = self.member_ledger(rng, member, activities, entries, allocations,
                                                                redemptions, window)
            rank = 1
            for tier_rank, (_id, _code, _rank, threshold, _bonus) in enumerate(self.tiers, start=1):
                if qualifying >= threshold:
                    rank = tier_rank
            self.tier_rank[member] = rank
            for step in range(2, rank + 1):
                at, points = crossings[step]
                changes.write(f"{self.take_id('tier_changes')}\t{member}\t{tier_ids[step - 2]}\t{tier_ids[step - 1]}"
                              f"\t\t{ts(at)}\tqualifying_points\t{json.dumps({'points': points})}")
            name, month, day, year, language, phone, marketing = self.person[member]
            joined = self.join[member]
            members.write(f"{member}\t{txt(name)}\t{txt(phone)}\t{month}\t{day}\t{num(year)}\tactive\t"
                          f"{ts(joined + timedelta(minutes=10))}\t{tier_ids[rank - 1]}\t{boolean(marketing)}\tt\tt\t"
                          f"member{member}@bench.example\t{password}\t1\t{language}\t{ts(joined)}\t{balance}")
        self.next_ids["points_entries"] = self.ledger_state["entry"]
        self.next_ids["points_allocations"] = self.ledger_state["allocation"]
        self.planned = None
        self.finish(entries, allocations, redemptions, changes, members)

    def member_ledger(self, rng, member, activities, entries, allocations, redemptions, window):
        """Simulate one member's points with the ledger's rules; write their entries, allocations and
        redemptions. Returns (balance, qualifying points in the window, {tier rank: (when, points) reached})."""
        state = self.ledger_state
        joined, now = self.join[member], self.now
        mean_points = PROFILES[self.profile[member]][1]
        ops, service = self.staff_ids["operations"], self.staff_ids["service"]
        span = int((now - joined).total_seconds()) - 7200
        items = [(joined + timedelta(seconds=3600 + rng.randrange(span)), None) for _ in range(activities)]
        items += [(p[0], p) for p in self.planned.get(member, ())]
        name, month, day, _year, _language, _phone, _marketing = self.person[member]
        bonus = self.tiers[PROFILES[self.profile[member]][2] - 1][4] or 100
        for year in range(joined.year, now.year + 1):
            at = datetime(year, month, 1, 1, 0, tzinfo=UTC)
            if joined < at <= now:
                items.append((at, (at, bonus, "birthday", f"birthday:{member}:{year}", "birthday", None, None, None)))
        items.sort(key=lambda item: item[0])
        # An entry: [id, amount, kind, reason, actor, key, created, expires, remaining, qualifying, reverses,
        # reason_code, params (JSON text), expired (not stored), reversed (not stored)]
        rows, lots, recent = [], deque(), deque(maxlen=20)
        balance = 0

        def allocate(spend_id, earning, amount):
            allocations.write(f"{state['allocation']}\t{spend_id}\t{earning[0]}\t{amount}")
            state["allocation"] += 1

        def append(amount, kind, key, at, *, earning=False, reason="", actor=None, code=None, params=None,
                   reverses=None):
            nonlocal balance
            entry = [state["entry"], amount, kind, reason, actor, key, at,
                     add_months(at, EXPIRY_MONTHS) if earning else None, amount if earning else None,
                     amount if earning and kind != "reversal" else 0, reverses,
                     code, params, 0, False]
            state["entry"] += 1
            rows.append(entry)
            balance += amount
            if earning:
                lots.append(entry)
            return entry

        def expire(upto):
            while lots and lots[0][7] <= upto:
                lot = lots.popleft()
                left = lot[8]
                if left > 0:
                    entry = append(-left, "expiry", f"expiry:{lot[0]}:{lot[1] - left}", max(lot[7], lot[6]))
                    allocate(entry[0], lot, left)
                    lot[8] = 0
                    lot[13] += left

        def take(entry, amount, first=None):
            left = amount
            if first is not None and first[8] > 0:
                used = min(first[8], left)
                first[8] -= used
                left -= used
                allocate(entry[0], first, used)
            for lot in lots:
                if left == 0:
                    break
                if lot is first or lot[8] == 0:
                    continue
                used = min(lot[8], left)
                lot[8] -= used
                left -= used
                allocate(entry[0], lot, used)
            if left:
                raise AssertionError(f"member {member}: {left} points short")
            while lots and lots[0][8] == 0:
                lots.popleft()

        for at, plan in items:
            expire(at)
            if plan is not None:
                _at, amount, kind, key, code, params, link, actor = plan
                entry = append(amount, kind, key, at, earning=True, code=code, params=params, actor=actor)
                if link is not None:
                    self.entry_of[link] = entry[0]
                continue
            draw = rng.random()
            if draw < 0.11 and balance >= 300:  # points spent: a reward, or a discount at the till
                reward = None
                if rng.random() < 0.5:
                    affordable = bisect_left(self.redeemable, (balance + 1, 0))
                    if affordable:
                        reward = self.redeemable[rng.randrange(affordable)]
                if reward is not None:
                    redemption_id = self.take_id("redemptions")
                    key = f"{member}:bench-{redemption_id}"
                    entry = append(-reward[0], "redemption", f"redemption:{key}", at, code="redemption",
                                   params=f'{{"reward_id": {reward[1]}}}')
                    take(entry, reward[0])
                    used = at + timedelta(days=rng.randint(1, 20)) if rng.random() < 0.6 else None
                    used = used if used is not None and used <= now else None
                    redemptions.write(f"{redemption_id}\t{member}\t{reward[1]}\t{reward[0]}\t{entry[0]}\t"
                                      f"{voucher_code(redemption_id)}\t{key}\t{'used' if used else 'issued'}\t{ts(at)}"
                                      f"\t{ts(used)}\t{num(ops if used else None)}\t")
                else:
                    amount = min(balance, rng.randint(3, 60) * 10)
                    entry = append(-amount, "redemption", f"bench-spend:{state['entry']}", at, actor=service,
                                   reason="Points used for a discount at the till")
                    take(entry, amount)
                continue
            if draw < 0.13:  # a staff adjustment
                if rng.random() < 0.7:
                    amount = rng.randint(1, 30) * 10
                    append(amount, "adjustment", f"bench-adjust:{state['entry']}", at, earning=True, actor=ops,
                           reason=rng.choice(ADJUSTMENTS))
                    continue
                if balance >= 10:
                    amount = rng.randint(1, min(balance, 300) // 10) * 10
                    entry = append(-amount, "adjustment", f"bench-adjust:{state['entry']}", at, actor=ops,
                                   reason="Points given twice by mistake")
                    take(entry, amount)
                    continue
            if draw > 0.985 and recent:  # a purchase returned: its earning reversed
                original = recent.pop()
                to_take = original[1] - original[13]
                if not original[14] and 0 < to_take <= balance:
                    entry = append(-to_take, "reversal", f"bench-reversal:{original[0]}", at, actor=ops,
                                   reason="Purchase returned", reverses=original[0])
                    original[14] = True
                    take(entry, to_take, first=original)
                    continue
            amount = max(1, int(rng.expovariate(1 / mean_points)))
            entry = append(amount, "purchase", f"bench-purchase:{state['entry']}", at, earning=True, code="purchase",
                           params=f'{{"reference": "{rng.choice(SHOPS)}-{at.year}{at.month:02d}{at.day:02d}-'
                                  f'{rng.randint(1, 99):02d}"}}')
            recent.append(entry)
        expire(now)
        qualifying, crossings = 0, {}
        thresholds = [(rank, tier[3]) for rank, tier in enumerate(self.tiers, start=1) if rank > 1]
        for entry in rows:
            if entry[9] > 0 and window < entry[6] <= now and not entry[14]:
                qualifying += entry[9]
                for rank, threshold in thresholds:
                    if rank not in crossings and qualifying >= threshold:
                        crossings[rank] = (entry[6], qualifying)
        for e in rows:
            entries.write(f"{e[0]}\t{member}\t{e[1]}\t{e[2]}\t{txt(e[3])}\t{num(e[4])}\t{e[5]}\t{ts(e[6])}\t{ts(e[7])}"
                          f"\t{num(e[8])}\t{e[9]}\t{num(e[10])}\t{num(e[11])}\t{txt(e[12])}")
        return balance, qualifying, crossings

    # ---- tickets ---------------------------------------------------------------------------------

    def tickets(self):
        rng = self.rng("tickets")
        total = scaled("tickets", self.scale)
        heavy = heavy_count("tickets", self.scale) if self.n_heavy else 0
        earliest = add_months(self.now, -36)
        planned = []
        for n in range(total):
            member = n // heavy + 1 if n < heavy * self.n_heavy else rng.randint(1, self.n_members)
            start = max(earliest, self.join[member])
            at = start + timedelta(seconds=rng.randrange(int((self.now - start).total_seconds()) - 300))
            planned.append((at, member, rng.random()))
        planned.sort()
        targets = sla.Targets()
        staff = self.staff_ids
        priority_ranks = {rank for rank, tier in enumerate(self.tiers, start=1) if tier[0] in self.priority_tiers}
        tickets = self.open("tickets", (
            "id", "number", "member_id", "kind", "subject", "status", "assignee_id", "event_id", "priority",
            "first_response_due_at", "first_responded_at", "resolution_due_at", "resolution_hours", "paused_at",
            "running_due_at", "resolved_at", "closed_at", "first_response_breached_at", "resolution_breached_at",
            "version", "created_at", "updated_at"))
        messages = self.open("ticket_messages", ("id", "ticket_id", "member_id", "staff_id", "internal", "body",
                                                 "created_at", "version"))
        history = self.open("ticket_events", ("id", "ticket_id", "from_status", "to_status", "at", "staff_id",
                                              "member_id"))
        breaches = self.open("ticket_breaches", ("id", "ticket_id", "clock", "due_at", "noticed_at"))
        counters = {}
        for at, member, _draw in planned:
            year = at.astimezone(self.zone).year
            counters[year] = counters.get(year, 0) + 1
            kind = rng.choice(("feedback", "feedback", "complaint", "consultation", "consultation"))
            subject, body = rng.choice(TICKET_TEXTS[kind])
            events = self.member_events.get(member)
            event_id = rng.choice(events) if events and rng.random() < 0.1 else None
            ticket = Ticket(self.take_id("tickets"), f"T-{year}-{counters[year]:06d}", member, kind, at,
                            self.tier_rank[member] in priority_ranks, targets, self)
            ticket.message(at, body, member=member)
            ticket.history_row(None, "new", at, member=member)
            assignee = staff["service"] if rng.random() < 0.5 else None
            # What happens next, each step after the one before; steps after today have not happened yet.
            moment = at
            steps = []
            n_messages = rng.choice((1, 2, 2, 3, 3, 4))
            if n_messages >= 2:
                moment += timedelta(seconds=int(rng.expovariate(1 / (6 * 3600))) + 300)
                steps.append((moment, "reply", rng.choice(STAFF_REPLIES)))
            if n_messages >= 3:
                moment += timedelta(seconds=int(rng.expovariate(1 / (8 * 3600))) + 300)
                steps.append((moment, "note", rng.choice(NOTES)) if rng.random() < 0.3
                             else (moment, "member", rng.choice(MEMBER_REPLIES)))
            if n_messages >= 4:
                moment += timedelta(seconds=int(rng.expovariate(1 / (6 * 3600))) + 300)
                steps.append((moment, "reply", rng.choice(STAFF_REPLIES)))
            if n_messages >= 2 and rng.random() < 0.15:
                moment += timedelta(minutes=1)
                steps.append((moment, "waiting", None))
                moment += timedelta(seconds=int(rng.expovariate(1 / (48 * 3600))))
            if rng.random() < 0.97:
                moment += timedelta(seconds=int(rng.expovariate(1 / (8 * 3600))) + 600)
                steps.append((moment, "resolve", None))
                if rng.random() < 0.3:
                    steps.append((moment + timedelta(seconds=rng.randrange(3600, 4 * 86400)), "confirm", None))
                else:
                    steps.append((moment + timedelta(days=AUTO_CLOSE_DAYS, minutes=rng.randrange(60)), "close", None))
            for step_at, action, text in steps:
                if step_at > self.now:
                    break
                ticket.escalate(step_at)
                if action == "reply":
                    ticket.staff_reply(step_at, text, staff["service"])
                elif action == "note":
                    ticket.message(step_at, text, staff=staff["service"], internal=True)
                elif action == "member":
                    if ticket.status in ("waiting_on_member", "resolved"):
                        ticket.move("in_progress", step_at, member=member)
                    ticket.message(step_at, text, member=member)
                elif action == "waiting":
                    ticket.move("waiting_on_member", step_at, staff=staff["service"])
                elif action == "resolve":
                    ticket.move("resolved", step_at, staff=staff["service"])
                elif action == "confirm":
                    ticket.move("closed", step_at, member=member)
                elif action == "close":
                    ticket.move("closed", step_at)
            ticket.escalate(self.now)
            t = ticket
            tickets.write("\t".join((
                str(t.id), t.number, str(member), kind, txt(subject), t.status, num(assignee), num(event_id),
                boolean(t.priority), ts(t.first_due), ts(t.first_responded), ts(t.resolution_due),
                str(t.resolution_hours), ts(t.paused), ts(t.running_due()), ts(t.resolved), ts(t.closed),
                ts(t.first_breached), ts(t.resolution_breached), str(t.version), ts(at), ts(t.updated))))
            for row in t.messages:
                messages.write(row)
            for row in t.history:
                history.write(row)
            for row in t.breaches:
                breaches.write(row)
        out = self.open("ticket_counters", ("year", "last"))
        for year, last in sorted(counters.items()):
            out.write(f"{year}\t{last}")
        self.finish(tickets, messages, history, breaches, out)


class Ticket:
    """A ticket going through portal/tickets/services.py's moves, as plain data; its rows as COPY lines."""

    def __init__(self, ticket_id, number, member, kind, at, priority, targets, generator):
        self.id, self.number, self.member, self.generator = ticket_id, number, member, generator
        self.status, self.priority, self.version, self.updated = "new", priority, 0, at
        self.first_due, self.resolution_due = sla.due_times(kind, priority, at, targets)
        self.resolution_hours = sla.resolution_hours(kind, priority, targets)
        self.first_responded = self.paused = self.resolved = self.closed = None
        self.first_breached = self.resolution_breached = None
        self.last_step = at
        self.messages, self.history, self.breaches = [], [], []

    def running_due(self):
        if self.status in ("new", "in_progress", "waiting_on_member") and self.paused is None:
            return self.first_due if self.first_responded is None else self.resolution_due
        return None

    def message(self, at, body, *, member=None, staff=None, internal=False):
        self.version += 1
        self.updated = at
        self.messages.append(f"{self.generator.take_id('ticket_messages')}\t{self.id}\t{num(member)}\t{num(staff)}\t"
                             f"{boolean(internal)}\t{txt(body)}\t{ts(at)}\t{self.version}")
        self.last_step = at

    def history_row(self, before, to, at, *, staff=None, member=None):
        self.history.append(f"{self.generator.take_id('ticket_events')}\t{self.id}\t{num(before)}\t{to}\t{ts(at)}\t"
                            f"{num(staff)}\t{num(member)}")

    def move(self, to, at, *, staff=None, member=None):
        before = self.status
        if to == "waiting_on_member":
            if self.paused is None:
                self.paused = at
        elif before == "waiting_on_member" and self.paused is not None:
            self.resolution_due += at - self.paused
            self.paused = None
        if before == "resolved" and to == "in_progress":
            self.paused = None
            self.resolution_due = at + timedelta(hours=self.resolution_hours)
            self.resolved = self.resolution_breached = None
        if to == "resolved":
            self.resolved = at
        if to == "closed":
            self.closed = at
        self.status = to
        self.version += 1
        self.updated = at
        self.history_row(before, to, at, staff=staff, member=member)
        self.last_step = at

    def staff_reply(self, at, body, staff):
        if self.first_responded is None:
            self.first_responded = at
        if self.status == "new":
            self.move("in_progress", at, staff=staff)
        self.message(at, body, staff=staff)

    def escalate(self, upto):
        """The breach job's runs (every few minutes) since the last step, up to `upto`."""
        if self.status not in ("new", "in_progress", "waiting_on_member") or self.paused is not None:
            return
        earliest = ceil_to(self.last_step, ESCALATION_MINUTES)
        if self.first_responded is None and self.first_breached is None:
            noticed = max(ceil_to(self.first_due, ESCALATION_MINUTES), earliest)
            if noticed <= upto:
                self.first_breached = noticed
                self.breach("first_response", self.first_due, noticed)
        if self.resolution_breached is None:
            noticed = max(ceil_to(self.resolution_due, ESCALATION_MINUTES), earliest)
            if noticed <= upto:
                self.resolution_breached = noticed
                self.breach("resolution", self.resolution_due, noticed)

    def breach(self, clock, due, noticed):
        key = (clock, due)
        if key in getattr(self, "_noticed", set()):
            return
        self._noticed = getattr(self, "_noticed", set()) | {key}
        self.breaches.append(f"{self.generator.take_id('ticket_breaches')}\t{self.id}\t{clock}\t{ts(due)}\t{ts(noticed)}")


VOUCHER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def voucher_code(redemption_id):
    """A voucher code unique to the redemption (a bijection of its id scattered over 31^12 codes)."""
    space = len(VOUCHER_ALPHABET) ** 12
    value = (redemption_id * 0x5DEECE66D + 0xB) % space
    chars = []
    for _ in range(12):
        value, digit = divmod(value, len(VOUCHER_ALPHABET))
        chars.append(VOUCHER_ALPHABET[digit])
    raw = "".join(chars)
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


# --- the database around the load ----------------------------------------------------------------

LOADED = ("staff_users", "members", "rewards", "events", "registrations", "points_entries", "points_allocations",
          "redemptions", "tier_changes", "surveys", "survey_questions", "survey_choices", "survey_dispatches",
          "survey_invitations", "survey_responses", "survey_answers", "tickets", "ticket_messages", "ticket_events",
          "ticket_breaches", "ticket_counters")
BIG = ("members", "points_entries", "points_allocations", "registrations", "redemptions", "tier_changes",
       "survey_invitations", "survey_responses", "survey_answers", "tickets", "ticket_messages", "ticket_events",
       "ticket_breaches")


def libpq_url(database_url):
    """The SQLAlchemy URL as psycopg takes it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(database_url):
    """Create the database (it must not exist) and run the project's migrations on it."""
    url = make_url(database_url)
    admin = url.set(database="postgres", drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{url.database}"')
    migrate(database_url)


def migrate(database_url):
    """flask db upgrade, on `database_url`."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def read_context(connection):
    """What the migrations left that the generator builds on; refuses a database that has members or staff."""
    for table in ("members", "staff_users", "points_entries", "events", "tickets"):
        if connection.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:  # noqa: S608
            raise SystemExit(f"{table} is not empty: seed a freshly migrated database (--create makes one)")
    tiers = connection.execute(
        "SELECT id, code, rank, threshold, birthday_bonus FROM tiers ORDER BY rank").fetchall()
    priority = [row[0] for row in connection.execute(
        "SELECT DISTINCT tier_id FROM benefits WHERE kind = 'priority_support'")]
    next_ids = {}
    for table in LOADED:
        if table == "ticket_counters":
            continue
        next_ids[table] = connection.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]  # noqa: S608
    return {"tiers": [tuple(row) for row in tiers], "priority_tier_ids": priority, "next_ids": next_ids}


def hash_seed_password(database_url):
    """SEED_PASSWORD hashed once with the portal's own function and the environment's argon2 settings."""
    from portal import create_app
    from portal.auth.passwords import hash_password, password_problem

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None})
    with app.app_context():
        problem = password_problem(SEED_PASSWORD, email="member1@bench.example")
        if problem is not None:
            raise RuntimeError(f"SEED_PASSWORD fails the password policy: {problem}")
        return hash_password(SEED_PASSWORD)


def drop_secondary(connection, indexes=False):
    """Drop the foreign keys, unique constraints and secondary indexes of the big tables (only the
    foreign keys when not `indexes`); returns the statements that make them again: (indexes and unique
    constraints, foreign keys). The foreign keys always go: the tables are loaded at the same time on
    connections of their own, so a row's parent is not visible to the child's COPY until the end."""
    constraints = connection.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype "
        "FROM pg_constraint c WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('f', 'u') "
        "ORDER BY c.contype, c.conname", [list(BIG)]).fetchall()
    if not indexes:
        constraints = [row for row in constraints if row[3] == "f"]
    indexes = connection.execute(
        "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) "
        "ORDER BY i.tablename, i.indexname", [list(BIG)]).fetchall() if indexes else []
    for table, name, _definition, _kind in constraints:  # foreign keys ('f') first
        connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for _table, name, _definition in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    builds = [(table, definition) for table, _name, definition in indexes]
    builds += [(table, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
               for table, name, definition, kind in constraints if kind == "u"]
    keys = [(table, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for table, name, definition, kind in constraints if kind == "f"]
    return builds, keys


def rebuild(dsn, statements, timings, workers=2):
    """Run the statements on `workers` connections at once; the time of each table's share in `timings`."""
    def run(item):
        table, statement = item
        started = time.perf_counter()
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("SET maintenance_work_mem = '256MB'")
            connection.execute(statement)
        return table, time.perf_counter() - started

    # The biggest tables first, so that the two workers finish together.
    ordered = sorted(statements, key=lambda item: BIG.index(item[0]) if item[0] != "points_entries" else -1)
    with ThreadPoolExecutor(workers) as pool:
        for table, elapsed in pool.map(run, ordered):
            timings[f"index {table}"] = timings.get(f"index {table}", 0.0) + elapsed


def fix_sequences(connection):
    for table in LOADED:
        if table == "ticket_counters":
            continue
        connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (LOADED's names)
                           f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


def seed(database_url, scale=1.0, seed=42, today=DEFAULT_TODAY, create=False, drop_indexes=False, log=print,
         timings=None):
    """Fill the (migrated, empty) database at `database_url`; returns {table: rows written}.
    `timings`, if given, receives the seconds each section, table and index build took."""
    timings = {} if timings is None else timings
    started = time.perf_counter()
    if create:
        create_database(database_url)
        timings["create and migrate"] = time.perf_counter() - started
    dsn = libpq_url(database_url)
    with psycopg.connect(dsn, autocommit=True) as connection:
        context = read_context(connection)
        password_hash = hash_seed_password(database_url)
        builds, keys = drop_secondary(connection, indexes=drop_indexes)
        generator = Generator(CopyOutput(dsn), scale, seed, today, context, password_hash, log=log)
        counts = generator.run()
        timings.update(generator.timings)
        log("  rebuilding indexes and constraints")
        mark = time.perf_counter()
        rebuild(dsn, builds, timings)
        rebuild(dsn, keys, timings)
        timings["indexes and constraints"] = time.perf_counter() - mark
        fix_sequences(connection)
        mark = time.perf_counter()
        connection.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    return counts


def database_size(database_url):
    with psycopg.connect(libpq_url(database_url)) as connection:
        return connection.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://… of the database to fill")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY,
                        help="the date the data set is as of (default %(default)s)")
    parser.add_argument("--create", action="store_true", help="create the database and run the migrations first")
    parser.add_argument("--drop-indexes", action="store_true",
                        help="drop the indexes and unique constraints for the load, build them after (slower here)")
    args = parser.parse_args(argv)
    timings = {}
    print(f"seeding {make_url(args.database_url).database} at scale {args.scale} "
          f"(seed {args.seed}, as of {args.today})")
    counts = seed(args.database_url, args.scale, args.seed, args.today, create=args.create,
                  drop_indexes=args.drop_indexes, timings=timings)
    print("\nrows:")
    for table, count in counts.items():
        seconds = timings.get(table)
        index = timings.get(f"index {table}")
        print(f"  {table:<22} {count:>10,}" + (f"   COPY open {seconds:6.1f} s" if seconds is not None else "")
              + (f"   keys/indexes after {index:5.1f} s" if index is not None else ""))
    print("\ntime:")
    for name, seconds in timings.items():
        if name.startswith("section ") or name in ("create and migrate", "indexes and constraints", "vacuum analyze",
                                                   "total"):
            print(f"  {name.removeprefix('section '):<24} {seconds:7.1f} s")
    print(f"\ndatabase size: {database_size(args.database_url)}")


if __name__ == "__main__":
    main()
