"""member search trigrams: on PostgreSQL, pg_trgm's GIN indexes on the expressions the staff
member search reads with "contains" (portal/members/search.py): lower(name || ' ' || email) and
the phone's digits; a search of 100,000 members reads them, not the table. (SQLite's LIKE reads
the table, as before.)

On both: an index on (lower(name), id), the order of the list of members, so that its pages read
25 entries of it rather than sort every member. (A search's results sort by an expression that
index does not serve, see portal/members/search.py: walking it would read every member.)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# As portal.members.search._phone_digits() writes it, character for character.
PHONE_DIGITS = ("replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', ''), "
                "'+', ''), '.', '')")
INDEXES = {
    "ix_members_name_email_trgm": "lower(name || ' ' || email)",  # search._name_and_email()
    "ix_members_phone_digits_trgm": PHONE_DIGITS,
}


def upgrade():
    op.create_index("ix_members_name_order", "members", [sa.text("lower(name)"), "id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON members USING gin (({expression}) gin_trgm_ops)")


def downgrade():
    op.drop_index("ix_members_name_order", table_name="members")
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
    # The extension stays: other objects of the database may use it, and it costs nothing unused.
