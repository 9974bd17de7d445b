"""bench/databases.py, which `make bench` uses to give each run that writes its own copy of the
seeded database: a copy has the source's rows, and both are dropped again."""

import uuid

import sqlalchemy as sa

from tests import services
from tests.helpers import ROOT


def load_databases_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_databases", ROOT / "bench" / "databases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_copy_has_the_seeded_rows_and_both_are_dropped():
    made = services.create_postgres_database()
    if made is None:
        services.unavailable("PostgreSQL at " + services.POSTGRES_URL)
    source, drop_source = made
    databases = load_databases_module()
    target = sa.engine.make_url(source).set(database=f"portal_test_copy_{uuid.uuid4().hex[:8]}")
    target = target.render_as_string(hide_password=False)
    try:
        engine = sa.create_engine(source)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE seeded (n integer)")
            connection.exec_driver_sql("INSERT INTO seeded VALUES (1), (2)")
        engine.dispose()
        databases.copy(source, target)
        copied = sa.create_engine(target)
        with copied.connect() as connection:
            assert connection.exec_driver_sql("SELECT sum(n) FROM seeded").scalar() == 3
        copied.dispose()
    finally:
        databases.drop(target)
        drop_source()
    server = sa.create_engine(sa.engine.make_url(source).set(database="postgres"))
    with server.connect() as connection:
        names = set(connection.exec_driver_sql("SELECT datname FROM pg_database").scalars())
    server.dispose()
    assert sa.engine.make_url(target).database not in names


def test_a_migrated_database_is_new_empty_and_at_the_latest_revision():
    made = services.create_postgres_database()
    if made is None:
        services.unavailable("PostgreSQL at " + services.POSTGRES_URL)
    url, drop = made
    databases = load_databases_module()
    try:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE left_over (n integer)")
        engine.dispose()
        databases.migrated(url)  # drops what was there, makes it anew
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            tables = set(connection.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").scalars())
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            members = connection.exec_driver_sql("SELECT count(*) FROM members").scalar()
        engine.dispose()
    finally:
        drop()
    heads = sorted(path.name.split("_")[0] for path in (ROOT / "migrations" / "versions").glob("0*.py"))
    assert "left_over" not in tables and "members" in tables
    assert (revision, members) == (heads[-1], 0)
