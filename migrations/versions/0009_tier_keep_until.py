"""tier keep until: a staff tier change holds against the monthly review until a day

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 08:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keep_until', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.drop_column('keep_until')
