"""The tickets rules (portal/tickets/services.py) on both databases: filing with its number, due
times and confirmation; every bad input refused with nothing saved; the status machine and its
clock; replies (stale, first response, internal notes); escalation once per breach; closing
resolved tickets; the satisfaction survey and its score; members see only their own tickets; the
queue's order, filters and counts in a fixed number of queries."""

from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.audit.models import AuditEntry
from portal.demo import demo_picture
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members.models import Benefit, Tier
from portal.models import utcnow
from portal.surveys import services as surveys
from portal.surveys.models import Invitation, Survey
from portal.tickets import services
from portal.tickets.models import (
    TICKET_STATUSES,
    SavedReply,
    Ticket,
    TicketAttachment,
    TicketBreach,
    TicketCounter,
    TicketEvent,
    TicketMessage,
)
from portal.tickets.services import IllegalMove, QueueFilters, StaleTicket, TicketRefused
from tests.factories import make_event, make_member, make_staff, make_ticket
from tests.helpers import counting_queries

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Taipei
PNG = demo_picture((10, 20, 30), (200, 100, 50), "circle")


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def emails(template, to=None):
    query = select(OutboxMessage).where(OutboxMessage.template == template)
    if to is not None:
        query = query.where(OutboxMessage.to_email == to)
    return db.session.scalars(query.order_by(OutboxMessage.id)).all()


def written():
    return [count(model) for model in (Ticket, TicketMessage, TicketAttachment, TicketEvent, TicketCounter,
                                       OutboxMessage)]


# --- filing ------------------------------------------------------------------------------------------

def test_filing_numbers_the_ticket_sets_its_clocks_and_confirms_by_email(app):
    mei = make_member(name="Mei Lin")
    ticket = services.open_ticket(mei, "complaint", "  Voucher refused  ", "It was refused at the till.\r\nWhy?",
                                  files=[("receipt.png", PNG)], now=NOW)
    assert ticket.number == "T-2026-000001" and ticket.status == "new" and ticket.subject == "Voucher refused"
    assert not ticket.priority
    assert ticket.first_response_due_at == NOW + timedelta(hours=24)
    assert ticket.resolution_due_at == NOW + timedelta(hours=24)  # a complaint
    second = services.open_ticket(mei, "consultation", "Points question", "How long do points last?", now=NOW)
    assert second.number == "T-2026-000002" and second.resolution_due_at == NOW + timedelta(hours=48)
    [message] = services.conversation(ticket, include_internal=False)
    assert message.body == "It was refused at the till.\nWhy?" and message.member_id == mei.id
    [attachment] = message.attachments
    assert attachment.content_type == "image/png" and attachment.original_name == "receipt.png"
    assert attachment.size == len(PNG) and attachment.stored_name.endswith(".png")
    assert attachment.stored_name != "receipt.png"
    assert [(e.from_status, e.to_status) for e in services.history(ticket)] == [(None, "new")]
    email, _second = emails("ticket_received", mei.email)
    assert "T-2026-000001" in email.subject and f"/tickets/{ticket.number}" in email.body_text
    assert "Mei" in email.body_text


