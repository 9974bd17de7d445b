"""What members are told about their registrations: each message through care.tell_member, with a
calendar file (.ics) attached where the member's calendar should change.

The news of a changed or cancelled event goes to everyone registered by a job, once each:
a registration remembers the event's SEQUENCE it was last told about (`told_sequence`). The
24-hour reminder goes once: `reminded_at` is set in the same transaction as its email is stored.
"""

from datetime import timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jobs.queues import enqueue_after_commit
from portal.care.messages import Link, tell_member
from portal.events import calendar
from portal.events.locks import locked_registrations
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.mail.outbox import Attachment
from portal.models import utcnow

NEWS_JOB = "jobs.events.tell_event_news"
REMINDER_AHEAD = timedelta(hours=24)


def calendar_file(registration, cancelled=None):
    """The registration's .ics as an email attachment, in the member's language."""
    with force_locale(registration.member.language):
        data = calendar.registration_ics(registration, cancelled=cancelled)
    return Attachment(calendar.file_name(registration.event), calendar.CONTENT_TYPE, data)


def _context(registration, **more):
    member, event = registration.member, registration.event
    return {"name": member.first_name, "event": event, "status": registration.status, **more}


def _event_link(registration, label):
    return Link("events.event", label, {"event_id": registration.event_id})


def tell_registered(registration, position=None):
    """Confirmed (with the calendar file) or waitlisted (at `position` in the queue)."""
    confirmed = registration.status == "confirmed"
    return tell_member(registration.member, "event_registered", _context(registration, position=position or 0),
                       kind="account", link=_event_link(registration, _l("Open the event")),
                       attachments=[calendar_file(registration)] if confirmed else ())


def tell_promoted(registration):
    """A place opened and the waitlisted member has it now."""
    return tell_member(registration.member, "event_promoted", _context(registration), kind="account",
                       link=_event_link(registration, _l("Open the event")), attachments=[calendar_file(registration)])


def tell_cancelled(registration, by_staff=False, reason="", had_place=True):
    """The registration is cancelled (by the member or by staff); a confirmed place's calendar entry
    goes (`had_place`: it was confirmed; a waitlisted member had no calendar file to remove)."""
    return tell_member(registration.member, "event_registration_cancelled",
                       _context(registration, by_staff=by_staff, reason=reason, had_place=had_place), kind="account",
                       link=_event_link(registration, _l("Open the event")),
                       attachments=[calendar_file(registration, cancelled=True)] if had_place else ())


def tell_changed_later(event):
    """After commit, a job tells everyone registered that the event changed or was cancelled."""
    enqueue_after_commit(NEWS_JOB, event.id, queue="default")


def news_due(event_id=None):
    """Ids of registrations not yet told of their event's latest change or cancellation."""
    query = select(Registration.id).join(Registration.event).where(
        Registration.status != "cancelled", Registration.told_sequence < Event.sequence,
        Event.status != "draft")
    if event_id is not None:
        query = query.where(Registration.event_id == event_id)
    return db.session.scalars(query.order_by(Registration.id)).all()


def tell_news(registration_ids):
    """Tell each registration's member of the event's change (an updated calendar file) or
    cancellation (a calendar file that removes it), once per change; returns those told."""
    told = []
    for event, registration in locked_registrations(registration_ids):
        if registration is None or registration.status == "cancelled" or registration.told_sequence >= event.sequence:
            continue
        confirmed = registration.status == "confirmed"
        if event.status == "cancelled":
            tell_member(registration.member, "event_cancelled", _context(registration, reason=event.cancel_reason),
                        kind="account", link=Link("events.events", _l("See events")),
                        attachments=[calendar_file(registration, cancelled=True)] if confirmed else ())
        else:
            tell_member(registration.member, "event_changed", _context(registration), kind="account",
                        link=_event_link(registration, _l("Open the event")),
                        attachments=[calendar_file(registration)] if confirmed else ())
        registration.told_sequence = event.sequence
        told.append(registration.id)
    db.session.flush()
    return told


def reminders_due(now=None):
    """Ids of confirmed registrations for published events that start within 24 hours and have
    not had their reminder."""
    now = now or utcnow()
    return db.session.scalars(
        select(Registration.id).join(Registration.event).where(
            Registration.status == "confirmed", Registration.reminded_at.is_(None),
            Event.status == "published", Event.starts_at > now, Event.starts_at <= now + REMINDER_AHEAD)
        .order_by(Registration.id)
    ).all()


def send_reminders(registration_ids, now=None):
    """The 24-hour reminder, once per registration (the row is locked, then checked): emailed to
    members who want event reminders, a notification for all. Returns those reminded."""
    now = now or utcnow()
    sent = []
    for event, registration in locked_registrations(registration_ids):
        if registration is None or registration.reminded_at is not None or registration.status != "confirmed":
            continue
        if event.status != "published" or not (now < event.starts_at <= now + REMINDER_AHEAD):
            continue
        tell_member(registration.member, "event_reminder", _context(registration), kind="reminder",
                    link=_event_link(registration, _l("Open the event")))
        registration.reminded_at = now
        sent.append(registration.id)
    db.session.flush()
    return sent
