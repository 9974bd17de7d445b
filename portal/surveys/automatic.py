"""Surveys sent automatically: after event attendance, each survey marked "event_attended" goes to
the member staff just checked in.

Events does not import surveys: create_app() calls register(), which hands invite_attendee() to
the events services' check-in hook.
"""

from sqlalchemy import select

from portal.events import services as events
from portal.extensions import db
from portal.surveys.models import Question, Survey
from portal.surveys.services import invite


def after_event_surveys():
    """The surveys to send after event attendance: marked so, not closed, with at least one question."""
    return db.session.scalars(
        select(Survey).where(Survey.trigger == "event_attended", Survey.status != "closed",
                             select(Question.id).where(Question.survey_id == Survey.id).exists())
        .order_by(Survey.id)).all()


def invite_attendee(registration):
    """Invite the checked-in member to every after-event survey, about the event (once each)."""
    for survey in after_event_surveys():
        invite(registration.member, survey, about=registration.event)


def register():
    """Send the after-event surveys when staff check a member in."""
    events.after_check_in(invite_attendee)
