"""What members are emailed about their registrations: the calendar file stored with the outbox row,
built into a multipart email, delivered by a real SMTP server; the reminder and its preference."""

from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from portal.care.models import Notification
from portal.events import messages, services
from portal.extensions import db
from portal.mail import outbox
from portal.mail.models import OutboxMessage
from portal.models import utcnow
from tests.factories import make_event, make_member
from tests.helpers import as_received


def emails_to(member, template):
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.member_id == member.id, OutboxMessage.template == template)).all()


def notifications_of(member, template):
    return db.session.scalars(select(Notification).where(
        Notification.member_id == member.id, Notification.template == template)).all()


def test_the_confirmation_and_promotion_emails_store_their_calendar_file(app):
    event = make_event("Tea tasting", capacity=1)
    ann, ben = make_member(name="Ann Lee"), make_member(name="Ben Wu")
    place = services.register(ann, event)
    services.register(ben, event)
    services.cancel_registration(place)

    for member, template in ((ann, "event_registered"), (ben, "event_promoted")):
        [email] = emails_to(member, template)
        [attachment] = email.attachments
        assert (attachment.filename, attachment.content_type) == (f"event-{event.id}.ics", "text/calendar")
        assert str(Calendar.from_ical(attachment.content).walk("VEVENT")[0]["SUMMARY"]) == "Tea tasting"
        assert email.subject.endswith("Tea tasting")
    [waitlisted] = emails_to(ben, "event_registered")
    assert waitlisted.attachments == []
    db.session.expire_all()  # read back from the database, as the sending job does
    assert len(emails_to(ann, "event_registered")[0].attachments) == 1


def test_build_email_makes_a_multipart_email_with_the_calendar_attached(app):
    event = make_event("Tea tasting")
    email = as_received(emails_to(services.register(make_member(), event).member, "event_registered")[0])

    assert email.get_content_type() == "multipart/mixed"
    assert email.get_body(("plain",)) is not None and email.get_body(("html",)) is not None
    [attachment] = list(email.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == f"event-{event.id}.ics"
    assert attachment.get_content_disposition() == "attachment"
    calendar = Calendar.from_ical(attachment.get_payload(decode=True))
    assert str(calendar.walk("VEVENT")[0]["SUMMARY"]) == "Tea tasting"


def test_a_real_smtp_server_receives_the_calendar_file(app, smtp_server, mailbox, monkeypatch):
    port, _box = smtp_server
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    event = make_event("Tea tasting", title_zh="品茶會")
    mei = make_member(name="Mei Lin", email="mei.ics@example.com", language="zh_Hant")
    services.register(mei, event)
    [message] = emails_to(mei, "event_registered")
    assert message.status == "queued"

    assert outbox.send_message(message.id) == "sent"

    [received] = mailbox.wait_for("mei.ics@example.com")
    assert "品茶會" in received["Subject"]
    [attachment] = list(received.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and attachment.get_content_charset() == "utf-8"
    assert attachment.get_filename() == f"event-{event.id}.ics"
    entry = Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(entry["SUMMARY"]) == "品茶會" and entry["DTSTART"].params["TZID"] == "Asia/Taipei"


def test_the_reminder_honours_the_members_preference_and_always_notifies(app):
    now = utcnow()
    event = make_event("Tea tasting", starts_at=now + timedelta(hours=20))
    keen = make_member(name="Keen", event_reminders=True)
    quiet = make_member(name="Quiet", event_reminders=False)
    registrations = [services.register(member, event, now=now - timedelta(days=2)) for member in (keen, quiet)]

    due = messages.reminders_due(now)
    assert sorted(due) == sorted(r.id for r in registrations)
    assert sorted(messages.send_reminders(due, now)) == sorted(due)

    [email] = emails_to(keen, "event_reminder")
    assert email.kind == "reminder" and email.attachments == []
    assert emails_to(quiet, "event_reminder") == []
    for member in (keen, quiet):
        [notice] = notifications_of(member, "event_reminder")
        assert notice.link == f"/events/{event.id}"
    assert all(r.reminded_at == now for r in registrations)
    assert messages.reminders_due(now) == [] and messages.send_reminders(due, now) == []  # once


def test_only_confirmed_places_at_events_within_a_day_are_reminded(app):
    now = utcnow()
    soon = make_event("Soon", capacity=1, starts_at=now + timedelta(hours=23))
    later = make_event("Later", starts_at=now + timedelta(hours=25))
    gone = make_event("Gone", starts_at=now + timedelta(hours=2))
    early = now - timedelta(days=2)
    place = services.register(make_member(), soon, now=early)
    services.register(make_member(), soon, now=early)  # waitlisted
    services.register(make_member(), later, now=early)
    cancelled = services.register(make_member(), gone, now=early)
    services.cancel_registration(cancelled, now=early)
    assert messages.reminders_due(now) == [place.id]
