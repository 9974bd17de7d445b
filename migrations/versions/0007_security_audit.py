"""security audit (reserved for: security events in the audit log)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 08:00:00

"""
# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
