"""A member only ever reaches their own data: every route, tried with another member's ids."""

import re
import uuid

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.audit.models import AuditEntry
from portal.events import services as events
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.members import ledger
from portal.members.card import card_token
from portal.members.models import Member, PointsEntry
from portal.rewards import services as rewards
from portal.rewards.models import Redemption, Reward
from portal.surveys import services as surveys
from portal.surveys.models import Invitation, Question, Response, Survey
from tests.factories import make_event, make_member, make_reward, make_staff, make_survey, make_ticket
from tests.helpers import csrf_token, login, post_form, survey_build, survey_good_answers

SECRET = "Bea-only reason 7f3a"


@pytest.fixture
def two_members(app):
    ann = make_member(name="Ann Own", email="ann@example.com")
    bea = make_member(name="Bea Other", email="bea.other@example.com", phone="+886 900 111 222", tier="gold")
    ledger.earn(ann, 120, "purchase", "ann-1", reason="Ann's purchase")
    entries = [ledger.earn(bea, 7777, "purchase", f"bea-{n}", reason=f"{SECRET} {n}") for n in range(3)]
    db.session.commit()
    return ann, bea, entries


def leaks(html, bea):
    """Anything that would show Bea's data on a page meant for Ann (the language switcher's
    `next` field echoes the URL Ann typed herself, so it is left out)."""
    html = re.sub(r'name="next" value="[^"]*"', "", html)
    found = [s for s in (SECRET, bea.name, bea.email, bea.number, "900 111 222", "23,331") if s in html]
    return found


def test_member_pages_with_another_members_ids_show_only_ones_own_data(client, two_members):
    ann, bea, entries = two_members
    login(client, ann.email)
    other = entries[-1].id
    attempts = [
        "/", f"/?member_id={bea.id}", f"/?id={bea.id}",
        "/points", f"/points?after={other}", f"/points?after={entries[0].id}&kind=purchase",
        f"/points?member_id={bea.id}", f"/points?member={bea.number}",
        "/benefits", f"/benefits?member_id={bea.id}",
        "/card", f"/card?member_id={bea.id}", f"/card?token={card_token(bea)}",
        "/profile", f"/profile?member_id={bea.id}",
    ]
    for url in attempts:
        response = client.get(url, headers={"HX-Request": "true"} if "after" in url else {})
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 400, 404), url
        assert not leaks(html, bea), f"{url} shows {leaks(html, bea)}"
    assert "Ann Own" in client.get("/card").get_data(as_text=True)


def test_staff_routes_refuse_a_member_and_write_nothing(client, two_members):
    ann, bea, entries = two_members
    login(client, ann.email)
    for url in (f"/admin/members/{bea.id}", "/admin/members?q=bea", f"/admin/audit?member={bea.number}",
                "/admin/", "/admin/outbox", "/admin/outbox/1", "/admin/imports/purchases", "/admin/api-keys"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert not leaks(response.get_data(as_text=True), bea), url
    tier_before = bea.tier.code
    token = csrf_token(client, "/profile")
    before = db.session.scalar(select(func.count()).select_from(PointsEntry))
    for url, data in ((f"/admin/members/{bea.id}/points", {"points": "-7000", "reason": "steal"}),
                      (f"/admin/members/{bea.id}/tier", {"tier": "1", "reason": "demote"}),
                      ("/admin/outbox/1/resend", {}),
                      (f"/admin/members/{bea.id}/purchases", {"amount": "5000", "date": "2026-01-01",
                                                              "reference": "x"}),
                      ("/admin/imports/purchases", {}),
                      ("/admin/imports/purchases/import", {"token": "x", "fingerprint": "y"}),
                      ("/admin/api-keys", {"name": "mine"}), ("/admin/api-keys/1/revoke", {})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.notlike("auth.%"))) == 0  # logging in is audited
    assert db.session.get(Member, bea.id).tier.code == tier_before
    # The point-of-sale API takes an API key, never a member's session.
    answer = client.post("/api/v1/purchases", json={"member": bea.number, "amount": "5000", "reference": "x",
                                                    "purchased_at": "2026-01-01"})
    assert answer.status_code == 401
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == before


