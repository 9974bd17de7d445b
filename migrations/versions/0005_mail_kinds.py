"""mail kinds and notification links

Every outbox message says what kind of email it is; security emails (verification, password
reset, "you already have an account") never become notifications, so the copies that earlier
versions made are deleted here. Notifications get a labelled link instead of raw URLs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

KINDS = ("security", "account", "marketing", "survey", "reminder")


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='account'))
        batch_op.create_check_constraint('kind', f"kind IN {KINDS!r}")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('link_label', sa.String(length=120), nullable=True))
    op.execute("UPDATE outbox_messages SET kind = 'security' "
               "WHERE template IN ('verify_email', 'reset_password', 'signup_exists')")
    op.execute("UPDATE outbox_messages SET kind = 'marketing' WHERE template = 'birthday'")
    op.execute("DELETE FROM notifications WHERE template IN ('verify_email', 'reset_password', 'signup_exists')")


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('link_label')
        batch_op.drop_column('link')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind'), type_='check')
        batch_op.drop_column('kind')
