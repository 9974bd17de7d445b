"""tickets: members' feedback, complaints and consultations, their messages, pictures, status
history, SLA breaches and yearly numbering; staff's saved replies (three to start with)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 19:06:58.400873

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import portal.models


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saved_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_replies'))
    )
    op.create_table('ticket_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_ticket_counters'))
    )
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('redemption_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.Boolean(), nullable=False),
    sa.Column('first_response_due_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_responded_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_due_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paused_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_breached_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_breached_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('feedback', 'complaint', 'consultation')", name=op.f('ck_tickets_kind')),
    sa.CheckConstraint("status IN ('new', 'in_progress', 'waiting_on_member', 'resolved', 'closed')", name=op.f('ck_tickets_status')),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_users.id'], name=op.f('fk_tickets_assignee_id_staff_users')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_tickets_event_id_events')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_tickets_member_id_members')),
    sa.ForeignKeyConstraint(['redemption_id'], ['redemptions.id'], name=op.f('fk_tickets_redemption_id_redemptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index('ix_tickets_member_created', ['member_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_tickets_status_first_response_due', ['status', 'first_response_due_at'], unique=False)
        batch_op.create_index('ix_tickets_status_resolution_due', ['status', 'resolution_due_at'], unique=False)

    op.create_table('ticket_breaches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('clock', sa.String(length=16), nullable=False),
    sa.Column('due_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('noticed_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("clock IN ('first_response', 'resolution')", name=op.f('ck_ticket_breaches_clock')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_breaches_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_breaches')),
    sa.UniqueConstraint('ticket_id', 'clock', 'due_at', name='uq_ticket_breaches_once')
    )
    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_ticket_events_member_id_members')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_ticket_events_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_events_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('(member_id IS NULL) <> (staff_id IS NULL)', name=op.f('ck_ticket_messages_one_author')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_ticket_messages_member_id_members')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_ticket_messages_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_messages_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_messages'))
    )
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_messages_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['ticket_messages.id'], name=op.f('fk_ticket_attachments_message_id_ticket_messages')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_attachments_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_ticket_attachments_stored_name'))
    )
    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_attachments_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_attachments_ticket_id'), ['ticket_id'], unique=False)

    # Saved replies staff start with ({name} becomes the member's name); staff may change them.
    replies = sa.table('saved_replies', sa.column('title', sa.String), sa.column('body', sa.Text),
                       sa.column('created_at', sa.DateTime(timezone=True)))
    now = datetime.now(UTC) if op.get_bind().dialect.name != 'sqlite' else datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(replies, [
        {'title': 'Thanks, we are looking into it', 'created_at': now,
         'body': 'Dear {name},\n\nThank you for getting in touch. We have read your message and are looking '
                 'into it now; we will write again as soon as we know more.\n\nKind regards,\nCustomer service'},
        {'title': 'We need a few more details', 'created_at': now,
         'body': 'Dear {name},\n\nThank you for your message. To help you, we need a few more details: '
                 'the date, the store, and if you can, a photo of the receipt or the voucher. Reply here '
                 'and we will continue at once.\n\nKind regards,\nCustomer service'},
        {'title': 'Resolved: please confirm', 'created_at': now,
         'body': 'Dear {name},\n\nWe believe this is now resolved. If anything is still not right, reply '
                 'here and we will pick it up again; otherwise you can confirm the resolution on the '
                 'ticket page.\n\nKind regards,\nCustomer service'},
    ])

def downgrade():
    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_attachments_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_attachments_message_id'))

    op.drop_table('ticket_attachments')
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_messages_ticket_id'))

    op.drop_table('ticket_messages')
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_events_ticket_id'))

    op.drop_table('ticket_events')
    op.drop_table('ticket_breaches')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_status_resolution_due')
        batch_op.drop_index('ix_tickets_status_first_response_due')
        batch_op.drop_index(batch_op.f('ix_tickets_member_id'))
        batch_op.drop_index('ix_tickets_member_created')
        batch_op.drop_index('ix_tickets_assignee_status')

    op.drop_table('tickets')
    op.drop_table('ticket_counters')
    op.drop_table('saved_replies')