def test_the_number_takes_the_programme_year_of_filing(app):
    # 31 Dec 17:00 UTC is already 1 Jan 01:00 in Taipei.
    ticket = make_ticket(now=datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    assert ticket.number == "T-2027-000001"
    assert make_ticket(now=datetime(2026, 12, 31, 15, 0, tzinfo=UTC)).number == "T-2026-000001"


def test_a_priority_member_gets_half_the_times(app):
    gold = db.session.scalar(select(Tier).where(Tier.code == "gold"))
    db.session.add(Benefit(tier=gold, title="Priority support", title_zh="優先服務", kind="priority_support"))
    db.session.flush()
    ticket = make_ticket(make_member(tier="gold"), kind="consultation", now=NOW)
    assert ticket.priority
    assert ticket.first_response_due_at == NOW + timedelta(hours=12)
    assert ticket.resolution_due_at == NOW + timedelta(hours=24)


def test_a_changed_setting_applies_only_to_tickets_filed_after_it(app):
    old = make_ticket(kind="complaint", now=NOW)
    app.config["TICKET_COMPLAINT_HOURS"] = 8
    try:
        new = make_ticket(kind="complaint", now=NOW)
    finally:
        app.config["TICKET_COMPLAINT_HOURS"] = 24
    db.session.expire_all()
    assert old.resolution_due_at == NOW + timedelta(hours=24)
    assert new.resolution_due_at == NOW + timedelta(hours=8)
    # Reopened while the setting is changed again, the old ticket restarts with its own 24 hours.
    staff = make_staff("service")
    app.config["TICKET_COMPLAINT_HOURS"] = 4
    try:
        later = NOW + timedelta(days=2)
        services.change_status(old, "resolved", staff=staff, now=later)
        services.member_reply(old, old.member, "Still broken.", now=later + timedelta(hours=1))
        services.change_status(new, "resolved", staff=staff, now=later)
        services.change_status(new, "in_progress", staff=staff, now=later + timedelta(hours=1))
    finally:
        app.config["TICKET_COMPLAINT_HOURS"] = 24
    db.session.expire_all()
    assert (old.status, old.resolution_due_at) == ("in_progress", later + timedelta(hours=25))
    assert (new.status, new.resolution_due_at) == ("in_progress", later + timedelta(hours=9))


def test_an_event_and_a_voucher_must_be_the_members_own(app):
    from portal.events import services as events

    mei, other = make_member(), make_member()
    event = make_event()
    with pytest.raises(TicketRefused) as refused:
        services.open_ticket(mei, "feedback", "The event", "Lovely", event=event)
    assert refused.value.code == "event"
    events.register(mei, event)
    ticket = services.open_ticket(mei, "feedback", "The event", "Lovely", event=event)
    assert ticket.event_id == event.id
    voucher = type("Voucher", (), {"id": 1, "member_id": other.id})()
    with pytest.raises(TicketRefused) as refused:
        services.open_ticket(mei, "complaint", "Voucher", "Refused", redemption=voucher)
    assert refused.value.code == "redemption"


BAD_INPUT = [
    ({"kind": "praise"}, "kind"),
    ({"kind": ""}, "kind"),
    ({"subject": ""}, "subject"),
    ({"subject": "   "}, "subject"),
    ({"subject": "x" * 201}, "subject"),
    ({"body": ""}, "body"),
    ({"body": " \n "}, "body"),
    ({"body": "x" * 10_001}, "body"),
    ({"subject": "Broken\x00cup"}, "subject"),  # NUL: PostgreSQL cannot store it (was a 500 at flush)
    ({"subject": "Broken\ncup"}, "subject"),
    ({"subject": "Broken\x1bcup"}, "subject"),
    ({"body": "It broke\x00"}, "body"),
    ({"body": "It \x08broke"}, "body"),
    ({"body": "It broke\x7f"}, "body"),
    ({"body": "It\x0bbroke", "files": [("a.png", PNG)]}, "body"),
    ({"files": [("a.png", PNG)] * 4}, "files"),
    ({"files": [("notes.png", b"just some text, not a picture")]}, "file_type"),
    ({"files": [("empty.png", b"")]}, "file_type"),
    ({"files": [("page.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>")]}, "file_type"),
    ({"files": [("photo.jpg", PNG)]}, "file_name"),
    ({"files": [("photo", PNG)]}, "file_name"),
    ({"files": [("big.png", PNG + b"\x00" * (5 * 1024 * 1024))]}, "file_size"),
]


@pytest.mark.parametrize(("change", "code"), BAD_INPUT)
def test_every_bad_input_is_refused_and_nothing_is_saved(app, change, code):
    mei = make_member()
    before = written()
    values = {"kind": "complaint", "subject": "Subject", "body": "Body", "files": ()} | change
    with pytest.raises(TicketRefused) as refused:
        services.open_ticket(mei, values.pop("kind"), values.pop("subject"), values.pop("body"), **values)
    assert refused.value.code == code
    with app.test_request_context():
        assert str(refused.value.message) == str(services.REFUSALS[code])
    assert written() == before


def test_the_limits_themselves_are_accepted(app):
    five_mb = PNG + b"\x00" * (5 * 1024 * 1024 - len(PNG))
    ticket = make_ticket(subject="s" * 200, body="b" * 10_000, files=[("a.png", five_mb), ("b.PNG", PNG),
                                                                      ("c.png", PNG)])
    assert len(ticket.subject) == 200 and count(TicketAttachment) == 3


def test_control_characters_in_replies_are_refused_with_nothing_saved(app):
    staff = make_staff("service")
    ticket = make_ticket(body="Tabs\tand\nline breaks\r\nare fine")
    assert services.conversation(ticket, include_internal=False)[0].body == "Tabs\tand\nline breaks\nare fine"
    before = written()
    for body in ("Hello\x00", "\x1b[31mred", "a\x0cb"):
        with pytest.raises(TicketRefused) as refused:
            services.member_reply(ticket, ticket.member, body, files=[("a.png", PNG)])
        assert refused.value.code == "body"
        with pytest.raises(TicketRefused) as refused:
            services.staff_reply(ticket, staff, body, seen_version=ticket.version)
        assert refused.value.code == "body"
    assert written() == before


def test_a_pictures_name_loses_its_folders_and_control_characters(app):
    ticket = make_ticket(files=[("C:\\photos\\a\nb\x00.png", PNG), ("../x/\x7fcup\r.png", PNG)])
    names = [a.original_name for a in services.conversation(ticket, include_internal=False)[0].attachments]
    assert names == ["ab.png", "cup.png"]


def stored_pictures(app):
    folder = Path(app.config["UPLOAD_DIR"]) / services.PICTURE_FOLDER
    return set(folder.iterdir()) if folder.exists() else set()


def test_a_failure_after_the_pictures_are_written_leaves_no_file(app, monkeypatch):
    mei = make_member()
    ticket = make_ticket(mei)
    db.session.commit()
    before = stored_pictures(app)
    attach = services._attach

    def attach_then_fail(*args):
        attach(*args)
        assert len(stored_pictures(app) - before) == 2  # written…
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_attach", attach_then_fail)
    with pytest.raises(RuntimeError):
        services.open_ticket(mei, "complaint", "Cup", "Broken", files=[("a.png", PNG), ("b.png", PNG)])
    db.session.rollback()
    assert stored_pictures(app) == before  # …and gone with the transaction
    with pytest.raises(RuntimeError):
        services.member_reply(ticket, mei, "Another photo", files=[("a.png", PNG), ("b.png", PNG)])
    db.session.remove()  # the request's end closes the session without a commit
    assert stored_pictures(app) == before
    monkeypatch.setattr(services, "_attach", attach)
    services.member_reply(db.session.merge(ticket), db.session.merge(mei), "Kept", files=[("a.png", PNG)])
    db.session.commit()
    assert len(stored_pictures(app) - before) == 1  # a committed picture stays


# --- the status machine ------------------------------------------------------------------------------

ALLOWED = services.ALLOWED


@pytest.mark.parametrize("start", ["new", "in_progress", "waiting_on_member", "resolved", "closed"])
def test_only_the_allowed_moves_are_made(app, start):
    staff = make_staff("service")
    for to in TICKET_STATUSES:
        ticket = make_ticket(status=start, staff=staff)
        version = ticket.version
        if (start, to) in ALLOWED:
            services.change_status(ticket, to, staff=staff)
            assert ticket.status == to and ticket.version == version + 1
            assert services.history(ticket)[-1].to_status == to
        else:
            events_before = len(services.history(ticket))
            with pytest.raises(IllegalMove):
                services.change_status(ticket, to, staff=staff)
            assert ticket.status == start and len(services.history(ticket)) == events_before
    with pytest.raises(IllegalMove):
        services.change_status(make_ticket(status=start), "lost", staff=staff)


def test_every_move_pair_is_covered():
    assert len(ALLOWED) == 9 and all(pair in product(TICKET_STATUSES, repeat=2) for pair in ALLOWED)


def test_waiting_on_the_member_pauses_the_resolution_clock_and_moves_it_by_the_pause(app):
    staff = make_staff("service")
    ticket = make_ticket(kind="consultation", status="in_progress", staff=staff, now=NOW)
    due = ticket.resolution_due_at
    services.change_status(ticket, "waiting_on_member", staff=staff, now=NOW + timedelta(hours=3))
    assert ticket.paused_at == NOW + timedelta(hours=3)
    assert services.clock(ticket, NOW + timedelta(days=30)).state == "paused"
    services.change_status(ticket, "in_progress", staff=staff, now=NOW + timedelta(hours=20))
    assert ticket.paused_at is None and ticket.resolution_due_at == due + timedelta(hours=17)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.status")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.before == {"status": "waiting_on_member"} and entry.after == {"status": "in_progress"}


def test_a_member_reply_reopens_a_waiting_or_resolved_ticket_and_is_refused_once_closed(app):
    staff = make_staff("service")
    mei = make_member()
    waiting = make_ticket(mei, kind="consultation", status="waiting_on_member", staff=staff, now=NOW)
    due = waiting.resolution_due_at
    services.member_reply(waiting, mei, "Here is the receipt", files=[("r.png", PNG)], now=NOW + timedelta(hours=5))
    assert waiting.status == "in_progress" and waiting.resolution_due_at == due + timedelta(hours=5)
    resolved = make_ticket(mei, kind="complaint", status="resolved", staff=staff, now=NOW)
    later = NOW + timedelta(days=2)
    services.member_reply(resolved, mei, "Still broken", now=later)
    assert resolved.status == "in_progress" and resolved.resolved_at is None
    assert resolved.resolution_due_at == later + timedelta(hours=24)  # restarted from the reply
    assert [e.to_status for e in services.history(resolved)][-1] == "in_progress"
    closed = make_ticket(mei, status="closed", staff=staff)
    before = count(TicketMessage)
    with pytest.raises(TicketRefused) as refused:
        services.member_reply(closed, mei, "Hello?")
    assert refused.value.code == "closed" and count(TicketMessage) == before
    with pytest.raises(TicketRefused):
        services.member_reply(waiting, make_member(), "Not mine")


def test_staff_reopening_a_resolved_ticket_restarts_the_clock(app):
    staff = make_staff("service")
    ticket = make_ticket(kind="consultation", status="resolved", staff=staff, now=NOW)
    services.change_status(ticket, "in_progress", staff=staff, now=NOW + timedelta(days=3))
    assert ticket.resolution_due_at == NOW + timedelta(days=3, hours=48) and ticket.resolved_at is None


def test_the_member_confirms_a_resolution(app):
    mei = make_member()
    ticket = make_ticket(mei, status="resolved", now=NOW)
    with pytest.raises(TicketRefused):
        services.confirm_resolution(ticket, make_member())
    services.confirm_resolution(ticket, mei, now=NOW + timedelta(hours=1))
    assert ticket.status == "closed" and ticket.closed_at == NOW + timedelta(hours=1)
    assert services.history(ticket)[-1].member_id == mei.id
    with pytest.raises(IllegalMove):
        services.confirm_resolution(make_ticket(mei, status="in_progress"), mei)


# --- replies -----------------------------------------------------------------------------------------

def test_the_first_public_reply_is_the_first_response_and_is_emailed_in_the_members_language(app):
    staff = make_staff("service", name="Ada")
    mei = make_member(name="Mei Lin", language="zh_Hant")
    ticket = make_ticket(mei, now=NOW)
    services.staff_reply(ticket, staff, "Checking with the store.", internal=True, seen_version=ticket.version,
                         now=NOW + timedelta(hours=1))
    assert ticket.first_responded_at is None and ticket.status == "new"
    assert emails("ticket_reply") == []  # an internal note tells no one
    services.staff_reply(ticket, staff, "We are on it.", seen_version=ticket.version, now=NOW + timedelta(hours=2))
    services.staff_reply(ticket, staff, "Fixed.", seen_version=ticket.version, now=NOW + timedelta(hours=3))
    assert ticket.first_responded_at == NOW + timedelta(hours=2) and ticket.status == "in_progress"
    first, second = emails("ticket_reply", mei.email)
    assert first.language == "zh_Hant" and "We are on it." in first.body_text
    assert first.subject.startswith("關於 ") and "查看對話或回覆" in first.body_text
    assert f"/tickets/{ticket.number}" in first.body_text and ticket.number in first.subject
    assert [m.body for m in services.conversation(ticket, include_internal=False)] == [
        "It was refused at the till.", "We are on it.", "Fixed."]
    assert len(services.conversation(ticket, include_internal=True)) == 4


def test_a_reply_written_against_an_older_version_is_refused_with_the_new_messages(app):
    ada, bob = make_staff("service", name="Ada"), make_staff("service", name="Bob")
    ticket = make_ticket()
    seen = ticket.version
    services.staff_reply(ticket, ada, "Ada's answer", seen_version=seen)
    before = (count(TicketMessage), len(emails("ticket_reply")), ticket.version)
    with pytest.raises(StaleTicket) as stale:
        services.staff_reply(ticket, bob, "Bob's answer", seen_version=seen)
    assert [m.body for m in stale.value.new_messages] == ["Ada's answer"]
    assert (count(TicketMessage), len(emails("ticket_reply")), ticket.version) == before
    with pytest.raises(StaleTicket):
        services.change_status(ticket, "resolved", staff=bob, seen_version=seen)
    assert ticket.status == "in_progress"
    services.staff_reply(ticket, bob, "Bob's answer", seen_version=ticket.version)


def test_assigning_is_audited(app):
    lead, ada = make_staff("admin"), make_staff("service", name="Ada")
    ticket = make_ticket()
    services.assign(ticket, ada, by=lead)
    assert ticket.assignee_id == ada.id
    services.assign(ticket, None, by=lead)
    assert ticket.assignee_id is None
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.assign")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.before, e.after) for e in entries] == [({"assignee": None}, {"assignee": "Ada"}),
                                                      ({"assignee": "Ada"}, {"assignee": None})]


