from decimal import Decimal

from sqlalchemy import func, select

from portal.auth.models import StaffUser
from portal.demo import GUESTS, SURVEY_MEMBERS, SURVEY_TITLE
from portal.events import services as events
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members import ledger
from portal.members.models import Member, PointsEntry
from portal.models import utcnow
from portal.surveys import results
from portal.surveys.models import Invitation, Response, Survey
from portal.tickets import services as tickets
from portal.tickets.models import Ticket, TicketBreach
from tests.helpers import as_staff, html, login


def test_seed_demo_creates_the_accounts_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "mei@example.com" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "already present" in second.output
    roles = dict(db.session.execute(select(StaffUser.email, StaffUser.role)).all())
    assert roles == {"lead@example.com": "admin", "service@example.com": "service",
                     "ops@example.com": "operations", "expansion@example.com": "expansion"}
    # the guests fill an event, the others answer the survey
    assert db.session.scalar(select(func.count()).select_from(Member)) == 1 + len(GUESTS) + SURVEY_MEMBERS
    mei = db.session.scalar(select(Member).where(Member.email == "mei@example.com"))
    assert (mei.name, mei.status) == ("Mei Lin", "active")


def test_mei_has_eighteen_months_of_believable_history(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    mei = db.session.scalar(select(Member).where(Member.email == "mei@example.com"))
    entries = db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == mei.id)
                                 .order_by(PointsEntry.created_at)).all()
    assert len(entries) >= 45
    assert {"purchase", "adjustment", "expiry"} <= {e.kind for e in entries}
    assert (entries[-1].created_at - entries[0].created_at).days >= 17 * 30
    assert mei.points_balance == ledger.ledger_balance(mei.id) > 0 and ledger.reconcile() == []
    assert mei.tier.code == "silver"  # her home shows progress towards Gold
    assert ledger.expiring_soon(mei)  # and points that expire soon
    everyone = db.session.scalar(select(func.count()).select_from(PointsEntry))
    app.test_cli_runner().invoke(args=["seed-demo"])
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == everyone
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)
                             .where(PointsEntry.member_id == mei.id)) == len(entries)