def test_staff_account_pages_refuse_members_and_staff_pages_refuse_other_roles(client, two_members):
    """Members get 403 on every staff-account page; only the team lead manages other staff."""
    from portal.auth.models import StaffUser
    from tests.factories import make_staff

    ann, _bea, _entries = two_members
    ops = make_staff("operations", name="Olive Ops")
    login(client, ann.email)
    token = csrf_token(client, "/profile")
    for url in ("/admin/account", "/admin/account/password", "/admin/account/two-factor", "/admin/staff"):
        assert client.get(url).status_code == 403, url
    for url in ("/admin/account/password", "/admin/account/two-factor/start", "/admin/account/two-factor/confirm",
                "/admin/account/two-factor/cancel", f"/admin/staff/{ops.id}/role",
                f"/admin/staff/{ops.id}/two-factor/reset"):
        assert client.post(url, data={"csrf_token": token, "role": "admin", "reason": "x"}).status_code == 403, url
    service = make_staff("service", name="Sam Service")
    client.post("/logout", data={"csrf_token": token})
    login(client, service.email)
    token = csrf_token(client, "/admin/account")
    assert client.get("/admin/staff").status_code == 403
    for url in (f"/admin/staff/{ops.id}/role", f"/admin/staff/{ops.id}/two-factor/reset"):
        assert client.post(url, data={"csrf_token": token, "role": "admin", "reason": "x"}).status_code == 403, url
    assert db.session.get(StaffUser, ops.id).role == "operations"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.notlike("auth.%"))) == 0  # logging in is audited


def test_form_fields_naming_another_member_change_only_ones_own_profile(client, two_members):
    ann, bea, _ = two_members
    login(client, ann.email)
    response = post_form(client, "/profile", {
        "name": "Ann Renamed", "language": "en", "id": str(bea.id), "member_id": str(bea.id),
        "email": bea.email, "points_balance": "999999", "tier_id": "4",
    })
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Member, ann.id).name == "Ann Renamed"
    assert db.session.get(Member, ann.id).email == "ann@example.com"
    assert db.session.get(Member, ann.id).points_balance == 120
    assert db.session.get(Member, bea.id).name == "Bea Other"


def test_logging_out_everywhere_with_another_members_id_ends_only_ones_own_sessions(client, two_members):
    ann, bea, _ = two_members
    versions = (ann.session_version, bea.session_version)
    login(client, ann.email)
    response = post_form(client, "/profile/sessions/end", {"id": str(bea.id), "member_id": str(bea.id)},
                         page="/profile")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Member, ann.id).session_version == versions[0] + 1
    assert db.session.get(Member, bea.id).session_version == versions[1]


@pytest.fixture
def two_redemptions(app, two_members):
    """Ann's and Bea's vouchers for the same reward, each redeemed with a key of their own."""
    ann, bea, entries = two_members
    reward = make_reward("Tea set", 50, stock=5)
    db.session.commit()
    with app.test_request_context():
        bea_voucher = rewards.redeem(bea, reward, str(uuid.uuid4()))
        ann_voucher = rewards.redeem(ann, reward, str(uuid.uuid4()))
    db.session.commit()
    return ann, bea, reward, ann_voucher, bea_voucher


def test_reward_pages_with_another_members_redemption_ids_show_only_ones_own(client, two_redemptions):
    ann, bea, reward, mine, theirs = two_redemptions
    login(client, ann.email)
    assert client.get(f"/rewards/my/{theirs.id}").status_code == 404
    attempts = [
        "/rewards", f"/rewards?member_id={bea.id}", f"/rewards/{reward.id}", f"/rewards/{reward.id}/redeem",
        "/rewards/my", f"/rewards/my?member_id={bea.id}", f"/rewards/my/{theirs.id}",
        f"/rewards/my/{theirs.id}?member_id={bea.id}", f"/rewards/my/{mine.id}?id={theirs.id}",
        f"/rewards/my?code={theirs.voucher_code}",
    ]
    for url in attempts:
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 404), url
        assert not leaks(html, bea), url
        assert theirs.voucher_code not in re.sub(r'name="next" value="[^"]*"', "", html), url
    assert mine.voucher_code in client.get("/rewards/my").get_data(as_text=True)
    assert mine.voucher_code in client.get(f"/rewards/my/{mine.id}").get_data(as_text=True)