def test_saved_replies_fill_in_the_members_name(app):
    replies = services.saved_replies()
    assert len(replies) == 3 and all("{name}" in reply.body for reply in replies)
    text = services.saved_reply_text(SavedReply(title="t", body="Dear {name}, thanks."), make_member(name="Mei Lin"))
    assert text == "Dear Mei Lin, thanks."


# --- escalation and closing ----------------------------------------------------------------------------

def test_a_breach_is_noticed_and_emailed_once(app):
    lead, service_a, service_b = make_staff("admin"), make_staff("service"), make_staff("service")
    make_staff("operations")
    gone = make_staff("service")
    gone.active = False
    ticket = make_ticket(kind="consultation", now=NOW)
    assert services.escalate(NOW + timedelta(hours=23)) == {"first_response": 0, "resolution": 0, "emails": 0}
    late = NOW + timedelta(hours=24, minutes=5)
    counts = services.escalate(late)
    assert counts == {"first_response": 1, "resolution": 0, "emails": 3}  # unassigned: service group + lead
    assert {m.to_email for m in emails("ticket_breached")} == {lead.email, service_a.email, service_b.email}
    assert ticket.first_response_breached_at == late
    assert services.escalate(late + timedelta(minutes=5))["emails"] == 0  # never twice
    services.assign(ticket, service_a, by=lead)
    services.staff_reply(ticket, service_a, "On it", seen_version=ticket.version, now=late)
    counts = services.escalate(NOW + timedelta(hours=49))
    assert counts == {"first_response": 0, "resolution": 1, "emails": 2}  # the assignee and the lead
    assert services.escalate(NOW + timedelta(hours=50))["emails"] == 0
    breaches = db.session.scalars(select(TicketBreach).order_by(TicketBreach.id)).all()
    assert [(b.clock, b.due_at) for b in breaches] == [("first_response", NOW + timedelta(hours=24)),
                                                       ("resolution", NOW + timedelta(hours=48))]
    [mail] = emails("ticket_breached", service_a.email)[-1:]
    assert ticket.number in mail.subject
    # Reopened with a new due time: a new breach.
    services.change_status(ticket, "resolved", staff=service_a, now=NOW + timedelta(hours=51))
    services.change_status(ticket, "in_progress", staff=service_a, now=NOW + timedelta(hours=52))
    assert services.escalate(NOW + timedelta(hours=101))["resolution"] == 1


