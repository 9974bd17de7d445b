"""bench/seed.py, run tiny so that it never rots: it loads a database of its own (PostgreSQL only,
bench_seed_test_<hex>, made and dropped here), the rows are what it says, the same seed makes the same
rows, the ledger agrees with the app's own code, and a seeded member and the staff user log in with
SEED_PASSWORD."""

import sys
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from portal import create_app
from portal.care.points import members_with_due_points
from portal.extensions import db
from portal.members import ledger, tiers
from portal.members.models import Member
from portal.tickets import sla
from portal.tickets.models import Ticket
from tests import services
from tests.helpers import ROOT, IsolatedClient, login, test_settings

sys.path.insert(0, str(ROOT / "bench"))
import seed as bench_seed  # noqa: E402 (bench/ is scripts, not a package)

SCALE = 0.002
SEED = 7
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # the seed's default "today", noon in Taipei


def row_counts(connection):
    return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (LOADED)
            for table in bench_seed.LOADED}


@pytest.fixture(scope="module")
def seeded():
    """A database of its own, migrated and seeded at SCALE: (url, counts, the context it was seeded on, the
    rows the migrations had made)."""
    admin = bench_seed.libpq_url(services.POSTGRES_URL)
    name = f"bench_seed_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        services.unavailable("PostgreSQL at " + services.POSTGRES_URL)
    url = make_url(services.POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def drop():
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    try:
        bench_seed.migrate(url)
        with psycopg.connect(bench_seed.libpq_url(url)) as connection:
            context = bench_seed.read_context(connection)
            before = row_counts(connection)
        counts = bench_seed.seed(url, scale=SCALE, seed=SEED, log=lambda *_: None)
        yield url, counts, context, before
    finally:
        drop()


@pytest.fixture(scope="module")
def seeded_app(seeded, tmp_path_factory):
    app = create_app(test_settings(seeded[0], tmp_path_factory.mktemp("instance")))
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_tables_hold_the_counts_it_reports(seeded):
    url, counts, _context, before = seeded
    with psycopg.connect(bench_seed.libpq_url(url)) as connection:
        after = row_counts(connection)
        tiers_used = connection.execute("SELECT count(DISTINCT tier_id) FROM members").fetchone()[0]
        next_member = connection.execute("SELECT nextval(pg_get_serial_sequence('members', 'id'))").fetchone()[0]
    assert {table: after[table] - before[table] for table in counts} == counts
    assert counts["members"] == 200 and counts["staff_users"] == 4
    assert counts["tickets"] == 600 and counts["survey_invitations"] == 2000 and counts["events"] == 4
    assert 9_000 <= counts["points_entries"] <= 11_000
    assert 300 <= counts["registrations"] <= 400
    assert counts["ticket_messages"] >= counts["tickets"] and counts["survey_responses"] > 0
    assert counts["redemptions"] > 0 and counts["points_allocations"] > 0
    assert tiers_used >= 3  # the long histories reach the top tier, most others stay low
    assert next_member == 201  # the sequences moved past the ids the load used


def test_the_same_seed_makes_the_same_rows(seeded):
    context = seeded[2]

    def digests(seed):
        output = bench_seed.DigestOutput()
        bench_seed.Generator(output, SCALE, seed, bench_seed.DEFAULT_TODAY, context, "hash", log=lambda *_: None).run()
        return output.digests

    first, again, other = digests(SEED), digests(SEED), digests(SEED + 1)
    assert first == again
    assert first["points_entries"] != other["points_entries"]


def test_balances_and_tiers_agree_with_the_ledger_as_the_app_computes_them(seeded, seeded_app):
    url = seeded[0]
    with seeded_app.app_context():
        assert ledger.reconcile() == []  # every cached balance is the sum of the entries
        assert members_with_due_points(NOW) == []  # every earning past its date has expired
        every = tiers.all_tiers()
        members = db.session.scalars(select(Member).order_by(Member.id)).all()
        for member in members:
            points, _rolls_off = tiers.qualifying_summary(member, now=NOW)
            assert member.tier_id == tiers.tier_for_points(points, every).id, member.id
        open_tickets = db.session.scalars(select(Ticket).where(Ticket.status != "closed")).all()
        for ticket in open_tickets:
            running = ticket.is_open and ticket.paused_at is None
            assert ticket.running_due_at == (sla.running_due_at(ticket) if running else None), ticket.number
        assert db.session.scalar(select(func.count()).select_from(Member).where(Member.status != "active")) == 0
    with psycopg.connect(bench_seed.libpq_url(url)) as connection:
        # What remains of the earnings is the balance; every spending took exactly its amount from earnings.
        assert connection.execute(
            "SELECT count(*) FROM members m WHERE points_balance <> (SELECT COALESCE(SUM(remaining), 0) "
            "FROM points_entries e WHERE e.member_id = m.id AND e.remaining > 0)").fetchone()[0] == 0
        assert connection.execute(
            "SELECT count(*) FROM points_entries e WHERE e.amount < 0 AND -e.amount <> "
            "(SELECT COALESCE(SUM(a.amount), 0) FROM points_allocations a WHERE a.spend_id = e.id)").fetchone()[0] == 0
        # No event has more confirmed places than its capacity, nor a waitlist while a place is free.
        assert connection.execute(
            "SELECT count(*) FROM events e WHERE e.capacity < (SELECT count(*) FROM registrations r "
            "WHERE r.event_id = e.id AND r.status = 'confirmed') OR (EXISTS (SELECT 1 FROM registrations r "
            "WHERE r.event_id = e.id AND r.status = 'waitlisted') AND e.capacity > (SELECT count(*) "
            "FROM registrations r WHERE r.event_id = e.id AND r.status = 'confirmed'))").fetchone()[0] == 0
        long_history = connection.execute(
            "SELECT min(n) FROM (SELECT count(*) AS n FROM points_entries WHERE member_id <= 10 "
            "GROUP BY member_id) counts").fetchone()[0]
    assert long_history >= 480  # member1..member10: HEAVY["entries"] scaled to this run


def test_a_seeded_member_and_the_staff_user_log_in_with_the_seed_password(seeded_app):
    with seeded_app.app_context():
        client = seeded_app.test_client()
        response = login(client, "member3@bench.example", bench_seed.SEED_PASSWORD)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        home = client.get("/")
        assert home.status_code == 200
        assert "M000003" in home.get_data(as_text=True)
        staff = seeded_app.test_client()
        response = login(staff, "staff@bench.example", bench_seed.SEED_PASSWORD)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/admin")
        assert staff.get("/admin/").status_code == 200
