"""Calendar files (.ics, RFC 5545) for registrations: in the programme's time zone with its
VTIMEZONE, a UID that never changes for a registration, and the event's SEQUENCE, so a calendar
that imported an earlier copy replaces it. A cancelled event (or registration) gives METHOD:CANCEL."""

from email.utils import parseaddr

from flask import current_app
from icalendar import Calendar, vCalAddress
from icalendar import Event as CalendarEvent

from portal import dates
from portal.i18n import localized
from portal.mail.outbox import external_url
from portal.models import utcnow

PRODUCT = "-//Member Portal//Events//EN"
CONTENT_TYPE = "text/calendar"


def uid(registration):
    """The registration's calendar UID: the same in every file made for it."""
    host = external_url("events.event", event_id=registration.event_id).split("://", 1)[-1].split("/", 1)[0]
    return f"registration-{registration.id}@{host.split(':', 1)[0]}"


def organizer():
    """The programme, as the events' organiser: the address its emails come from."""
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    value = vCalAddress(f"mailto:{address}")
    if name:
        value.params["cn"] = name
    return value


def file_name(event):
    return f"event-{event.id}.ics"


def registration_ics(registration, cancelled=None):
    """The .ics bytes for `registration`, in the language of the request or job that asks. The online
    URL is in it only while the registration is confirmed; `cancelled` (default: the event or the
    registration is cancelled) makes it a METHOD:CANCEL file."""
    event = registration.event
    if cancelled is None:
        cancelled = event.status == "cancelled" or registration.status == "cancelled"
    zone = dates.programme_zone()
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", uid(registration))
    entry.add("sequence", event.sequence + registration.revision)
    entry.add("organizer", organizer())  # calendars apply a METHOD:CANCEL only from the organiser
    entry.add("dtstamp", utcnow())  # when this file was made (RFC 5545, for a file with a METHOD)
    entry.add("dtstart", event.starts_at.astimezone(zone))
    entry.add("dtend", event.ends_at.astimezone(zone))
    entry.add("summary", localized(event, "title"))
    link = external_url("events.event", event_id=event.id)
    description = localized(event, "description")
    entry.add("description", f"{description}\n\n{link}".strip())
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if event.online:
        if registration.status == "confirmed" and not cancelled and event.online_url:
            entry.add("location", event.online_url)
            entry.add("url", event.online_url)
        else:
            entry.add("url", link)
    else:
        entry.add("location", ", ".join(part for part in (event.venue, event.address) if part))
        entry.add("url", link)
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