def test_both_clocks_breached_at_once_make_one_email_per_person_naming_both(app):
    lead, service = make_staff("admin"), make_staff("service", language="zh_Hant")
    ticket = make_ticket(kind="complaint", now=NOW)  # 24 h to the first reply and 24 h to resolve
    counts = services.escalate(NOW + timedelta(hours=25))
    assert counts == {"first_response": 1, "resolution": 1, "emails": 2}  # the service group and the lead
    assert [(b.clock, b.due_at) for b in db.session.scalars(select(TicketBreach).order_by(TicketBreach.clock))] == [
        ("first_response", NOW + timedelta(hours=24)), ("resolution", NOW + timedelta(hours=24))]
    [mail] = emails("ticket_breached", lead.email)
    assert mail.subject.endswith(f"Breached: no first reply on {ticket.number}, and it is not resolved in time")
    for text in (mail.body_text, mail.body_html):
        assert "was due its first reply by" in text and "was due to be resolved by" in text
    [chinese] = emails("ticket_breached", service.email)
    assert ticket.number in chinese.subject and "Breached" not in chinese.subject
    assert services.escalate(NOW + timedelta(hours=26))["emails"] == 0  # still once per breach


def test_a_paused_or_resolved_ticket_is_not_escalated(app):
    make_staff("admin")
    make_ticket(status="waiting_on_member", now=NOW)
    make_ticket(status="resolved", now=NOW)
    assert services.escalate(NOW + timedelta(days=5))["emails"] == 0
    assert count(TicketBreach) == 0


