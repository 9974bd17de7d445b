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