def test_redeeming_with_another_members_key_or_fields_spends_only_ones_own_points(client, two_redemptions):
    ann, bea, reward, mine, theirs = two_redemptions
    login(client, ann.email)
    bea_balance = bea.points_balance
    bea_key = theirs.idempotency_key.split(":", 1)[1]  # the key Bea's confirmation handed out
    response = post_form(client, f"/rewards/{reward.id}/redeem",
                         {"key": bea_key, "member_id": str(bea.id), "member": bea.number}, page="/rewards")
    assert response.status_code == 303
    assert response.headers["Location"] != f"/rewards/my/{theirs.id}"
    db.session.expire_all()
    assert db.session.get(Member, bea.id).points_balance == bea_balance
    newest = db.session.scalar(select(Redemption).order_by(Redemption.id.desc()).limit(1))
    assert newest.member_id == ann.id and newest.id not in (mine.id, theirs.id)


def test_the_voucher_desk_refuses_a_member_and_changes_nothing(client, two_redemptions):
    ann, bea, reward, mine, theirs = two_redemptions
    login(client, ann.email)
    for url in ("/admin/rewards/", "/admin/rewards/new", f"/admin/rewards/{reward.id}",
                f"/admin/rewards/vouchers?code={theirs.voucher_code}"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert not leaks(response.get_data(as_text=True), bea), url
    token = csrf_token(client, "/profile")
    for url, data in (("/admin/rewards/vouchers/use", {"code": theirs.voucher_code}),
                      (f"/admin/rewards/vouchers/{theirs.id}/cancel", {"reason": "mine now"}),
                      ("/admin/rewards/new", {"name": "Free", "points_cost": "1"}),
                      (f"/admin/rewards/{reward.id}", {"name": "Free", "points_cost": "1"}),
                      (f"/admin/rewards/{reward.id}/deactivate", {}), (f"/admin/rewards/{reward.id}/activate", {})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(Redemption, theirs.id).status == "issued"
    assert (db.session.get(Reward, reward.id).points_cost, db.session.get(Reward, reward.id).active) == (50, True)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.notlike("auth.%"))) == 0  # logging in is audited


@pytest.fixture
def two_registrations(app, two_members):
    """Bea holds a confirmed place at an online event (and a waitlist place at a full one); Ann holds none."""
    ann, bea, entries = two_members
    webinar = make_event("Saving webinar", online=True, online_url="https://meet.example.com/bea-only-7f3a")
    full = make_event("Cooking class", capacity=1)
    events.register(make_member(name="Holder"), full)
    bea_place, bea_queue = events.register(bea, webinar), events.register(bea, full)
    db.session.commit()
    return ann, bea, webinar, full, bea_place, bea_queue


