"""Events for staff at /admin/events: who may see and change them, the event form and its bad
input, publishing, cancelling, capacity, the registrations page and its CSV export, the check-in
desk, and the member's registrations on the staff member page."""

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from wtforms.validators import ValidationError

from portal.audit.models import AuditEntry
from portal.demo import demo_picture
from portal.events import services
from portal.events.admin_forms import existing_local_time
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members.card import card_token
from portal.members.models import Member, PointsEntry
from portal.models import utcnow
from portal.uploads import pictures
from tests.factories import make_member, make_staff
from tests.helpers import counting_queries, csrf_token, html, login, post_form, tampered

NEW_EVENT = {
    "title": "Tea tasting", "title_zh": "品茶會", "description": "Line one\nLine two <b>bold</b>",
    "description_zh": "", "place": "offline", "venue": "Da'an Hall", "address": "1 Tea Road, Taipei",
    "online_url": "", "starts_at": "2031-03-14T19:00", "ends_at": "2031-03-14T21:00",
    "registration_opens_at": "", "registration_closes_at": "", "capacity": "20", "min_tier": "",
    "attendance_points": "50", "cancel_cutoff_hours": "24",
}


def event_fields(**changes):
    """What services.create_event takes: an event at a venue three days from now."""
    now = utcnow()
    fields = dict(title="Tea", title_zh="", description="", description_zh="", registration_opens_at=None,
                  registration_closes_at=None, min_tier_id=None, attendance_points=50, cancel_cutoff_hours=24,
                  starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2), online=False,
                  online_url="", venue="Hall", address="1 Road", capacity=2)
    fields.update(changes)
    return fields


def make_event(staff=None, publish=True, **changes):
    staff = staff or make_staff("expansion")
    event = services.create_event(event_fields(**changes), staff)
    if publish:
        services.publish(event, staff)
    db.session.commit()
    return event


def registered(event, *names):
    """Members registered (in order) for `event`: the first `capacity` confirmed, the rest waitlisted."""
    rows = []
    for name in names:
        member = make_member(name=name)
        rows.append(services.register(member, event))
    db.session.commit()
    return rows


def as_role(client, role):
    staff = make_staff(role, name=f"Pat {role.title()}")
    db.session.commit()
    login(client, staff.email)
    return staff


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audits(action):
    return count(AuditEntry, AuditEntry.action == action)


# ---- who may do what -------------------------------------------------------------------------

def every_route(event, registration):
    base = f"/admin/events/{event.id}"
    gets = ["/admin/events/", "/admin/events/new", base, f"{base}/registrations", f"{base}/registrations.csv",
            f"{base}/check-in", f"{base}/check-in?q=M000001", f"{base}/check-in?part=counts"]
    posts = [("/admin/events/new", NEW_EVENT), (base, NEW_EVENT), (f"{base}/publish", {}),
             (f"{base}/cancel", {"reason": "x"}), (f"{base}/capacity", {"capacity": "9"}),
             (f"{base}/registrations/{registration.id}/cancel", {"reason": "x"}),
             (f"{base}/check-in", {"registration": str(registration.id)})]
    return gets, posts


@pytest.mark.parametrize("who", ["member", "service"])
def test_members_and_service_staff_get_403_on_every_events_admin_route(client, who):
    event = make_event(publish=False)
    [registration] = registered(make_event(), "Ann")
    if who == "member":
        member = make_member(email="ann.member@example.com")
        db.session.commit()
        login(client, member.email)
        token = csrf_token(client, "/profile")
    else:
        as_role(client, "service")
        token = csrf_token(client, "/admin/account")
    gets, posts = every_route(registration.event, registration)
    for url in gets + ["/admin/events/new", f"/admin/events/{event.id}"]:
        assert client.get(url).status_code == 403, url
    before = count(AuditEntry, AuditEntry.action.notlike("auth.%"))
    for url, data in posts:
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert count(AuditEntry, AuditEntry.action.notlike("auth.%")) == before
    assert db.session.get(Event, event.id).status == "draft"
    assert db.session.get(Registration, registration.id).checked_in_at is None
    assert 'href="/admin/events/"' not in html(client.get("/admin/" if who == "service" else "/"))


