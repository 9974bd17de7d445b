"""Calendar files (.ics): they parse back, carry the programme's VTIMEZONE, a UID that never changes,
a SEQUENCE that rises with every change of time or place, the online link for confirmed members only,
a cancellation that removes the event, and the title in the member's language."""

from datetime import timedelta

from icalendar import Calendar

from portal.events import messages, services
from portal.events.calendar import uid
from portal.extensions import db
from portal.models import utcnow
from tests.factories import event_fields, make_event, make_member, make_staff

URL = "https://meet.example.com/tea-tasting"


def parsed(registration, **kwargs):
    """The registration's calendar file, as the member is sent it, parsed: (calendar, its VEVENT)."""
    attachment = messages.calendar_file(registration, **kwargs)
    assert attachment.content_type == "text/calendar"
    assert attachment.filename == f"event-{registration.event_id}.ics"
    calendar = Calendar.from_ical(attachment.data)
    [entry] = calendar.walk("VEVENT")
    return calendar, entry


def test_the_file_parses_back_in_the_programmes_zone(app):
    starts = utcnow().replace(microsecond=0) + timedelta(days=4)
    event = make_event("Tea tasting", description="Six teas from Alishan.", starts_at=starts, hours=2,
                       venue="Xinyi flagship", address="11 Songren Road, Taipei")
    registration = services.register(make_member(), event)

    calendar, entry = parsed(registration)

    assert str(calendar["VERSION"]) == "2.0" and str(calendar["METHOD"]) == "PUBLISH"
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Taipei"
    assert entry["DTSTART"].params["TZID"] == "Asia/Taipei" and entry["DTEND"].params["TZID"] == "Asia/Taipei"
    assert entry.decoded("DTSTART") == starts and entry.decoded("DTEND") == starts + timedelta(hours=2)
    assert entry.decoded("DTSTART").utcoffset() == timedelta(hours=8)
    assert str(entry["SUMMARY"]) == "Tea tasting"
    assert str(entry["DESCRIPTION"]).startswith("Six teas from Alishan.")
    assert f"/events/{event.id}" in str(entry["DESCRIPTION"])
    assert str(entry["LOCATION"]) == "Xinyi flagship, 11 Songren Road, Taipei"
    assert str(entry["STATUS"]) == "CONFIRMED" and int(entry["SEQUENCE"]) == 0
    assert str(entry["UID"]) == f"registration-{registration.id}@localhost"


def test_the_uid_stays_and_the_sequence_rises_with_each_change_of_time_or_place(app):
    event = make_event(starts_at=utcnow().replace(microsecond=0) + timedelta(days=3))  # the file keeps seconds
    staff = make_staff("expansion")
    registration = services.register(make_member(), event)
    first = str(parsed(registration)[1]["UID"])
    assert str(parsed(registration)[1]["UID"]) == first == uid(registration)

    services.update_event(event, event_fields(event, title="Renamed"), staff)
    _calendar, entry = parsed(registration)
    assert (str(entry["UID"]), int(entry["SEQUENCE"]), str(entry["SUMMARY"])) == (first, 0, "Renamed")

    services.update_event(event, event_fields(event, venue="Da'an store"), staff)
    _calendar, entry = parsed(registration)
    assert (str(entry["UID"]), int(entry["SEQUENCE"])) == (first, 1)
    assert str(entry["LOCATION"]).startswith("Da'an store")

    later = event.starts_at + timedelta(days=1)
    services.update_event(event, event_fields(event, starts_at=later, ends_at=later + timedelta(hours=1)), staff)
    _calendar, entry = parsed(registration)
    assert (str(entry["UID"]), int(entry["SEQUENCE"]), entry.decoded("DTSTART")) == (first, 2, later)

    other = services.register(make_member(), event)  # every registration has its own UID
    assert str(parsed(other)[1]["UID"]) != first


def test_the_online_link_is_only_in_a_confirmed_members_file(app):
    event = make_event(capacity=1, online=True, online_url=URL, venue="", address="")
    confirmed = services.register(make_member(), event)
    waitlisted = services.register(make_member(), event)

    _calendar, entry = parsed(confirmed)
    assert (str(entry["LOCATION"]), str(entry["URL"])) == (URL, URL)

    _calendar, entry = parsed(waitlisted)
    assert "LOCATION" not in entry and URL not in str(entry.to_ical())
    assert str(entry["URL"]).endswith(f"/events/{event.id}")

    services.cancel_registration(confirmed)
    _calendar, entry = parsed(db.session.merge(confirmed))
    assert URL not in entry.to_ical().decode()  # a cancelled registration's file has it no more


def test_a_cancelled_event_gives_a_file_that_removes_it(app):
    event = make_event()
    registration = services.register(make_member(), event)
    uid_before = str(parsed(registration)[1]["UID"])
    services.cancel_event(event, "The room flooded", make_staff("expansion"))

    calendar, entry = parsed(registration)
    assert str(calendar["METHOD"]) == "CANCEL" and str(entry["STATUS"]) == "CANCELLED"
    assert str(entry["UID"]) == uid_before and int(entry["SEQUENCE"]) == 1


def test_a_cancelled_registration_gives_a_file_that_removes_it(app):
    registration = services.register(make_member(), make_event())
    services.cancel_registration(registration)
    calendar, entry = parsed(registration)
    assert str(calendar["METHOD"]) == "CANCEL" and str(entry["STATUS"]) == "CANCELLED"


def test_the_title_is_in_the_members_language(app):
    event = make_event("Tea tasting", title_zh="品茶會", description="Six teas.", description_zh="六種茶。")
    mei = services.register(make_member(language="zh_Hant"), event)
    ann = services.register(make_member(language="en"), event)

    _calendar, entry = parsed(mei)
    assert str(entry["SUMMARY"]) == "品茶會" and str(entry["DESCRIPTION"]).startswith("六種茶。")
    _calendar, entry = parsed(ann)
    assert str(entry["SUMMARY"]) == "Tea tasting"
    # a Chinese title missing falls back to the English one
    event.title_zh = ""
    _calendar, entry = parsed(mei)
    assert str(entry["SUMMARY"]) == "Tea tasting"


def test_the_programme_is_the_organiser_so_calendars_apply_a_cancellation(app):
    member = make_member()
    event = make_event("Tea tasting")
    registration = services.register(member, event)
    services.cancel_event(event, "Typhoon", make_staff("expansion"))
    entry = Calendar.from_ical(messages.calendar_file(registration).data).walk("VEVENT")[0]
    assert str(entry["ORGANIZER"]) == "mailto:no-reply@portal.example"
    assert entry["ORGANIZER"].params["CN"] == "Member Portal"
