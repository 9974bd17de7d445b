"""ticket open queue: a partial index on the open tickets, in the queue's order (running_due_at,
id), with the columns its counts read (status, assignee_id, kind). The staff queue of all open
tickets sorted every open ticket to show the first hundred (ix_tickets_status_running_due is in
order within one status only): it now reads the first entries of this index, and the queue's
counts read it alone, however many tickets are closed.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 08:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'in_progress', 'waiting_on_member')"  # portal.tickets.models.OPEN_SQL


def upgrade():
    op.create_index("ix_tickets_open_queue", "tickets", ["running_due_at", "id", "status", "assignee_id", "kind"],
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    op.drop_index("ix_tickets_open_queue", table_name="tickets")