def test_operations_read_every_page_without_change_forms_and_get_403_on_every_change(client):
    [registration] = registered(make_event(), "Ann")
    event = registration.event
    as_role(client, "operations")
    gets, posts = every_route(event, registration)
    for url in gets:
        expected = 403 if url.endswith("/new") else 200
        assert client.get(url).status_code == expected, url
    page = html(client.get(f"/admin/events/{event.id}"))
    assert "Cancel event" not in page and "Change the event" not in page and 'name="title"' not in page
    listing = html(client.get("/admin/events/"))
    assert "Tea" in listing and "New event" not in listing
    regs = html(client.get(f"/admin/events/{event.id}/registrations"))
    assert "Save capacity" not in regs and "Cancel registration" not in regs and "Ann" in regs
    desk = html(client.get(f"/admin/events/{event.id}/check-in?q={registration.member.number}"))
    assert "Ann" in desk and ">Check in<" not in desk
    token = csrf_token(client, "/admin/events/")
    for url, data in posts:
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert audits("registration.check_in") == audits("event.capacity") == audits("event.cancel") == 0
    assert db.session.get(Registration, registration.id).checked_in_at is None
    home = html(client.get("/admin/"))
    assert 'href="/admin/events/"' in home


@pytest.mark.parametrize("role", ["expansion", "admin"])
def test_expansion_and_the_team_lead_see_the_events_area_and_its_forms(client, role):
    as_role(client, role)
    assert 'href="/admin/events/"' in html(client.get("/admin/"))
    assert "New event" in html(client.get("/admin/events/"))
    assert client.get("/admin/events/new").status_code == 200


# ---- the event form --------------------------------------------------------------------------

