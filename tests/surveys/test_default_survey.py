"""The default "How did we do?" ticket survey that migration 0011 makes, and the test harness keeping it
when it deletes the rows that tests committed."""

from sqlalchemy import select

from portal.extensions import db
from portal.surveys import services
from portal.surveys.models import Invitation, Survey
from tests.factories import make_member
from tests.helpers import delete_committed_rows


def default_survey():
    return db.session.scalars(select(Survey).where(Survey.trigger == "ticket_resolved")).all()


def test_the_migration_makes_the_default_ticket_survey_with_its_two_questions(app):
    [survey] = default_survey()
    assert (survey.title, survey.title_zh) == ("How did we do?", "我們的服務如何？")
    assert survey.introduction and survey.introduction_zh
    assert (survey.status, survey.points, survey.expiry_days, survey.reminder_days, survey.anonymous) == (
        "draft", 0, 30, 3, False)
    rating, comment = survey.questions
    assert (rating.kind, rating.required, rating.position) == ("rating", True, 1)
    assert rating.text == "How satisfied are you with how we handled your ticket?" and rating.text_zh
    assert (comment.kind, comment.required, comment.position) == ("text", False, 2)
    assert comment.text == "Anything you would like to tell us?" and comment.text_zh


def test_deleting_committed_rows_keeps_the_default_survey_as_the_migration_made_it(committing_app):
    with committing_app.app_context():
        [survey] = default_survey()
        made = (survey.id, [(q.id, q.kind, q.text) for q in survey.questions])
        services.invite(make_member(), survey, email=False)  # it is "sent" now
        survey.title = "Changed by a test"
        db.session.add(Survey(title="A test's own survey"))
        db.session.commit()

        delete_committed_rows()

        [kept] = db.session.scalars(select(Survey)).all()
        assert (kept.id, [(q.id, q.kind, q.text) for q in kept.questions]) == made
        assert (kept.title, kept.status, kept.first_sent_at) == ("How did we do?", "draft", None)
        assert db.session.scalars(select(Invitation)).all() == []
