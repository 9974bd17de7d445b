"""A member only ever reaches their own data: every route, tried with another member's ids."""

import re

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.members import ledger
from portal.members.card import card_token
from portal.members.models import Member, PointsEntry
from tests.conftest import csrf_token, login, post_form
from tests.factories import make_member

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
        "/profile", f"/profile?member_id={bea.id}", "/events", "/tickets",
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
                "/admin/", "/admin/outbox", "/admin/outbox/1"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert not leaks(response.get_data(as_text=True), bea), url
    tier_before = bea.tier.code
    token = csrf_token(client, "/profile")
    before = db.session.scalar(select(func.count()).select_from(PointsEntry))
    for url, data in ((f"/admin/members/{bea.id}/points", {"points": "-7000", "reason": "steal"}),
                      (f"/admin/members/{bea.id}/tier", {"tier": "1", "reason": "demote"}),
                      ("/admin/outbox/1/resend", {})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert db.session.get(Member, bea.id).tier.code == tier_before


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


def test_every_route_is_covered_by_these_isolation_tests(app):
    """A new route must be added to the tests above (or to the public list) to pass."""
    public = {"static", "i18n.set_language", "members.old_home"} | {
        r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("auth.")
    }
    covered = {
        "members.home", "members.points", "members.benefits", "members.card", "members.coming_soon",
        "members.profile", "members.update_profile", "members.change_password",
        "admin.home", "admin.members", "admin.member_page", "admin.adjust_points", "admin.change_tier",
        "admin.audit", "admin.outbox_list", "admin.outbox_message", "admin.outbox_resend",
    }
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    assert endpoints - public - covered == set()