def test_expansion_add_a_draft_event_in_the_programmes_time_and_publish_it(client, app):
    staff = as_role(client, "expansion")
    png = demo_picture((10, 20, 30), (200, 100, 50), "circle")
    response = post_form(client, "/admin/events/new", {**NEW_EVENT, "picture": (io.BytesIO(png), "cover.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 303
    event = db.session.scalar(select(Event).where(Event.title == "Tea tasting"))
    assert response.headers["Location"] == f"/admin/events/{event.id}"
    assert event.status == "draft" and event.title_zh == "品茶會" and event.capacity == 20
    assert event.starts_at.isoformat() == "2031-03-14T11:00:00+00:00"  # 19:00 in Taipei
    assert event.ends_at.isoformat() == "2031-03-14T13:00:00+00:00"
    assert (event.venue, event.address, event.online, event.online_url) == ("Da'an Hall", "1 Tea Road, Taipei",
                                                                           False, "")
    assert (event.attendance_points, event.cancel_cutoff_hours, event.min_tier_id) == (50, 24, None)
    assert pictures.NAME.match(event.picture)
    assert audits("event.create") == 1

    page = html(client.get(f"/admin/events/{event.id}"))
    assert "saved as a draft" in page and 'value="2031-03-14T19:00"' in page
    assert "Line one\nLine two &lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert f'src="/pictures/{event.picture}"' in page
    served = client.get(f"/pictures/{event.picture}")
    assert served.data == png
    served.close()

    published = post_form(client, f"/admin/events/{event.id}/publish", {}, page=f"/admin/events/{event.id}")
    assert published.status_code == 303
    assert db.session.get(Event, event.id).status == "published"
    assert "is published" in html(client.get(f"/admin/events/{event.id}"))
    again = post_form(client, f"/admin/events/{event.id}/publish", {}, page=f"/admin/events/{event.id}")
    assert again.status_code == 422 and "Only a draft can be published." in html(again)
    assert audits("event.publish") == 1
    assert staff.id == db.session.scalar(select(AuditEntry.actor_staff_id).where(AuditEntry.action == "event.publish"))


def test_an_online_event_needs_a_web_address_and_keeps_no_venue(client):
    as_role(client, "expansion")
    data = {**NEW_EVENT, "place": "online", "online_url": "https://meet.example.com/tea", "venue": "Ignored"}
    assert post_form(client, "/admin/events/new", data).status_code == 303
    event = db.session.scalar(select(Event).where(Event.title == "Tea tasting"))
    assert (event.online, event.online_url, event.venue, event.address) == (True, "https://meet.example.com/tea",
                                                                            "", "")


BAD_INPUT = [
    ({"ends_at": "2031-03-14T18:00"}, "The end must be after the start."),
    ({"ends_at": "2031-03-14T19:00"}, "The end must be after the start."),
    ({"place": "online", "online_url": "meet.example.com/tea"}, "Enter a full web address starting with https://"),
    ({"place": "online", "online_url": "javascript:alert(1)"}, "Enter a full web address starting with https://"),
    ({"place": "online", "online_url": "ftp://files.example.com"}, "Enter a full web address starting with https://"),
    ({"place": "online", "online_url": ""}, "Enter the link members join with"),
    ({"venue": ""}, "Give the venue's name as well as its address."),
    ({"venue": "", "address": ""}, "Enter the venue, or choose “Online”."),
    ({"starts_at": "not a date"}, "Enter a date and time, such as 2027-03-14 19:00."),
    ({"starts_at": "2020-01-01T10:00", "ends_at": "2020-01-01T12:00"}, "A new event must start in the future."),
    ({"capacity": "0"}, "Enter a whole number from 1 to 100,000."),
    ({"capacity": ""}, "Enter how many members can attend."),
    ({"title": "  "}, "Give the event a title."),
    ({"registration_opens_at": "2031-03-10T10:00", "registration_closes_at": "2031-03-09T10:00"},
     "Registration must close after it opens."),
    ({"registration_closes_at": "2031-03-15T10:00"}, "Registration must close by the start of the event."),
    ({"min_tier": "99999"}, "Not a valid choice"),
    ({"attendance_points": "-5"}, "Enter a whole number from 0 to 1,000,000."),
    ({"title": "Tea\r\nBcc: x@example.com"}, "Use one line of text"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUT)
def test_bad_event_input_gets_422_with_a_message_and_saves_nothing(client, changes, message):
    as_role(client, "expansion")
    response = post_form(client, "/admin/events/new", {**NEW_EVENT, **changes})
    assert response.status_code == 422
    assert message in html(response)
    assert count(Event) == 0 and audits("event.create") == 0


def test_a_fake_picture_is_refused(client):
    as_role(client, "expansion")
    response = post_form(client, "/admin/events/new",
                         {**NEW_EVENT, "picture": (io.BytesIO(b"<svg onload=alert(1)>"), "cover.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 422 and "not a JPEG, PNG or WebP" in html(response)
    assert count(Event) == 0


def test_editing_a_published_events_time_tells_everyone_registered_and_says_so(client):
    staff = as_role(client, "expansion")
    event = make_event(staff, capacity=1)
    registered(event, "Ann", "Bea")
    db.session.query(OutboxMessage).delete()
    db.session.commit()
    page = html(client.get(f"/admin/events/{event.id}"))
    starts = re.search(r'name="starts_at"[^>]*value="([^"]+)"', page).group(1)
    ends = re.search(r'name="ends_at"[^>]*value="([^"]+)"', page).group(1)
    data = {**NEW_EVENT, "title": "Tea", "venue": "Other hall", "address": "", "starts_at": starts, "ends_at": ends}
    del data["capacity"]

    response = post_form(client, f"/admin/events/{event.id}", data)

    assert response.status_code == 303
    saved = db.session.get(Event, event.id)
    assert (saved.venue, saved.sequence, saved.capacity) == ("Other hall", 1, 1)
    page = html(client.get(response.headers["Location"]))
    assert "the 2 members registered are being emailed an updated calendar file" in page
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "event_changed")).all()
    assert len(told) == 2

    # Only the details: saved, nobody emailed, no new sequence
    response = post_form(client, f"/admin/events/{event.id}", {**data, "description": "Bring a cup."})
    assert response.status_code == 303 and db.session.get(Event, event.id).sequence == 1
    assert "is saved" in html(client.get(response.headers["Location"]))
    assert count(OutboxMessage, OutboxMessage.template == "event_changed") == 2

    bad = post_form(client, f"/admin/events/{event.id}", {**data, "ends_at": starts})
    assert bad.status_code == 422 and "The end must be after the start." in html(bad)
    assert db.session.get(Event, event.id).ends_at > db.session.get(Event, event.id).starts_at


# ---- cancelling an event ---------------------------------------------------------------------

def test_cancelling_an_event_emails_the_registered_and_the_waitlisted(client):
    staff = as_role(client, "expansion")
    event = make_event(staff, capacity=1)
    registered(event, "Ann", "Bea")
    url = f"/admin/events/{event.id}/cancel"

    no_reason = post_form(client, url, {"reason": " "}, page=f"/admin/events/{event.id}")
    assert no_reason.status_code == 422 and "Give a reason" in html(no_reason)
    assert db.session.get(Event, event.id).status == "published"

    response = post_form(client, url, {"reason": "Typhoon warning"}, page=f"/admin/events/{event.id}")

    assert response.status_code == 303
    saved = db.session.get(Event, event.id)
    assert (saved.status, saved.cancel_reason) == ("cancelled", "Typhoon warning")
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "event_cancelled")).all()
    assert sorted(m.to_name for m in told) == ["Ann", "Bea"]
    page = html(client.get(f"/admin/events/{event.id}"))
    assert "The 2 members registered or on the waitlist are being emailed" in page
    assert "Typhoon warning" in page and 'name="title"' not in page
    again = client.post(url, data={"csrf_token": csrf_token(client, "/admin/events/"), "reason": "x"})
    assert again.status_code == 422 and "already cancelled" in html(again)
    edit = client.post(f"/admin/events/{event.id}", data={"csrf_token": csrf_token(client, "/admin/events/"),
                                                          **NEW_EVENT})
    assert edit.status_code == 422 and db.session.get(Event, event.id).title == "Tea"


# ---- capacity and registrations ----------------------------------------------------------------

def test_raising_the_capacity_promotes_the_waitlist_in_order(client):
    staff = as_role(client, "expansion")
    event = make_event(staff, capacity=1)
    ann, bea, cai, dan = registered(event, "Ann", "Bea", "Cai", "Dan")
    page = html(client.get(f"/admin/events/{event.id}/registrations"))
    assert "Registered (1)" in page
    assert "Waitlist (3)" in page and "Cancelled (0)" in page
    assert page.index("Bea") < page.index("Cai") < page.index("Dan")

    response = post_form(client, f"/admin/events/{event.id}/capacity", {"capacity": "3"},
                         page=f"/admin/events/{event.id}/registrations")

    assert response.status_code == 303
    statuses = {r.member.name: db.session.get(Registration, r.id).status for r in (ann, bea, cai, dan)}
    assert statuses == {"Ann": "confirmed", "Bea": "confirmed", "Cai": "confirmed", "Dan": "waitlisted"}
    assert count(OutboxMessage, OutboxMessage.template == "event_promoted") == 2
    assert "2 members moved up from the waitlist and were told." in html(client.get(response.headers["Location"]))


def test_capacity_below_the_confirmed_count_is_refused_and_nothing_changes(client):
    staff = as_role(client, "expansion")
    event = make_event(staff, capacity=3)
    registered(event, "Ann", "Bea", "Cai")
    for value, message in (("2", "3 members are confirmed: the capacity cannot be lower than that."),
                           ("0", "Enter a whole number from 1 to 100,000."), ("lots", "Not a valid integer value")):
        response = post_form(client, f"/admin/events/{event.id}/capacity", {"capacity": value},
                             page=f"/admin/events/{event.id}/registrations")
        assert response.status_code == 422, value
        assert message in html(response), value
    assert db.session.get(Event, event.id).capacity == 3 and audits("event.capacity") == 0


def test_staff_cancel_a_registration_with_a_reason_and_the_first_waitlisted_moves_up(client):
    staff = as_role(client, "expansion")
    event = make_event(staff, capacity=1)
    ann, bea = registered(event, "Ann", "Bea")
    url = f"/admin/events/{event.id}/registrations/{ann.id}/cancel"

    response = post_form(client, url, {"reason": "Asked by phone"}, page=f"/admin/events/{event.id}/registrations")

    assert response.status_code == 303
    assert db.session.get(Registration, ann.id).status == "cancelled"
    assert db.session.get(Registration, ann.id).cancelled_by_staff_id == staff.id
    assert db.session.get(Registration, bea.id).status == "confirmed"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.cancel"))
    assert entry.reason == "Asked by phone"
    page = html(client.get(f"/admin/events/{event.id}/registrations"))
    assert "The registration of Ann is cancelled" in page and "Cancelled (1)" in page
    again = post_form(client, url, {}, page=f"/admin/events/{event.id}/registrations")
    assert again.status_code == 422 and "already cancelled" in html(again)
    other = make_event(staff)
    assert post_form(client, f"/admin/events/{other.id}/registrations/{bea.id}/cancel", {},
                     page="/admin/events/").status_code == 404


# ---- the CSV export ----------------------------------------------------------------------------

def test_the_csv_export_opens_in_excel_and_guards_against_formulas(client):
    staff = as_role(client, "expansion")
    event = make_event(staff, capacity=1)
    ann, bea, cai = registered(event, "=HYPERLINK(\"http://evil\")", "陳美玲", "+Cai")
    services.check_in(ann, staff, event)
    services.cancel_registration(cai)
    db.session.commit()

    response = client.get(f"/admin/events/{event.id}/registrations.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Member number", "Name", "Email", "Tier", "Status", "Waitlist position", "Registered at",
                       "Checked in at"]
    by_number = {row[0]: row for row in rows[1:]}
    first = by_number[ann.member.number]
    assert first[1] == "'=HYPERLINK(\"http://evil\")" and first[4] == "Confirmed" and first[3] == "Regular"
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d$", first[7])
    second = by_number[bea.member.number]
    assert (second[1], second[4], second[5]) == ("陳美玲", "On the waitlist", "1")
    assert by_number[cai.member.number][1] == "'+Cai" and by_number[cai.member.number][4] == "Cancelled"
    assert client.get("/admin/events/999999/registrations.csv").status_code == 404


# ---- the check-in desk -------------------------------------------------------------------------

@pytest.fixture
def desk(client):
    """An event (50 points) with Mei confirmed, Wai waitlisted, Cal cancelled; expansion staff logged in."""
    staff = as_role(client, "expansion")
    event = make_event(staff, capacity=1, attendance_points=50)
    mei, wai, cal = registered(event, "Mei Lin", "Wai Chan", "Cal Wu")
    services.cancel_registration(cal)
    db.session.commit()
    return staff, event, mei, wai, cal


def find(client, event, query, **headers):
    return client.get(f"/admin/events/{event.id}/check-in", query_string={"q": query}, headers=headers)


def check_in(client, event, registration, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return post_form(client, f"/admin/events/{event.id}/check-in", {"registration": str(registration.id)},
                     page=f"/admin/events/{event.id}/check-in", headers=headers)


def balance(member_id):
    return db.session.get(Member, member_id).points_balance


def test_checking_in_by_member_number_awards_the_points_once(client, desk):
    staff, event, mei, _wai, _cal = desk
    page = html(client.get(f"/admin/events/{event.id}/check-in"))
    assert "Checked in: 0 of 1" in page and "Member number, name or code" in page and ">Find<" in page
    assert 'data-scan' in page and "Scan with camera" in page
    for typed in (mei.member.number, mei.member.number.lower(), str(mei.member.id), "mei lin", "Lin"):
        found = html(find(client, event, typed))
        assert "Mei Lin" in found and ">Check in<" in found, typed

    response = check_in(client, event, mei)

    assert response.status_code == 303
    assert balance(mei.member_id) == 50
    page = html(client.get(response.headers["Location"]))
    assert f"Mei Lin ({mei.member.number}) is checked in and earned 50 points." in page
    assert "Checked in: 1 of 1" in page

    # A second scan, and a second press of a button left on another phone: nothing changes
    again = html(find(client, event, mei.member.number))
    assert "Already checked in at" in again and ">Check in<" not in again
    second = check_in(client, event, mei)
    assert second.status_code == 422 and "Mei Lin is already checked in" in html(second)
    assert balance(mei.member_id) == 50
    assert count(PointsEntry, PointsEntry.member_id == mei.member_id, PointsEntry.kind == "event_attendance") == 1
    assert audits("registration.check_in") == 1


def test_check_in_with_htmx_swaps_the_result_and_the_counts(client, desk):
    _staff, event, mei, _wai, _cal = desk
    partial = find(client, event, mei.member.number, **{"HX-Request": "true"})
    assert "<html" not in html(partial) and 'id="check-in-result"' in html(partial)
    response = check_in(client, event, mei, htmx=True)
    body = html(response)
    assert response.status_code == 200 and "<html" not in body
    assert "is checked in and earned 50 points" in body
    assert 'hx-swap-oob="true"' in body and "Checked in: 1 of 1" in body
    counts = client.get(f"/admin/events/{event.id}/check-in?part=counts", headers={"HX-Request": "true"})
    assert "<html" not in html(counts) and "Checked in: 1 of 1" in html(counts)
    assert 'hx-trigger="every 5s"' in html(counts)


def test_the_check_in_codes_of_the_member_page_and_the_card_find_the_registration(client, desk, app):
    _staff, event, mei, _wai, _cal = desk
    with app.test_request_context():
        token = services.check_in_token(mei)
        card = card_token(mei.member)
    for code in (token, card):
        found = html(find(client, event, code))
        assert "Mei Lin" in found and ">Check in<" in found, code


def test_every_refusal_at_the_desk_says_why_and_changes_nothing(client, desk, app):
    staff, event, mei, wai, cal = desk
    other = make_event(staff, title="Calligraphy")
    [elsewhere] = registered(other, "Oli Other")
    stranger = make_member(name="Sam Stranger")
    db.session.commit()
    with app.test_request_context():
        other_token = services.check_in_token(elsewhere)
        forged = tampered(services.check_in_token(mei))
        fake_card = tampered(card_token(stranger))

    assert "This code is for another event: “Calligraphy”." in html(find(client, event, other_token))
    assert "This code is not valid" in html(find(client, event, forged))
    assert "This code is not valid" in html(find(client, event, "R.not-a-token"))
    assert "This code is not valid" in html(find(client, event, fake_card))
    assert f"Sam Stranger ({stranger.number}) is not registered for this event." in html(
        find(client, event, stranger.number))
    assert "No member has this member number." in html(find(client, event, "M999999999"))
    assert "No one registered for this event matches “Nobody”." in html(find(client, event, "Nobody"))
    waiting = html(find(client, event, wai.member.number))
    assert "On the waitlist (position 1)" in waiting and ">Check in<" not in waiting
    gone = html(find(client, event, cal.member.number))
    assert "Registration cancelled" in gone and ">Check in<" not in gone

    for registration, message in ((wai, "Wai Chan is on the waitlist, not confirmed: they cannot be checked in."),
                                  (cal, "The registration of Cal Wu is cancelled: they cannot be checked in."),
                                  (elsewhere, "This code is for another event: “Calligraphy”.")):
        response = check_in(client, event, registration)
        assert response.status_code == 422 and message in html(response), message
    assert check_in(client, event, type("R", (), {"id": 999999999})()).status_code == 404
    assert audits("registration.check_in") == 0 and count(PointsEntry, PointsEntry.kind == "event_attendance") == 0
    assert all(db.session.get(Registration, r.id).checked_in_at is None for r in (mei, wai, cal, elsewhere))


def test_a_cancelled_event_checks_no_one_in(client, desk):
    staff, event, mei, _wai, _cal = desk
    services.cancel_event(event, "Rain", staff)
    db.session.commit()
    response = check_in(client, event, mei)
    assert response.status_code == 422 and "This event is cancelled: no one can be checked in." in html(response)
    assert balance(mei.member_id) == 0


# ---- the staff member page -----------------------------------------------------------------------

def test_the_staff_member_page_lists_the_members_registrations(client):
    staff = make_staff("expansion")
    tea = make_event(staff, title="Tea", capacity=1)
    walk = make_event(staff, title="Night walk", starts_at=utcnow() + timedelta(days=9),
                      ends_at=utcnow() + timedelta(days=9, hours=1), capacity=1)
    mei = make_member(name="Mei Lin")
    registered(walk, "Someone")
    tea_row = services.register(mei, tea)
    services.register(mei, walk)
    services.check_in(tea_row, staff, tea)
    db.session.commit()
    service = as_role(client, "service")
    page = html(client.get(f"/admin/members/{mei.id}"))
    section = page[page.index("Event registrations"):]
    assert "Tea" in section and "Night walk" in section and "On the waitlist" in section and "Confirmed" in section
    assert section.index("Night walk") < section.index("Tea")  # the latest event first
    assert "/admin/events/" not in section  # service staff do not reach the events area
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/account")})
    assert service.id and login(client, staff.email).status_code == 303
    page = html(client.get(f"/admin/members/{mei.id}"))
    assert f'href="/admin/events/{tea.id}/registrations"' in page


# ---- performance -------------------------------------------------------------------------------

def test_the_registrations_page_runs_the_same_queries_for_3_and_30_registrations(client):
    staff = as_role(client, "expansion")
    small, large = make_event(staff, capacity=2), make_event(staff, capacity=10)
    registered(small, *[f"Small {n}" for n in range(3)])
    rows = registered(large, *[f"Large {n}" for n in range(30)])
    for row in rows[:3]:
        services.cancel_registration(row, staff=staff)
    db.session.commit()
    client.get(f"/admin/events/{small.id}/registrations")  # warm up the session and the caches
    with counting_queries() as few:
        assert client.get(f"/admin/events/{small.id}/registrations").status_code == 200
    with counting_queries() as many:
        page = client.get(f"/admin/events/{large.id}/registrations")
        assert page.status_code == 200
    assert "Waitlist (17)" in html(page) and "Cancelled (3)" in html(page)
    assert len(many) == len(few), (len(few), len(many))


def test_the_staff_event_pages_speak_chinese(client):
    staff = make_staff("expansion", language="zh_Hant")
    event = make_event(staff)
    [registration] = registered(event, "Mei Lin")
    db.session.commit()
    login(client, staff.email)
    base = f"/admin/events/{event.id}"
    assert "新增活動" in html(client.get("/admin/events/"))
    assert "修改活動" in html(client.get(base)) and "取消活動" in html(client.get(base))
    assert "候補名單" in html(client.get(f"{base}/registrations"))
    desk = html(client.get(f"{base}/check-in", query_string={"q": registration.member.number}))
    assert "報到櫃台" in desk and "已報到：0／1" in desk and ">報到<" in desk
    bad = post_form(client, f"{base}/capacity", {"capacity": "0"}, page=f"{base}/registrations")
    assert bad.status_code == 422 and "請輸入 1 到 100,000 的整數。" in html(bad)
    export = client.get(f"{base}/registrations.csv").data.decode("utf-8-sig")
    assert export.startswith("會員編號,") and "已確認" in export


def test_a_local_time_the_clocks_skip_is_refused(app):
    """In a zone with summer time, 02:30 on the night the clocks go forward does not exist."""
    app.config["DEFAULT_TIMEZONE"] = "Europe/London"
    try:
        class Field:
            data = datetime(2027, 3, 28, 1, 30, tzinfo=ZoneInfo("Europe/London"))
        with app.test_request_context(), pytest.raises(ValidationError) as refused:
            existing_local_time(None, Field)
            assert "does not exist in Europe/London" in str(refused.value)
        Field.data = datetime(2027, 3, 28, 3, 30, tzinfo=ZoneInfo("Europe/London"))
        existing_local_time(None, Field)
    finally:
        app.config["DEFAULT_TIMEZONE"] = "Asia/Taipei"