def test_resolved_tickets_close_after_seven_days(app):
    staff = make_staff("service")
    old = make_ticket(status="resolved", staff=staff, now=NOW)
    recent = make_ticket(status="resolved", staff=staff, now=NOW + timedelta(days=2))
    assert services.close_resolved(NOW + timedelta(days=6)) == 0
    assert services.close_resolved(NOW + timedelta(days=7)) == 1
    assert old.status == "closed" and old.closed_at == NOW + timedelta(days=7)
    assert recent.status == "resolved"


# --- the satisfaction survey ----------------------------------------------------------------------------

def test_resolving_invites_to_the_satisfaction_survey_and_its_rating_is_the_score(app):
    staff = make_staff("service")
    mei = make_member()
    ticket = make_ticket(mei, status="in_progress", staff=staff)
    assert services.satisfaction_score(ticket) is None
    services.change_status(ticket, "resolved", staff=staff)
    survey = db.session.scalar(select(Survey).where(Survey.trigger == "ticket_resolved"))
    [invitation] = db.session.scalars(select(Invitation).where(Invitation.member_id == mei.id)).all()
    assert (invitation.survey_id, invitation.about_type, invitation.about_id) == (survey.id, "ticket", ticket.id)
    assert emails("survey_invitation", mei.email)
    assert services.satisfaction_score(ticket) is None
    rating = next(q for q in survey.questions if q.kind == "rating")
    surveys.submit(invitation, surveys.read_answers(survey, MultiDict({f"q{rating.id}": "9"})))
    assert services.satisfaction_score(ticket) == 9
    assert services.satisfaction_score(make_ticket(mei, status="resolved", staff=staff)) is None


