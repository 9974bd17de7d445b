"""ledger reasons (reserved for: reason codes in the ledger and tier history)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 08:00:00

"""
# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
