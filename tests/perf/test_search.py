"""The staff member search over many members (issue 11, item 5): on PostgreSQL each of its
"contains" tests reads a trigram index of migration 0014 (the plan of the very query the search
sends, with its parameters); the migration goes up and down; bench/search.py runs (tiny)."""

import json
import subprocess
import sys

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, insert, select
from sqlalchemy import text as text_sql

from portal.extensions import db
from portal.members import search
from portal.members.models import Member, Tier
from portal.models import utcnow
from tests import services
from tests.helpers import HARNESS, ROOT, migrated

OTHERS = 3000


def add_members(count):
    tier = db.session.scalar(select(Tier.id).where(Tier.code == "regular"))
    db.session.execute(insert(Member), [
        {"name": f"{('Mei', 'Wei', 'Ann', 'Tom')[n % 4]} {('Lin', 'Chen', 'Wang', 'Hsu', 'Tsai')[n % 5]} {n}",
         "email": f"member{n}@example.net", "password_hash": "x", "status": "active",
         "phone": f"+886 9{n * 7919 % 10**8:08d}", "tier_id": tier, "created_at": utcnow()} for n in range(count)])


def sent_by(work):
    """The statements (with their parameters) that work() sends."""
    sent = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        if not HARNESS.match(statement):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sent


def index_scans(node):
    found = [node["Index Name"]] if node.get("Node Type") == "Bitmap Index Scan" else []
    for child in node.get("Plans", []):
        found += index_scans(child)
    return found


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(("text", "indexes"), [
    ("lin", {"ix_members_name_email_trgm"}),
    ("mei lin", {"ix_members_name_email_trgm"}),
    ("member123@", {"ix_members_name_email_trgm"}),
    ("0912 345", {"ix_members_name_email_trgm", "ix_members_phone_digits_trgm"}),
    ("M000042", {"ix_members_name_email_trgm", "pk_members"}),
], ids=["name", "two words", "email", "phone", "member number"])
def test_the_search_reads_the_trigram_indexes(app, text, indexes):
    """The members a search matches are found through the indexes: every "contains" test by a
    Bitmap Index Scan on its trigram index (and the member number by the primary key), never a scan.

    The plan is of the search's condition (what the indexes serve): with sequential scans off on a
    small table, the page's own query would rather walk any index whole (the tier's) than sort.
    At 100,000 members the page's query reads these same indexes: bench/search.py prints the plans."""
    add_members(OTHERS)
    db.session.execute(text_sql("ANALYZE members"))
    assert len(sent_by(lambda: search.search_members(text))) == 2  # the number of matches (capped), the page
    condition, _number = search._matches(text)
    compiled = select(Member.id).where(condition).compile(dialect=db.engine.dialect)
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    shown = json.dumps(plan, indent=1)
    assert set(index_scans(plan[0]["Plan"])) == indexes, shown
    assert '"Seq Scan"' not in shown, shown


def test_a_search_that_matches_more_than_the_cap_walks_the_name_index_in_pages_of_the_same_order(app, monkeypatch):
    add_members(60)
    everyone_named_mei = search.search_members("mei", per_page=100).members  # 15, sorted by name
    monkeypatch.setattr(search, "COUNT_CAP", 10)
    pages = [search.search_members("mei", page=n, per_page=5) for n in (1, 2, 3)]
    assert [(p.capped, p.total, p.page, p.has_previous, p.has_next) for p in pages] == [
        (True, 10, 1, False, True), (True, 10, 2, True, True), (True, 10, 3, True, False)]
    assert [m.id for p in pages for m in p.members] == [m.id for m in everyone_named_mei]
    past = search.search_members("mei", page=9, per_page=5)  # the last page, as without the cap
    assert (past.page, [m.id for m in past.members]) == (3, [m.id for m in everyone_named_mei[10:]])
    few = search.search_members("lin", per_page=5)  # 12 matches, over the cap of 10: counted up to 11
    assert few.capped and few.has_next and len(few.members) == 5
    numbered = search.search_members(str(everyone_named_mei[-1].id), per_page=5)  # a member number: first
    assert numbered.members[0].id == everyone_named_mei[-1].id


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_search_matching_thousands_reads_a_page_of_the_name_index_not_every_match(app):
    """Over COUNT_CAP matches, the page is read from ix_members_name_order in order (an Index Scan
    with a Limit), not by sorting every match: "chen" in a fifth of 100,000 members took ~40 ms."""
    add_members(OTHERS)  # a fifth are "… Chen …": 600 matches, over a cap of 100
    db.session.execute(text_sql("ANALYZE members"))
    search.COUNT_CAP, cap = 100, search.COUNT_CAP
    try:
        sent = sent_by(lambda: search.search_members("chen", page=2))
    finally:
        search.COUNT_CAP = cap
    assert len(sent) == 2
    statement, parameters = sent[-1]
    plan = db.session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    shown = json.dumps(plan, indent=1)
    assert '"Index Name": "ix_members_name_order"' in shown and '"Node Type": "Sort"' not in shown, shown


def test_a_search_finds_its_members_and_a_page_past_the_end_shows_the_last(app):
    add_members(60)
    found = search.search_members("lin")  # 12 of the 60: "… Lin n"
    assert (found.total, found.page, found.pages, len(found.members)) == (12, 1, 1, 12)
    assert [member.name for member in found.members] == sorted(member.name for member in found.members)
    past = search.search_members("mei", page=9)  # 15: a page of 25, so page 1
    assert (past.total, past.page, past.pages, len(past.members)) == (15, 1, 1, 15)
    nothing = search.search_members("nobody-at-all")
    assert (nothing.total, nothing.page, nothing.pages, nothing.members) == (0, 1, 1, [])
    everyone = search.search_members("", page=3)
    assert everyone.page == everyone.pages == 3 and everyone.total == 60 and len(everyone.members) == 10


def test_0014_adds_the_search_indexes_and_takes_them_away(fresh_database, tmp_path):
    def indexes():  # read from the catalogue: SQLAlchemy's inspector skips indexes on expressions
        query = {"sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'members'",
                 "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename = 'members'"}[db.engine.dialect.name]
        names = set(db.session.execute(text_sql(query)).scalars())
        db.session.commit()
        return names

    def work():
        postgresql = db.engine.dialect.name == "postgresql"
        made = {"ix_members_name_order"} | (set(search.SEARCH_INDEXES) if postgresql else set())
        upgrade(revision="0013")
        before = indexes()
        assert not made & before
        upgrade(revision="0014")
        assert indexes() == before | made
        downgrade(revision="0013")
        assert indexes() == before
        upgrade()
        assert indexes() == before | made

    migrated(fresh_database, tmp_path, work)


def test_a_tiny_bench_run_times_the_searches():
    made = services.create_postgres_database()
    if made is None:
        services.unavailable("PostgreSQL at " + services.POSTGRES_URL)
    url, drop = made
    try:
        run = subprocess.run([sys.executable, "bench/search.py", "--database-url", url, "--members", "300",
                              "--repeat", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        drop()
    assert run.returncode == 0, run.stderr
    assert "300 members written with COPY" in run.stdout
    for kind in ("name", "email", "phone", "number", "all"):
        assert f"  {kind} " in run.stdout, run.stdout
    assert "ms budget" in run.stdout