def test_event_pages_never_show_another_members_registration_link_or_calendar_file(client, two_registrations):
    ann, bea, webinar, full, bea_place, bea_queue = two_registrations
    login(client, ann.email)
    attempts = [
        "/events", f"/events?member_id={bea.id}", "/events?show=my_tier",
        f"/events/{webinar.id}", f"/events/{webinar.id}?member_id={bea.id}", f"/events/{full.id}",
        f"/events/{full.id}?registration={bea_queue.id}",
        "/events/mine", f"/events/mine?member_id={bea.id}", f"/events/mine?member={bea.number}",
    ]
    for url in attempts:
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert not leaks(page, bea), url
        assert "bea-only-7f3a" not in page and "You are registered" not in page, url
        assert "You are on the waitlist" not in page and "ahead of you" not in page, url
    for url in (f"/events/{webinar.id}/calendar.ics", f"/events/{webinar.id}/calendar.ics?member_id={bea.id}",
                f"/events/{webinar.id}/calendar.ics?registration={bea_place.id}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"bea-only-7f3a" not in response.data, url
    assert "Saving webinar" not in client.get("/events/mine").get_data(as_text=True)


def test_cancelling_or_registering_with_another_members_ids_touches_only_ones_own(client, two_registrations):
    ann, bea, webinar, full, bea_place, bea_queue = two_registrations
    login(client, ann.email)
    token = csrf_token(client, "/events")
    fields = {"csrf_token": token, "member_id": str(bea.id), "registration_id": str(bea_place.id)}
    assert client.post(f"/events/{webinar.id}/cancel", data=fields).status_code == 404
    assert client.post(f"/events/{full.id}/cancel", data=fields).status_code == 404
    response = client.post(f"/events/{webinar.id}/register", data=fields)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, bea_place.id).status == "confirmed"
    assert db.session.get(Registration, bea_queue.id).status == "waitlisted"
    mine = db.session.scalar(select(Registration).where(Registration.member_id == ann.id))
    assert (mine.event_id, mine.status) == (webinar.id, "confirmed")
    assert not leaks(client.get(f"/events/{webinar.id}").get_data(as_text=True), bea)


@pytest.fixture
def bea_registered(app, two_members):
    """An event with Bea confirmed (and checked in nowhere)."""
    ann, bea, entries = two_members
    event = make_event("Tea", capacity=5, attendance_points=500, venue="Hall", address="",
                       staff=make_staff("expansion", name="Eddie Events"))
    registration = events.register(bea, event)
    db.session.commit()
    return ann, bea, event, registration


def test_the_events_staff_pages_refuse_a_member_and_change_nothing(client, bea_registered):
    ann, bea, event, registration = bea_registered
    login(client, ann.email)
    base = f"/admin/events/{event.id}"
    for url in ("/admin/events/", "/admin/events/new", base, f"{base}/registrations", f"{base}/registrations.csv",
                f"{base}/check-in", f"{base}/check-in?q={bea.number}", f"{base}/check-in?part=counts"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert not leaks(response.get_data(as_text=True), bea), url
    token = csrf_token(client, "/profile")
    for url, data in (("/admin/events/new", {"title": "Mine", "capacity": "5"}), (base, {"title": "Mine"}),
                      (f"{base}/publish", {}), (f"{base}/cancel", {"reason": "mine"}),
                      (f"{base}/capacity", {"capacity": "1"}),
                      (f"{base}/registrations/{registration.id}/cancel", {"reason": "mine"}),
                      (f"{base}/check-in", {"registration": str(registration.id)})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "published" and db.session.get(Event, event.id).capacity == 5
    saved = db.session.get(Registration, registration.id)
    assert saved.status == "confirmed" and saved.checked_in_at is None
    assert db.session.get(Member, bea.id).points_balance == 23331
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.notlike("auth.%"), AuditEntry.action.notlike("event.%"),
                                    AuditEntry.action.notlike("registration.%"))) == 0


@pytest.fixture
def two_invitations(app, two_members):
    """Ann and Bea each invited to a survey of their own (Bea's title is hers only)."""
    ann, bea, entries = two_members
    ann_survey, bea_survey = survey_build(title="Ann's survey", points=10), survey_build(title=f"{SECRET} survey")
    mine, theirs = surveys.invite(ann, ann_survey, email=False), surveys.invite(bea, bea_survey, email=False)
    db.session.commit()
    return ann, bea, mine, theirs


def test_surveys_never_lists_another_members_invitations(client, two_invitations):
    ann, bea, mine, theirs = two_invitations
    login(client, ann.email)
    for url in ("/surveys", f"/surveys?member_id={bea.id}", f"/surveys?member={bea.number}",
                f"/surveys?invitation={theirs.id}", f"/surveys?token={surveys.invitation_token(theirs)}"):
        response = client.get(url)
        page = re.sub(r'name="next" value="[^"]*"', "", response.get_data(as_text=True))
        assert response.status_code == 200, url
        assert not leaks(page, bea) and surveys.invitation_token(theirs) not in page, url
        assert surveys.invitation_token(mine) in page, url


