"""What surveys add to the member's timeline and to the reasons on ledger rows.

Members does not import surveys: create_app() calls register() once the features are loaded.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, select

from portal.members import reasons, timeline
from portal.surveys.models import Invitation, Survey


def answered_query(member_id, limit):
    """The member's latest answered surveys, at the time they answered."""
    return (
        select(Invitation.answered_at.label("when"), timeline.constant("survey").label("source"),
               timeline.constant("answered").label("kind"), timeline.no_value(Integer).label("amount"),
               timeline.constant("survey").label("reason_code"),
               timeline.no_value(JSON).label("reason_params"), timeline.constant("").label("reason"),
               Invitation.survey_id.label("ref_id"), Invitation.id.label("row_id"))
        .where(Invitation.member_id == member_id, Invitation.answered_at.is_not(None))
        .order_by(Invitation.answered_at.desc(), Invitation.id.desc()).limit(limit)
    )


def survey_names(ids):
    """The titles of the surveys that a page's reasons name (members/reasons.py runs it)."""
    return select(Survey.id.label("key"), Survey.title.label("name"), Survey.title_zh.label("name_zh")) \
        .where(Survey.id.in_(ids))


def register():
    """Add answered surveys to the timeline, and surveys' titles to the ledger's reasons ("survey")."""
    timeline.register_source("survey", answered_query, lambda row: _l("Answered a survey"),
                             params=lambda row: {"survey_id": row.ref_id})
    reasons.register_subject("survey", survey_names, param="survey_id")
    reasons.register_text("survey", lambda p: p["survey_id"])
