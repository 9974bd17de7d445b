"""ticket queue: the resolution hours a ticket got when it was filed (a reopened ticket's clock
restarts with them, whatever the settings say since); the due time of the running clock, which
the staff queue sorts and filters by, with its index (which replaces the two on status and each
clock's due time: the running one is what the queue and its counts read)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 20:30:00

"""
from pathlib import Path

from alembic import op
import sqlalchemy as sa
from flask import current_app

import portal.models


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        # (a server default: SQLite adds a NOT NULL column only with one, and without copying the table)
        batch_op.add_column(sa.Column('resolution_hours', sa.Float(), nullable=False, server_default='0'))
    # The tickets filed so far: the hours today's settings give their kind and priority (they were
    # filed under these settings unless someone changed them since; no older record exists).
    config = current_app.config
    op.get_bind().execute(sa.text(
        "UPDATE tickets SET resolution_hours = (CASE WHEN kind = 'complaint' THEN :complaint ELSE :other END)"
        " * (CASE WHEN priority THEN :factor ELSE 1 END)"),
        {"complaint": float(config["TICKET_COMPLAINT_HOURS"]), "other": float(config["TICKET_RESOLUTION_HOURS"]),
         "factor": float(config["TICKET_PRIORITY_FACTOR"])})
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('running_due_at', portal.models.UTCDateTime(timezone=True), nullable=True))
    # The running clock of each open ticket that is not paused (as services.track_running_due sets it).
    op.execute(
        "UPDATE tickets SET running_due_at = CASE WHEN first_responded_at IS NULL THEN first_response_due_at"
        " ELSE resolution_due_at END"
        " WHERE status IN ('new', 'in_progress', 'waiting_on_member') AND paused_at IS NULL")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_status_running_due', ['status', 'running_due_at'], unique=False)
        batch_op.drop_index('ix_tickets_status_resolution_due')
        batch_op.drop_index('ix_tickets_status_first_response_due')
    # Pictures stored before now sit in UPLOAD_DIR itself, where the public /pictures route serves
    # them: move them to UPLOAD_DIR/tickets, the only folder the tickets routes read.
    _move_pictures(Path(current_app.config["UPLOAD_DIR"]), Path(current_app.config["UPLOAD_DIR"]) / "tickets")


def _move_pictures(source, target):
    names = op.get_bind().execute(sa.text("SELECT stored_name FROM ticket_attachments")).scalars().all()
    for name in names:
        if "/" in name or "\\" in name or not (source / name).is_file():
            continue
        target.mkdir(parents=True, exist_ok=True)
        (source / name).replace(target / name)


def downgrade():
    _move_pictures(Path(current_app.config["UPLOAD_DIR"]) / "tickets", Path(current_app.config["UPLOAD_DIR"]))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_status_first_response_due', ['status', 'first_response_due_at'], unique=False)
        batch_op.create_index('ix_tickets_status_resolution_due', ['status', 'resolution_due_at'], unique=False)
        batch_op.drop_index('ix_tickets_status_running_due')
        batch_op.drop_column('running_due_at')
        batch_op.drop_column('resolution_hours')