def test_a_survey_link_answers_only_its_own_invitation_and_shows_no_member_data(client, two_invitations):
    """The link's signed token is the key (no login): fields naming another invitation, member or
    survey change nothing, and the page never shows whose invitation it is."""
    ann, bea, mine, theirs = two_invitations
    login(client, ann.email)
    link = f"/s/{surveys.invitation_token(mine)}"
    assert not leaks(client.get(f"{link}?member_id={bea.id}").get_data(as_text=True), bea)
    assert "Ann Own" not in client.get(f"/s/{surveys.invitation_token(theirs)}").get_data(as_text=True)
    data = [*survey_good_answers(mine.survey), ("invitation_id", str(theirs.id)), ("member_id", str(bea.id)),
            ("survey_id", str(theirs.survey_id))]
    assert client.post(link, data=MultiDict(data)).status_code == 303
    db.session.expire_all()
    assert db.session.get(Invitation, theirs.id).answered_at is None
    assert [r.invitation_id for r in db.session.scalars(select(Response))] == [mine.id]
    assert db.session.get(Member, bea.id).points_balance == 23331
    assert db.session.get(Member, ann.id).points_balance == 130


def test_the_survey_builder_refuses_a_member_and_changes_nothing(client, two_members):
    ann, bea, _entries = two_members
    survey = make_survey(f"{SECRET} survey", questions=[("rating", f"{SECRET} question?"), ("text", "Second?")])
    db.session.commit()
    login(client, ann.email)
    base = f"/admin/surveys/{survey.id}"
    first = survey.questions[0]
    for url in ("/admin/surveys/", "/admin/surveys/new", base, f"{base}/preview"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert SECRET not in response.get_data(as_text=True), url
    token = csrf_token(client, "/profile")
    for url, data in (("/admin/surveys/new", {"title": "Mine", "points": "5", "expiry_days": "30",
                                              "reminder_days": "3"}),
                      (base, {"title": "Mine", "points": "5", "expiry_days": "30", "reminder_days": "3"}),
                      (f"{base}/copy", {}), (f"{base}/questions", {"kind": "text", "text": "Mine?"}),
                      (f"{base}/questions/{first.id}", {f"question-{first.id}-kind": "text",
                                                        f"question-{first.id}-text": "Mine?"}),
                      (f"{base}/questions/{first.id}/delete", {}),
                      (f"{base}/questions/{first.id}/move", {"direction": "down"})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    db.session.expire_all()
    assert [q.text for q in db.session.get(Survey, survey.id).questions] == [f"{SECRET} question?", "Second?"]
    assert db.session.scalar(select(func.count()).select_from(Survey)) == 2  # this one and the default survey
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.notlike("auth.%"), AuditEntry.action.notlike("survey.%"))) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.like("survey.%"))) == 3  # the factory's own


def test_survey_results_refuse_a_member_and_show_nothing_of_anyone(client, two_members):
    """Bea answered a survey; Ann (a member) gets 403 on its results and export, whatever she adds."""
    ann, bea, _entries = two_members
    survey = Survey(title="Satisfaction", questions=[Question(kind="text", text="Tell us", position=1)])
    db.session.add(survey)
    db.session.flush()
    invitation = surveys.invite(bea, survey, email=False)
    surveys.submit(invitation, surveys.Answers(values={survey.questions[0].id: SECRET}))
    db.session.commit()
    login(client, ann.email)
    base = f"/admin/surveys/{survey.id}"
    for url in (f"{base}/results", f"{base}/results?tier=gold", f"{base}/results?member_id={bea.id}",
                f"{base}/results?question={survey.questions[0].id}&after=999999", f"{base}/results.csv"):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 403, url
            assert not leaks(response.get_data(as_text=True), bea), url


