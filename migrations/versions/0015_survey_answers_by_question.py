"""survey answers by question: the results page counts a survey's answers from one index on
(question_id, response_id, number, choice_id), read alone (an index-only scan of a few thousand
entries), where it used to join the survey's responses to every answer of every survey (a
sequential scan of the answers: ~100 ms a query at a million answers). It replaces the index on
(question_id, number), which it serves too.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_survey_answers_question_response", "survey_answers",
                    ["question_id", "response_id", "number", "choice_id"])
    op.drop_index("ix_survey_answers_question", table_name="survey_answers")


def downgrade():
    op.create_index("ix_survey_answers_question", "survey_answers", ["question_id", "number"])
    op.drop_index("ix_survey_answers_question_response", table_name="survey_answers")