# --- whose ticket, and what the pages read ----------------------------------------------------------------

def test_another_member_cannot_get_the_ticket(app, client):
    from tests.helpers import login

    mei, other = make_member(), make_member()
    ticket = make_ticket(mei, subject="Mei's private matter")
    assert services.ticket_for_member(mei, ticket.number).id == ticket.id
    assert services.ticket_for_member(other, ticket.number) is None
    assert services.ticket_for_staff(ticket.number).id == ticket.id
    assert services.member_tickets(other) == ([], False) and services.member_tickets(mei) == ([ticket], False)
    db.session.commit()
    login(client, other.email)
    assert client.get(f"/tickets/{ticket.number}").status_code == 404
    client = app.test_client()
    login(client, mei.email)
    page = client.get(f"/tickets/{ticket.number}")
    assert page.status_code == 200 and "Mei&#39;s private matter" in page.get_data(as_text=True)


def test_the_queue_sorts_by_the_running_clock_and_counts_each_filter(app):
    staff = make_staff("service")
    complaint = make_ticket(kind="complaint", now=NOW)  # first reply due NOW + 24 h
    consultation = make_ticket(kind="consultation", now=NOW - timedelta(hours=22))  # due NOW + 2 h
    answered = make_ticket(kind="feedback", now=NOW - timedelta(hours=40))
    services.staff_reply(answered, staff, "Thanks", seen_version=answered.version, now=NOW - timedelta(hours=39))
    # feedback: resolution due NOW + 8 h
    waiting = make_ticket(kind="complaint", status="waiting_on_member", staff=staff, now=NOW - timedelta(days=9))
    late = make_ticket(kind="complaint", now=NOW - timedelta(hours=30))  # breached 6 h ago
    make_ticket(status="closed", staff=staff, now=NOW)
    services.assign(complaint, staff, by=staff)
    assert services.queue(now=NOW) == [late, consultation, answered, complaint, waiting]
    assert services.queue(QueueFilters(breached=True), now=NOW) == [late]
    assert services.queue(QueueFilters(due_soon=True), now=NOW) == [consultation]
    assert services.queue(QueueFilters(kind="complaint"), now=NOW) == [late, complaint, waiting]
    assert services.queue(QueueFilters(assignee_id=staff.id), now=NOW) == [complaint]
    assert services.queue(QueueFilters(assignee_id=services.UNASSIGNED), now=NOW) == [
        late, consultation, answered, waiting]
    assert services.queue(QueueFilters(status="closed"), now=NOW)[0].status == "closed"
    with counting_queries() as statements:
        counts = services.queue_counts(NOW, staff=staff)
    assert len(statements) == 1
    assert (counts.open, counts.unassigned, counts.mine, counts.breached, counts.due_soon) == (5, 4, 1, 1, 1)
    assert counts.kinds == {"feedback": 1, "complaint": 3, "consultation": 1}
    assert counts.statuses == {"new": 3, "in_progress": 1, "waiting_on_member": 1}  # open tickets only
    assert "FROM tickets" in statements[0] and "WHERE tickets.status IN" in statements[0]