def test_the_survey_send_pages_refuse_a_member_and_send_nothing(client, two_members):
    from portal.surveys import dispatch as sending
    from portal.surveys.models import Dispatch, Invitation, Question, Survey

    ann, bea, _entries = two_members
    survey = Survey(title="Member satisfaction", questions=[Question(kind="rating", text="How?", position=1)])
    db.session.add(survey)
    db.session.flush()
    dispatch = sending.start_dispatch(survey, "tiers", [bea.tier_id])
    db.session.commit()  # without Redis the job runs here: Bea is invited
    login(client, ann.email)
    for url in (f"/admin/surveys/{survey.id}/send", f"/admin/surveys/{survey.id}/send/{dispatch.id}"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert not leaks(response.get_data(as_text=True), bea), url
    token = csrf_token(client, "/profile")
    for data in ({"audience": "all"}, {"audience": "all", "check": "1"}):
        assert client.post(f"/admin/surveys/{survey.id}/send", data={"csrf_token": token, **data}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Dispatch)) == 1
    assert db.session.scalars(select(Invitation.member_id)).all() == [bea.id]


def test_a_members_ticket_page_is_a_404_for_another_member(client, two_members):
    """Bea's ticket (its number is easy to guess): Ann gets 404 and nothing of Bea's, htmx or not."""
    ann, bea, _entries = two_members
    ticket = make_ticket(bea, subject=f"{SECRET} subject", body=f"{SECRET} body")
    db.session.commit()
    login(client, ann.email)
    for url in (f"/tickets/{ticket.number}", f"/tickets/{ticket.number}?member_id={bea.id}",
                f"/tickets/{ticket.number.lower()}"):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, url
            assert not leaks(response.get_data(as_text=True), bea), url


def test_another_members_ticket_picture_reply_and_confirm_are_404_and_my_tickets_shows_only_mine(client,
                                                                                                 two_members):
    """Bea's picture (its number and id are easy to guess), her ticket's reply and confirm: 404 for Ann,
    nothing written; Ann's own lists and forms show nothing of Bea's."""
    from portal.tickets.models import TicketAttachment, TicketMessage
    from tests.helpers import png

    ann, bea, _entries = two_members
    ticket = make_ticket(bea, subject=f"{SECRET} subject", body=f"{SECRET} body", files=[("bea.png", png())],
                         status="resolved")
    picture = db.session.scalar(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id))
    own = make_ticket(ann, subject="Ann's own")
    db.session.commit()
    login(client, ann.email)
    for url in (f"/tickets/{ticket.number}/files/{picture.id}", f"/tickets/{own.number}/files/{picture.id}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.data != png()
    token = csrf_token(client, "/tickets")
    assert client.post(f"/tickets/{ticket.number}/reply", data={"csrf_token": token, "body": "hi"}).status_code == 404
    assert client.post(f"/tickets/{ticket.number}/confirm", data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(TicketMessage)
                             .where(TicketMessage.ticket_id == ticket.id)) == 1
    db.session.refresh(ticket)
    assert ticket.status == "resolved"
    for url in ("/tickets", f"/tickets?member_id={bea.id}", "/tickets/new", f"/tickets/new?member_id={bea.id}", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not leaks(response.get_data(as_text=True), bea), url
    response = post_form(client, "/tickets/new", {"kind": "complaint", "subject": "x", "body": "y",
                                                  "member_id": str(bea.id)})
    assert response.status_code == 303
    db.session.expire_all()
    from portal.tickets.models import Ticket
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.member_id == bea.id)) == 1
def test_the_tickets_staff_pages_refuse_a_member_and_change_nothing(client, two_members):
    """Bea's ticket with a picture: Ann (a member) gets 403 on the staff queue, the ticket, its
    picture and every post, htmx or not; nothing is written."""
    from portal.demo import demo_picture
    from portal.tickets import services as tickets
    from portal.tickets.models import Ticket, TicketMessage

    ann, bea, _entries = two_members
    ticket = make_ticket(bea, subject=f"{SECRET} subject", body=f"{SECRET} body",
                         files=[("a.png", demo_picture((1, 2, 3), (4, 5, 6), "circle"))])
    picture = tickets.conversation(ticket, include_internal=True)[0].attachments[0]
    db.session.commit()
    login(client, ann.email)
    base = f"/admin/tickets/{ticket.number}"
    for url in ("/admin/tickets/", "/admin/tickets/?assignee=none&clock=breached", base, f"{base}?saved=1",
                f"{base}/files/{picture.id}"):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 403, url
            assert not leaks(response.get_data(as_text=True), bea), url
    token = csrf_token(client, "/profile")
    for url, data in ((f"{base}/reply", {"body": "mine", "seen_version": str(ticket.version)}),
                      (f"{base}/status", {"to": "resolved", "seen_version": str(ticket.version)}),
                      (f"{base}/assign", {"me": "1"})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(TicketMessage)) == 1
    assert db.session.get(Ticket, ticket.id).status == "new" and db.session.get(Ticket, ticket.id).assignee_id is None


