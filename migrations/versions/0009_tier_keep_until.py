"""tier keep until (reserved for: staff tier changes kept until a date)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 08:00:00

"""
# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