def test_the_demo_accounts_log_in_with_the_demo_password(app, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    assert login(client, "mei@example.com").headers["Location"] == "/"
    other = app.test_client()
    assert login(other, "lead@example.com").headers["Location"] == "/admin/"


def test_seed_demo_is_refused_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "refused" in result.output
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_db_empty_tells_make_run_whether_to_seed(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db-empty"]).exit_code == 0
    runner.invoke(args=["seed-demo"])
    assert runner.invoke(args=["db-empty"]).exit_code == 1


def test_six_events_past_and_upcoming_and_mei_registered_and_attended(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    now = utcnow()
    every = db.session.scalars(select(Event).order_by(Event.starts_at)).all()
    assert len(every) == 6 and {e.status for e in every} == {"published"}
    assert all(e.title and e.title_zh and e.description and e.description_zh for e in every)
    past = [e for e in every if e.ends_at <= now]
    upcoming = [e for e in every if e.starts_at > now]
    assert len(past) >= 2 and len(upcoming) >= 3
    assert {e.online for e in past} == {True, False} and {e.online for e in upcoming} == {True, False}
    assert all(e.online_url for e in every if e.online) and all(e.venue and e.address for e in every if not e.online)
    [gold_only] = [e for e in every if e.min_tier is not None]
    assert gold_only.min_tier.code == "gold" and gold_only in upcoming
    counts = events.counts_for(every)
    [full] = [e for e in every if counts[e.id].waitlisted]
    assert full in upcoming and counts[full.id].places_left(full) == 0 and counts[full.id].waitlisted >= 1

    mei = db.session.scalar(select(Member).where(Member.email == "mei@example.com"))
    soon, attended = events.my_registrations(mei, now=now)
    assert len(soon) == 1 and soon[0].status == "confirmed" and soon[0].event in upcoming
    [went] = attended
    assert went.event in past and went.attended and went.checked_in_by.role == "operations"
    assert went.registered_at < went.event.starts_at < went.checked_in_at  # dated when it happened
    entry = db.session.get(PointsEntry, went.points_entry_id)
    assert (entry.kind, entry.amount, entry.reason_params) == \
        ("event_attendance", went.event.attendance_points, {"event_id": went.event.id})
    assert entry.created_at == went.checked_in_at
    assert mei.points_balance == ledger.ledger_balance(mei.id) and ledger.reconcile() == []
    assert events.why_not(gold_only, mei).code == "tier"  # Mei is Silver

    app.test_cli_runner().invoke(args=["seed-demo"])  # nothing added twice
    assert db.session.scalar(select(func.count()).select_from(Event)) == 6
    assert db.session.scalar(select(func.count()).select_from(Registration)
                             .where(Registration.member_id == mei.id)) == 2


def test_a_sent_satisfaction_survey_with_about_forty_answers_and_mei_yet_to_answer(app, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    [survey] = db.session.scalars(select(Survey).where(Survey.title == SURVEY_TITLE)).all()
    assert survey.status == "sent" and survey.title_zh and survey.introduction_zh and not survey.anonymous
    assert [q.kind for q in survey.questions] == ["rating", "nps", "single_choice", "multi_choice", "text"]
    assert all(q.text_zh for q in survey.questions) and all(c.label_zh for q in survey.questions for c in q.choices)
    found = results.survey_results(survey)
    assert 35 <= found.answered <= 45 and found.invited > found.opened > found.answered
    assert Decimal("85") <= found.satisfaction <= Decimal("90") and found.target_met is False
    rating, nps, store, wishes, comment = found.questions
    assert len({bar.number for bar in rating.bars if bar.count}) >= 4  # a spread, not one score
    assert nps.promoters and nps.passives and nps.detractors and nps.nps > 0
    assert all(bar.count for bar in store.bars) and wishes.answered and len(comment.texts) >= 10
    languages = set(db.session.scalars(select(Response.language).where(Response.survey_id == survey.id)))
    assert languages == {"en", "zh_Hant"}
    assert len({r.tier_id for r in db.session.scalars(select(Response).where(Response.survey_id == survey.id))}) >= 3

    mei = db.session.scalar(select(Member).where(Member.email == "mei@example.com"))
    [invitation] = db.session.scalars(select(Invitation).where(Invitation.member_id == mei.id,
                                                               Invitation.about_type == "")).all()
    assert invitation.survey_id == survey.id and invitation.answered_at is None and invitation.expires_at > utcnow()

    as_staff(client, "operations")
    page = html(client.get(f"/admin/surveys/{survey.id}/results"))
    assert "Target 90%: not met" in page and 'role="img"' in page

    app.test_cli_runner().invoke(args=["seed-demo"])  # nothing added twice
    assert db.session.scalar(select(func.count()).select_from(Survey).where(Survey.title == SURVEY_TITLE)) == 1
    assert db.session.scalar(select(func.count()).select_from(Response)
                             .where(Response.survey_id == survey.id)) == found.answered


def test_a_dozen_tickets_in_every_state_two_of_them_meis(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    now = utcnow()
    every = db.session.scalars(select(Ticket).order_by(Ticket.number)).all()
    assert len(every) == 12 and {t.kind for t in every} == {"feedback", "complaint", "consultation"}
    statuses = {}
    for ticket in every:
        statuses[ticket.status] = statuses.get(ticket.status, 0) + 1
    assert statuses == {"new": 2, "in_progress": 4, "waiting_on_member": 1, "resolved": 1, "closed": 4}
    assert [t.event.title for t in every if t.event] == ["Latte art class"]
    assert all(t.created_at < now for t in every) and len({t.member_id for t in every}) == 11
    assert [t.created_at for t in every] == sorted(t.created_at for t in every)  # numbered as filed

    mei = db.session.scalar(select(Member).where(Member.email == "mei@example.com"))
    mine, _more = tickets.member_tickets(mei)
    assert len(mine) == 2 and {t.status for t in mine} == {"waiting_on_member", "in_progress"}
    [waiting] = [t for t in mine if t.status == "waiting_on_member"]
    assert waiting.paused_at is not None and tickets.clock(waiting, now).state == "paused"
    said = tickets.conversation(waiting, include_internal=False)
    assert said[-1].by_staff and "photo" in said[-1].body  # staff asked her for something

    [breached] = [t for t in every if t.first_response_breached_at or t.resolution_breached_at]
    assert breached.status == "in_progress" and breached.resolution_due_at < now and breached.first_responded_at
    assert [b.clock for b in db.session.scalars(select(TicketBreach))] == ["resolution"]
    told = db.session.scalars(select(OutboxMessage.to_email).where(OutboxMessage.template == "ticket_breached"))
    assert sorted(told) == ["lead@example.com", breached.assignee.email]  # the assignee and the lead, once
    assert tickets.escalate(now=now) == {"first_response": 0, "resolution": 0, "emails": 0}  # recorded once
    counts = tickets.queue_counts(now=now)
    assert counts.breached == 1 and counts.due_soon == 1 and counts.open == 7
    assert all(not tickets.clock(t, now).breached for t in every if t.is_open and t is not breached)

    [resolved] = [t for t in every if t.status == "resolved"]
    assert tickets.satisfaction_score(resolved) == 9 and resolved.first_responded_at is not None
    closed = [t for t in every if t.status == "closed"]
    assert all(t.resolved_at < t.closed_at and tickets.satisfaction_score(t) is None for t in closed)
    assert all(len(tickets.history(t)) >= 3 for t in closed)

    app.test_cli_runner().invoke(args=["seed-demo"])  # nothing added twice
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 12
    assert db.session.scalar(select(func.count()).select_from(TicketBreach)) == 1