def test_every_route_is_covered_by_these_isolation_tests(app):
    """A new route must be added to the tests above (or to the public list) to pass."""
    # Uploaded pictures are catalogue content, served to anyone (random names, no member data).
    # Unsubscribing is public by design (RFC 8058: a mailbox provider POSTs with no session): the
    # signed token names the one member and kind of email it changes, a tampered one gets a 404, and
    # the pages show no member data (tests/care/test_unsubscribe.py).
    # The health check says only "ok" or "down" of the database and Redis (tests/test_health.py).
    public = {"static", "i18n.set_language", "members.old_home", "uploads.picture", "health.healthz",
              "members.signup", "members.signup_sent", "members.verify_email",
              "care.unsubscribe", "care.resubscribe"} | {
        r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("auth.")
    }
    covered = {
        "care.notification_list",
        "members.home", "members.points", "members.benefits", "members.card",
        "members.profile", "members.update_profile", "members.change_password",
        "members.end_all_sessions",
        "admin.home", "members_admin.members", "members_admin.member_page", "members_admin.adjust_points",
        "members_admin.change_tier",
        "admin.audit", "admin.outbox_list", "admin.outbox_message", "admin.outbox_resend",
        "rewards.catalogue", "rewards.reward", "rewards.confirm", "rewards.redeem", "rewards.mine",
        "rewards.voucher", "events.events", "events.event", "events.register", "events.cancel", "events.mine",
        "events.calendar_file", "rewards_admin.index", "rewards_admin.new", "rewards_admin.create",
        "rewards_admin.edit", "rewards_admin.update", "rewards_admin.deactivate", "rewards_admin.activate",
        "rewards_admin.vouchers", "rewards_admin.use_voucher", "rewards_admin.cancel_redemption",
        "purchases_admin.record_purchase", "purchases_admin.import_purchases", "purchases_admin.preview_purchases",
        "purchases_admin.confirm_import", "purchases_admin.api_key_list", "purchases_admin.create_api_key",
        "purchases_admin.revoke_api_key", "api.create_purchase",
        "staff.account", "staff.change_password", "staff.two_factor_setup", "staff.start_two_factor",
        "staff.confirm_two_factor", "staff.cancel_two_factor", "staff.staff_list", "staff.change_role",
        "staff.reset_two_factor",
        "events_admin.index", "events_admin.new", "events_admin.create", "events_admin.edit", "events_admin.update",
        "events_admin.publish", "events_admin.cancel", "events_admin.capacity", "events_admin.registrations",
        "events_admin.export", "events_admin.cancel_registration", "events_admin.check_in",
        "events_admin.check_in_member",
        "surveys.mine", "surveys.answer", "tickets.ticket", "tickets.my_tickets", "tickets.new_ticket",
        "tickets.reply", "tickets.confirm", "tickets.attachment",
        "surveys_admin.index", "surveys_admin.new", "surveys_admin.create", "surveys_admin.edit",
        "surveys_admin.update", "surveys_admin.copy", "surveys_admin.preview", "surveys_admin.add_question",
        "surveys_admin.update_question", "surveys_admin.delete_question", "surveys_admin.move_question",
        "surveys_results.results_page", "surveys_results.export",
        "surveys_send.send_page", "surveys_send.send", "surveys_send.progress",
        "tickets_admin.queue", "tickets_admin.ticket", "tickets_admin.reply", "tickets_admin.status",
        "tickets_admin.assign", "tickets_admin.attachment",
    }
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    assert endpoints - public - covered == set()
