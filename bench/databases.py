"""The bench's PostgreSQL databases: drop one, or copy a seeded one for a run that writes.

    .venv/bin/python bench/databases.py drop postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench
    .venv/bin/python bench/databases.py copy .../portal_bench .../portal_bench_web
    .venv/bin/python bench/databases.py migrated .../portal_bench_jobs    # a new, empty, migrated one

A copy is PostgreSQL's CREATE DATABASE … TEMPLATE: seconds for the 100k-member data set, where
seeding again takes minutes. The web and scale-out benchmarks log in (and so write), and each gets
its own copy, so every run starts from the same data. The jobs benchmark makes and deletes its own
members, so it gets an empty migrated database (deleting members from the seeded one would check
every ticket message and event for each of them).
"""

import sys
from pathlib import Path

import sqlalchemy as sa


def _server(url):
    engine = sa.create_engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    return engine


def drop(url):
    name = sa.engine.make_url(url).database
    engine = _server(url)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def copy(source, target):
    drop(target)
    engine = _server(source)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{sa.engine.make_url(target).database}" '
                                   f'TEMPLATE "{sa.engine.make_url(source).database}"')
    engine.dispose()


def migrated(url):
    """A new, empty database with the portal's migrations applied."""
    drop(url)
    engine = _server(url)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{sa.engine.make_url(url).database}"')
    engine.dispose()
    from flask_migrate import upgrade

    from portal import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context():
        upgrade()
        from portal.extensions import db

        db.engine.dispose()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    command, *urls = sys.argv[1:]
    {"drop": drop, "copy": copy, "migrated": migrated}[command](*urls)
