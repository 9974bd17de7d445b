"""surveys: surveys, questions, choices, dispatches, invitations, responses and answers; the default
"How did we do?" survey after a ticket is resolved; the one-click unsubscribe URL of an email

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 15:08:37.171264

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import portal.models


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('title_zh', sa.String(length=160), nullable=False),
    sa.Column('introduction', sa.Text(), nullable=False),
    sa.Column('introduction_zh', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('expiry_days', sa.Integer(), nullable=False),
    sa.Column('reminder_days', sa.Integer(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('trigger', sa.String(length=32), nullable=True),
    sa.Column('copied_from_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('first_sent_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'sent', 'closed')", name=op.f('ck_surveys_status')),
    sa.CheckConstraint("trigger IS NULL OR trigger IN ('ticket_resolved', 'event_attended')", name=op.f('ck_surveys_trigger')),
    sa.CheckConstraint('expiry_days > 0', name=op.f('ck_surveys_expiry_days')),
    sa.CheckConstraint('points >= 0', name=op.f('ck_surveys_points')),
    sa.CheckConstraint('reminder_days >= 0', name=op.f('ck_surveys_reminder_days')),
    sa.ForeignKeyConstraint(['copied_from_id'], ['surveys.id'], name=op.f('fk_surveys_copied_from_id_surveys')),
    sa.ForeignKeyConstraint(['created_by_staff_id'], ['staff_users.id'], name=op.f('fk_surveys_created_by_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys'))
    )
    op.create_table('survey_dispatches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('tier_ids', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('audience_size', sa.Integer(), nullable=False),
    sa.Column('left_out', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('finished_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("audience IN ('all', 'tiers', 'event')", name=op.f('ck_survey_dispatches_audience')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done')", name=op.f('ck_survey_dispatches_status')),
    sa.ForeignKeyConstraint(['created_by_staff_id'], ['staff_users.id'], name=op.f('fk_survey_dispatches_created_by_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_survey_dispatches_event_id_events')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_dispatches_survey_id_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_dispatches'))
    )
    with op.batch_alter_table('survey_dispatches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_dispatches_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('text_zh', sa.String(length=500), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('rating', 'nps', 'single_choice', 'multi_choice', 'text')", name=op.f('ck_survey_questions_kind')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_questions_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_questions'))
    )
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.create_index('ix_survey_questions_survey_position', ['survey_id', 'position'], unique=False)

    op.create_table('survey_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('label_zh', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_choices_question_id_survey_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_choices'))
    )
    with op.batch_alter_table('survey_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_choices_question_id'), ['question_id'], unique=False)

    op.create_table('survey_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('dispatch_id', sa.Integer(), nullable=True),
    sa.Column('about_type', sa.String(length=16), nullable=False),
    sa.Column('about_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('emailed_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_failed', sa.Boolean(), nullable=False),
    sa.Column('opened_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('points_entry_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['dispatch_id'], ['survey_dispatches.id'], name=op.f('fk_survey_invitations_dispatch_id_survey_dispatches')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_survey_invitations_member_id_members')),
    sa.ForeignKeyConstraint(['points_entry_id'], ['points_entries.id'], name=op.f('fk_survey_invitations_points_entry_id_points_entries')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_invitations_survey_id_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_invitations')),
    sa.UniqueConstraint('survey_id', 'member_id', 'about_type', 'about_id', name='uq_survey_invitations_once')
    )
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_survey_invitations_dispatch', ['dispatch_id', 'emailed_at'], unique=False)
        batch_op.create_index('ix_survey_invitations_member_created', ['member_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_invitations_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['survey_invitations.id'], name=op.f('fk_survey_responses_invitation_id_survey_invitations')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_responses_survey_id_surveys')),
    sa.ForeignKeyConstraint(['tier_id'], ['tiers.id'], name=op.f('fk_survey_responses_tier_id_tiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_survey_responses_invitation_id'))
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_responses_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('choice_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.CheckConstraint('number IS NULL OR (number >= 0 AND number <= 10)', name=op.f('ck_survey_answers_number')),
    sa.ForeignKeyConstraint(['choice_id'], ['survey_choices.id'], name=op.f('fk_survey_answers_choice_id_survey_choices')),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_answers_question_id_survey_questions')),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], name=op.f('fk_survey_answers_response_id_survey_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers'))
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index('ix_survey_answers_question', ['question_id', 'number'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_answers_response_id'), ['response_id'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unsubscribe_url', sa.String(length=500), nullable=True))

    # The default ticket-satisfaction survey (DESIGN.md: the programme's 1–10 satisfaction score),
    # editable like any other; the tickets feature sends it through invite() when a ticket is resolved.
    surveys = sa.table('surveys', sa.column('id', sa.Integer), sa.column('title', sa.String),
                       sa.column('title_zh', sa.String), sa.column('introduction', sa.Text),
                       sa.column('introduction_zh', sa.Text), sa.column('status', sa.String),
                       sa.column('points', sa.Integer), sa.column('expiry_days', sa.Integer),
                       sa.column('reminder_days', sa.Integer), sa.column('anonymous', sa.Boolean),
                       sa.column('trigger', sa.String), sa.column('created_at', sa.DateTime(timezone=True)))
    questions = sa.table('survey_questions', sa.column('id', sa.Integer), sa.column('survey_id', sa.Integer),
                         sa.column('position', sa.Integer), sa.column('kind', sa.String), sa.column('text', sa.String),
                         sa.column('text_zh', sa.String), sa.column('required', sa.Boolean))
    connection = op.get_bind()
    survey_id = connection.execute(sa.insert(surveys).values(
        title='How did we do?', title_zh='我們的服務如何？',
        introduction='Your ticket was resolved. Two quick questions help us do better.',
        introduction_zh='您的客服紀錄已處理完成。回答兩個簡短的問題，幫助我們做得更好。',
        status='draft', points=0, expiry_days=30, reminder_days=3, anonymous=False, trigger='ticket_resolved',
        created_at=datetime.now(UTC) if connection.dialect.name != 'sqlite' else datetime.now(UTC).replace(tzinfo=None),
    ).returning(surveys.c.id)).scalar_one()
    op.bulk_insert(questions, [
        {'survey_id': survey_id, 'position': 1, 'kind': 'rating', 'required': True,
         'text': 'How satisfied are you with how we handled your ticket?',
         'text_zh': '您對我們處理這筆客服紀錄的方式滿意嗎？'},
        {'survey_id': survey_id, 'position': 2, 'kind': 'text', 'required': False,
         'text': 'Anything you would like to tell us?', 'text_zh': '還有什麼想告訴我們的嗎？'},
    ])


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('unsubscribe_url')

    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answers_response_id'))
        batch_op.drop_index('ix_survey_answers_question')

    op.drop_table('survey_answers')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_responses_survey_id'))

    op.drop_table('survey_responses')
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_invitations_survey_id'))
        batch_op.drop_index('ix_survey_invitations_member_created')
        batch_op.drop_index('ix_survey_invitations_dispatch')

    op.drop_table('survey_invitations')
    with op.batch_alter_table('survey_choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_choices_question_id'))

    op.drop_table('survey_choices')
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_questions_survey_position')

    op.drop_table('survey_questions')
    with op.batch_alter_table('survey_dispatches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_dispatches_survey_id'))

    op.drop_table('survey_dispatches')
    op.drop_table('surveys')
