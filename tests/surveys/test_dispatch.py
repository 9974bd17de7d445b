"""Sending a survey by hand: the audiences and who is left out, one invitation per member however
often it is sent, the progress counts, and the Send page (roles, bad input, polling that stops)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from jobs.queues import PENDING
from portal.audit.models import AuditEntry
from portal.events import services as events
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members.models import Tier
from portal.models import utcnow
from portal.surveys import dispatch as sending
from portal.surveys.models import Dispatch, Invitation, Question, Survey
from tests.factories import make_event, make_member, make_staff
from tests.helpers import as_staff, html, login, post_form


def survey_make(title="Member satisfaction 2026", trigger=None, questions=True):
    """A draft survey with one rating question (or none), flushed."""
    survey = Survey(title=title, trigger=trigger)
    if questions:
        survey.questions = [Question(kind="rating", text="How satisfied are you?", position=1)]
    db.session.add(survey)
    db.session.flush()
    return survey


def tier_id(code):
    return db.session.scalar(select(Tier.id).where(Tier.code == code))


def invitations_of(survey):
    return db.session.scalars(select(Invitation).where(Invitation.survey_id == survey.id)
                              .order_by(Invitation.member_id)).all()


def pending_runs():
    return [args for func, args, *_ in db.session.info.get(PENDING, []) if func == sending.RUN_JOB]


def queued_dispatch(survey, audience="all", tier_ids=()):
    """A committed dispatch whose job has not run (without Redis, jobs run inline at the commit)."""
    dispatch = sending.start_dispatch(survey, audience, tier_ids)
    db.session.info.pop(PENDING, None)
    db.session.commit()
    return dispatch


@pytest.fixture
def people(app):
    """Members of every kind: who is in which audience and who is left out."""
    made = {
        "ann": make_member(name="Ann Regular"),
        "gil": make_member(name="Gil Gold", tier="gold"),
        "quiet": make_member(name="Quinn Quiet", tier="gold", survey_emails=False),
        "pending": make_member(name="Pat Pending", status="pending"),
        "closed": make_member(name="Cleo Closed", status="closed"),
    }
    return made


def attended_event(members, absent=()):
    """A past event the `members` were checked in at; `absent` registered but not checked in."""
    staff = make_staff("expansion")
    event = make_event("Spring tasting", staff=staff, starts_at=utcnow() + timedelta(hours=1))
    for member in (*members, *absent):
        events.register(member, event)
    event.starts_at = utcnow() - timedelta(hours=1)  # it has started: check-in is open
    db.session.flush()
    for registration in events.registrations(event):
        if registration.member in members:
            events.check_in(registration, staff, event=event)
    return event


# ---- audiences ---------------------------------------------------------------------------------

def test_audiences_count_active_members_and_those_left_out(people):
    everyone = sending.audience_size("all")
    gold = sending.audience_size("tiers", [tier_id("gold")])
    both = sending.audience_size("tiers", [tier_id("gold"), tier_id("regular")])
    assert (gold.members, gold.left_out, gold.invited) == (2, 1, 1)
    assert both.members == everyone.members and everyone.left_out >= 1
    assert sending.audience_size("tiers", []) == sending.AudienceSize(0, 0)

    event = attended_event([people["ann"], people["quiet"]], absent=[people["gil"]])
    attendees = sending.audience_size("event", event_id=event.id)
    assert (attendees.members, attendees.left_out, attendees.invited) == (2, 1, 1)
    assert event in sending.past_events()


def test_a_dispatch_invites_the_audience_once_and_leaves_out_who_turned_survey_emails_off(people):
    survey = survey_make()
    staff = make_staff("operations")
    dispatch = sending.start_dispatch(survey, "tiers", [tier_id("gold")], staff=staff)
    assert (dispatch.audience_size, dispatch.left_out, dispatch.status) == (2, 1, "queued")
    assert pending_runs() == [(dispatch.id,)]  # the job runs once this commits
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "survey.send")).all()
    assert entry.after["members"] == 2 and entry.after["left_out"] == 1 and entry.actor_staff_id == staff.id

    db.session.commit()  # without Redis the job runs at once
    assert [i.member_id for i in invitations_of(survey)] == [people["gil"].id]
    assert db.session.get(Survey, survey.id).status == "sent"
    assert sending.run_dispatch(dispatch.id) is None  # done: a second run does nothing
    progress = sending.progress(dispatch)
    assert (progress.invited, progress.emailed, progress.failed, progress.left_out, progress.done) == (1, 1, 0, 1, True)
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.member_id == people["gil"].id)).all()
    assert message.template == "survey_invitation" and message.subject.endswith("Member satisfaction 2026")


def test_sending_twice_never_invites_twice(people):
    survey = survey_make()
    first = queued_dispatch(survey, "tiers", [tier_id("gold")])
    assert sending.run_dispatch(first.id, size=1) == {"invited": 1, "batches": 1}
    second = queued_dispatch(survey, "all")
    result = sending.run_dispatch(second.id, size=1)
    invited = invitations_of(survey)
    assert len(invited) == len({i.member_id for i in invited})
    assert {i.member_id for i in invited} >= {people["ann"].id, people["gil"].id}
    assert people["gil"].id not in {i.member_id for i in invited if i.dispatch_id == second.id}
    assert result["invited"] == sending.progress(second).invited == len(invited) - 1
    for ghost in ("quiet", "pending", "closed"):
        assert people[ghost].id not in {i.member_id for i in invited}, ghost
    emails = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                               .where(OutboxMessage.template == "survey_invitation"))
    assert emails == len(invited)


def test_a_run_again_after_a_crash_finishes_without_a_second_email(people):
    survey = survey_make()
    dispatch = queued_dispatch(survey)
    # A first run died after inviting and emailing Ann only.
    dispatch.status = "running"
    ann_invitation = sending.services.invite(people["ann"], survey, dispatch=dispatch, email=False)
    sending._email(ann_invitation, utcnow())
    db.session.commit()
    sending.run_dispatch(dispatch.id, size=2)
    for invitation in invitations_of(survey):
        count = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.member_id == invitation.member_id, OutboxMessage.template == "survey_invitation"))
        assert count == 1 and invitation.emailed_at is not None


def test_progress_counts_failed_emails(people):
    survey = survey_make()
    dispatch = sending.start_dispatch(survey, "all")
    db.session.commit()
    ann, gil = (db.session.scalar(select(Invitation).where(Invitation.member_id == people[name].id))
                for name in ("ann", "gil"))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.member_id == ann.member_id).values(status="failed"))
    gil.email_failed = True
    db.session.flush()
    progress = sending.progress(dispatch)
    assert progress.failed == 2 and progress.emailed == progress.invited


def test_a_survey_with_a_trigger_closed_or_empty_is_not_sent_by_hand(people):
    for survey, code in ((survey_make(trigger="ticket_resolved"), "trigger"), (survey_make(questions=False),
                                                                               "no_questions")):
        with pytest.raises(sending.DispatchRefused) as refused:
            sending.start_dispatch(survey, "all")
        assert refused.value.code == code
    closed = survey_make()
    closed.status = "closed"
    with pytest.raises(sending.DispatchRefused):
        sending.start_dispatch(closed, "all")
    assert db.session.scalar(select(func.count()).select_from(Dispatch)) == 0


# ---- the Send page ---------------------------------------------------------------------------------

def test_operations_check_the_audience_then_send_and_follow_the_progress(client, people):
    survey = survey_make()
    db.session.commit()
    as_staff(client, "operations")
    page = html(client.get(f"/admin/surveys/{survey.id}/send"))
    assert "All active members" in page and "Chosen tiers" in page and "Attendees of an event" in page
    assert "Will be invited" in page and "Left out (survey emails off)" in page

    check = post_form(client, f"/admin/surveys/{survey.id}/send",
                      {"audience": "tiers", "tiers": str(tier_id("gold")), "check": "1"},
                      headers={"HX-Request": "true"})
    fragment = html(check)
    assert check.status_code == 200 and 'id="audience-size"' in fragment and "<html" not in fragment
    assert re.search(r"Will be invited</dt><dd>1<", fragment) and re.search(r"survey emails off\)</dt><dd>1<", fragment)
    assert db.session.scalar(select(func.count()).select_from(Dispatch)) == 0  # checking sends nothing

    sent = post_form(client, f"/admin/surveys/{survey.id}/send",
                     {"audience": "tiers", "tiers": str(tier_id("gold"))})
    [dispatch] = db.session.scalars(select(Dispatch)).all()
    assert sent.status_code == 303
    assert sent.headers["Location"] == f"/admin/surveys/{survey.id}/send/{dispatch.id}"
    page = html(client.get(sent.headers["Location"]))
    for label in ("Invited", "Emailed", "Failed", "Left out (survey emails off)"):
        assert label in page
    # without Redis the job ran at the commit: it is done, and the counts stop polling
    finished = client.get(sent.headers["Location"], headers={"HX-Request": "true"})
    assert "hx-trigger" not in html(finished) and "Done" in html(finished)  # polling stops
    assert re.search(r"Invited</dt><dd>1<", html(finished))


@pytest.mark.parametrize("data, message", [
    ({"audience": "tiers"}, "Choose at least one tier."),
    ({"audience": "tiers", "tiers": "999"}, "Choose tiers from the list."),
    ({"audience": "event"}, "Choose the event whose attendees receive the survey."),
    ({"audience": "event", "event": "999"}, "Choose an event from the list."),
    ({"audience": "everyone"}, "Not a valid choice"),
    ({}, "Choose who receives the survey."),
])
def test_bad_input_on_the_send_page_sends_nothing(client, people, data, message):
    survey = survey_make()
    db.session.commit()
    as_staff(client, "operations")
    response = post_form(client, f"/admin/surveys/{survey.id}/send", data)
    assert response.status_code == 422 and message in html(response)
    assert db.session.scalar(select(func.count()).select_from(Dispatch)) == 0


def test_the_progress_polls_while_the_dispatch_runs(client, people):
    survey = survey_make()
    dispatch = queued_dispatch(survey)
    as_staff(client, "service")
    url = f"/admin/surveys/{survey.id}/send/{dispatch.id}"
    page = html(client.get(url))
    assert 'hx-trigger="every 2s"' in page and "Sending…" in page
    polling = client.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in html(polling) and "<html" not in html(polling)
    assert "HX-Request" in polling.headers["Vary"]
    sending.run_dispatch(dispatch.id)
    assert "hx-trigger" not in html(client.get(url, headers={"HX-Request": "true"}))


def test_an_upcoming_events_attendees_cannot_be_chosen(client, people):
    survey = survey_make()
    upcoming = make_event("Calligraphy workshop")
    db.session.commit()
    as_staff(client, "operations")
    assert "Calligraphy workshop" not in html(client.get(f"/admin/surveys/{survey.id}/send"))
    response = post_form(client, f"/admin/surveys/{survey.id}/send", {"audience": "event", "event": str(upcoming.id)})
    assert response.status_code == 422 and "Choose an event from the list." in html(response)


def test_a_survey_with_a_trigger_says_why_it_is_not_sent_by_hand(client, people):
    survey = survey_make(title="How did we do?", trigger="ticket_resolved")
    db.session.commit()
    as_staff(client, "operations")
    page = html(client.get(f"/admin/surveys/{survey.id}/send"))
    assert "sent automatically" in page and 'class="primary">Send<' not in page
    response = post_form(client, f"/admin/surveys/{survey.id}/send", {"audience": "all"},
                         page=f"/admin/surveys/{survey.id}/send")
    assert response.status_code == 422 and "it is not sent by hand" in html(response)
    assert db.session.scalar(select(func.count()).select_from(Dispatch)) == 0


def test_roles_service_reads_the_progress_only_members_and_expansion_nothing(client, people):
    survey = survey_make()
    other = survey_make(title="Another")
    dispatch = queued_dispatch(survey)
    send_url, progress_url = f"/admin/surveys/{survey.id}/send", f"/admin/surveys/{survey.id}/send/{dispatch.id}"

    as_staff(client, "service")
    assert client.get(progress_url).status_code == 200
    page = html(client.get(send_url))
    assert "Only operations staff send surveys" in page and "Check audience" not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"|csrf_token" type="hidden" value="([^"]+)"',
                      html(client.get("/admin/account")))
    assert client.post(send_url, data={"audience": "all", "csrf_token": token.group(1) or token.group(2)}
                       ).status_code == 403
    assert client.get(f"/admin/surveys/{other.id}/send/{dispatch.id}").status_code == 404
    assert client.get(f"/admin/surveys/{survey.id}/send/{dispatch.id + 1000}").status_code == 404
    assert client.get("/admin/surveys/999999/send").status_code == 404

    client.post("/logout", data={"csrf_token": token.group(1) or token.group(2)})
    as_staff(client, "expansion")
    assert client.get(send_url).status_code == 403 and client.get(progress_url).status_code == 403

    member_client = client.application.test_client()
    login(member_client, people["ann"].email)
    assert member_client.get(send_url).status_code == 403 and member_client.get(progress_url).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Dispatch)) == 1
