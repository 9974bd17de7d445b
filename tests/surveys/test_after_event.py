"""Surveys sent automatically after event attendance: checking a member in invites them, about the
event, to every survey marked "After event attendance" that is not closed (once each)."""

from sqlalchemy import func, select

from portal.events import services as events
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.surveys.automatic import invite_attendee
from portal.surveys.models import Invitation, Survey
from tests.factories import make_event, make_member, make_staff, make_survey
from tests.helpers import login, post_form


def invitations(**where):
    return db.session.scalars(select(Invitation).filter_by(**where).order_by(Invitation.id)).all()


def test_checking_a_member_in_invites_them_to_each_after_event_survey_about_that_event(app):
    staff = make_staff("expansion")
    event, other_event = make_event("Tea tasting", staff=staff), make_event("Wine evening", staff=staff)
    after = make_survey("How was the event?", trigger="event_attended")
    also = make_survey("Second after-event survey", trigger="event_attended", status="sent")
    closed = make_survey("Old after-event survey", trigger="event_attended", status="closed")
    ticket = make_survey("How did we do?", trigger="ticket_resolved")
    manual = make_survey("Sent by hand")
    empty = make_survey("No questions yet", questions=[], trigger="event_attended")
    mei = make_member(name="Mei Lin")
    registration = events.register(mei, event)
    events.register(mei, other_event)
    outbox_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))

    events.check_in(registration, staff, event=event)

    asked = invitations(member_id=mei.id)
    assert [(i.survey_id, i.about_type, i.about_id) for i in asked] == [(after.id, "event", event.id),
                                                                        (also.id, "event", event.id)]
    assert all(i.emailed_at is not None for i in asked)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox_before + 2
    assert after.status == "sent" and after.frozen  # invite() sends the draft: its questions freeze
    for survey in (closed, ticket, manual, empty):
        assert invitations(survey_id=survey.id) == [], survey.title
    assert empty.status == "draft"

    # The same member at another event is asked again, about that event; the same event never twice.
    events.check_in(events.registration_for_member(other_event, mei.id), staff, event=other_event)
    invite_attendee(registration)
    assert sorted((i.survey_id, i.about_id) for i in invitations(member_id=mei.id)) == sorted(
        [(after.id, event.id), (also.id, event.id), (after.id, other_event.id), (also.id, other_event.id)])


def test_a_member_who_turned_survey_emails_off_is_checked_in_but_not_asked(app):
    staff = make_staff("expansion")
    event = make_event(staff=staff)
    make_survey("How was the event?", trigger="event_attended")
    quiet = make_member(name="Quiet Quinn", survey_emails=False)
    registration = events.check_in(events.register(quiet, event), staff, event=event)
    assert registration.checked_in_at is not None
    assert invitations(member_id=quiet.id) == []


def test_checking_in_at_the_desk_sends_the_after_event_survey_in_the_same_transaction(client):
    staff = make_staff("expansion", name="Eddie Events")
    event = make_event(staff=staff, attendance_points=50)
    survey = make_survey("How was the event?", trigger="event_attended")
    registration = events.register(make_member(name="Wai Chan"), event)
    db.session.commit()
    login(client, staff.email)
    response = post_form(client, f"/admin/events/{event.id}/check-in", {"registration": str(registration.id)},
                         page=f"/admin/events/{event.id}/check-in")
    assert response.status_code == 303
    [invitation] = invitations(survey_id=survey.id)
    assert (invitation.member_id, invitation.about_type, invitation.about_id) == (registration.member_id, "event",
                                                                                  event.id)
    assert db.session.get(Survey, survey.id).status == "sent"