def test_the_running_due_time_follows_every_move_of_the_clocks(app):
    staff = make_staff("service")
    ticket = make_ticket(kind="consultation", now=NOW)

    def running():
        db.session.flush()
        db.session.expire(ticket)
        assert ticket.running_due_at == services.clock(ticket, NOW).due_at or ticket.running_due_at is None
        return ticket.running_due_at

    assert running() == NOW + timedelta(hours=24)  # the first response's
    services.staff_reply(ticket, staff, "A note", internal=True, seen_version=ticket.version, now=NOW)
    assert running() == NOW + timedelta(hours=24)  # an internal note is no response
    services.staff_reply(ticket, staff, "Hello", seen_version=ticket.version, now=NOW + timedelta(hours=1))
    assert running() == NOW + timedelta(hours=48)  # then the resolution's
    services.change_status(ticket, "waiting_on_member", staff=staff, now=NOW + timedelta(hours=2))
    assert running() is None  # paused
    services.member_reply(ticket, ticket.member, "Here", now=NOW + timedelta(hours=5))
    assert running() == NOW + timedelta(hours=51)  # resumed, moved by the pause
    services.change_status(ticket, "resolved", staff=staff, now=NOW + timedelta(hours=6))
    assert running() is None
    services.member_reply(ticket, ticket.member, "Not quite", now=NOW + timedelta(hours=7))
    assert running() == NOW + timedelta(hours=55)  # reopened: 48 h from now
    services.change_status(ticket, "resolved", staff=staff, now=NOW + timedelta(hours=8))
    services.change_status(ticket, "closed", staff=staff, now=NOW + timedelta(hours=9))
    assert running() is None
    waiting = make_ticket(status="waiting_on_member", staff=staff, now=NOW)
    assert waiting.running_due_at is None


def test_the_pages_queries_are_a_fixed_number_whatever_the_history(app):
    staff = make_staff("service")

    def statements_for(ticket):
        db.session.expire_all()
        with counting_queries() as statements:
            found = services.ticket_for_staff(ticket.number)
            for message in services.conversation(found, include_internal=True):
                _ = [message.staff, message.member, [a.original_name for a in message.attachments]]
            for event in services.history(found):
                _ = event.staff
            _ = (found.member.tier.code, found.assignee)
            services.satisfaction_score(found)
            for row in services.queue(now=NOW):
                _ = (row.member.name, row.assignee)
        return len(statements)

    small = make_ticket(status="in_progress", staff=staff)
    big = make_ticket(files=[("a.png", PNG)])
    services.assign(big, staff, by=staff)
    for n in range(30):
        services.member_reply(big, big.member, f"Message {n}", files=[("b.png", PNG)] if n % 10 == 0 else ())
        services.staff_reply(big, staff, f"Answer {n}", internal=n % 3 == 0, seen_version=big.version)
        if n % 5 == 0:
            services.change_status(big, "waiting_on_member", staff=staff)
    assert statements_for(small) == statements_for(big)


def test_a_ticket_message_has_exactly_one_author(app):
    from sqlalchemy.exc import IntegrityError

    ticket = make_ticket()
    staff = make_staff("service")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(TicketMessage(ticket_id=ticket.id, member_id=ticket.member_id, staff_id=staff.id, body="x",
                                     created_at=utcnow()))
