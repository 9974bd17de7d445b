"""ticket queue: the resolution hours a ticket got when it was filed (a reopened ticket's clock
restarts with them, whatever the settings say since)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 20:30:00

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolution_hours', sa.Float(), nullable=True))
    # The tickets filed so far: the hours today's settings give their kind and priority (they were
    # filed under these settings unless someone changed them since; no older record exists).
    config = current_app.config
    op.get_bind().execute(sa.text(
        "UPDATE tickets SET resolution_hours = (CASE WHEN kind = 'complaint' THEN :complaint ELSE :other END)"
        " * (CASE WHEN priority THEN :factor ELSE 1 END)"),
        {"complaint": float(config["TICKET_COMPLAINT_HOURS"]), "other": float(config["TICKET_RESOLUTION_HOURS"]),
         "factor": float(config["TICKET_PRIORITY_FACTOR"])})
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('resolution_hours', existing_type=sa.Float(), nullable=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('resolution_hours')
