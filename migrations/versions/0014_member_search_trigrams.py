"""member search trigrams: on PostgreSQL, pg_trgm's GIN indexes on the expressions the staff member
search reads with "contains" (portal/members/search.py): lower(name), lower(email) and the phone's
digits; so a search of 100,000 members reads the index, not the table. SQLite: nothing (its LIKE
reads the table, as before).

No index on lower(name) for the results' order: with one, PostgreSQL walks it in order and filters
every member (0.65 s at 100,000 members) rather than sorting the few thousand the trigrams find.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# As portal.members.search._phone_digits() writes it, character for character.
PHONE_DIGITS = ("replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', ''), "
                "'+', ''), '.', '')")
INDEXES = {
    "ix_members_name_trgm": "lower(name)",
    "ix_members_email_trgm": "lower(email)",
    "ix_members_phone_digits_trgm": PHONE_DIGITS,
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON members USING gin (({expression}) gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
    # The extension stays: other objects of the database may use it, and it costs nothing unused.
