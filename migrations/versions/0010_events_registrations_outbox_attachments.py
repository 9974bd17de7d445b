"""events and registrations; outbox attachments (calendar files)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:20:18.307882

"""
from alembic import op
import sqlalchemy as sa

import portal.models


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('title_zh', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('description_zh', sa.Text(), nullable=False),
    sa.Column('picture', sa.String(length=80), nullable=True),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('online_url', sa.String(length=500), nullable=False),
    sa.Column('venue', sa.String(length=120), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('starts_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('registration_opens_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('registration_closes_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('min_tier_id', sa.Integer(), nullable=True),
    sa.Column('attendance_points', sa.Integer(), nullable=False),
    sa.Column('cancel_cutoff_hours', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'published', 'cancelled')", name=op.f('ck_events_status')),
    sa.CheckConstraint('attendance_points >= 0', name=op.f('ck_events_attendance_points')),
    sa.CheckConstraint('cancel_cutoff_hours >= 0', name=op.f('ck_events_cancel_cutoff_hours')),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_events_capacity')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_events_ends_after_start')),
    sa.ForeignKeyConstraint(['min_tier_id'], ['tiers.id'], name=op.f('fk_events_min_tier_id_tiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_status_starts', ['status', 'starts_at'], unique=False)

    op.create_table('outbox_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'], name=op.f('fk_outbox_attachments_message_id_outbox_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachments'))
    )
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_attachments_message_id'), ['message_id'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('registered_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('queued_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('checked_in_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('points_entry_id', sa.Integer(), nullable=True),
    sa.Column('reminded_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('told_sequence', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled')", name=op.f('ck_registrations_status')),
    sa.ForeignKeyConstraint(['cancelled_by_staff_id'], ['staff_users.id'], name=op.f('fk_registrations_cancelled_by_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['checked_in_by_staff_id'], ['staff_users.id'], name=op.f('fk_registrations_checked_in_by_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_registrations_event_id_events')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_registrations_member_id_members')),
    sa.ForeignKeyConstraint(['points_entry_id'], ['points_entries.id'], name=op.f('fk_registrations_points_entry_id_points_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('event_id', 'member_id', name='uq_registrations_one_per_member')
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index('ix_registrations_event_status_queued', ['event_id', 'status', 'queued_at'], unique=False)
        batch_op.create_index('ix_registrations_member_registered', ['member_id', 'registered_at'], unique=False)



def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_member_registered')
        batch_op.drop_index('ix_registrations_event_status_queued')

    op.drop_table('registrations')
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_attachments_message_id'))

    op.drop_table('outbox_attachments')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_status_starts')

    op.drop_table('events')
