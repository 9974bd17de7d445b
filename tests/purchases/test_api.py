"""POST /api/v1/purchases with an API key, and the admin page that makes and revokes keys."""

import hashlib
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.members.models import Member
from portal.models import utcnow
from portal.purchases import api_keys
from portal.purchases.models import ApiKey, Purchase
from tests.factories import make_member, make_staff
from tests.helpers import as_staff, html, login, points_entries, post_form, purchase_count

URL = "/api/v1/purchases"


@pytest.fixture
def key(app):
    """A live API key: (ApiKey, its text)."""
    made = api_keys.create_api_key("Till 1", make_staff("admin"))
    db.session.commit()
    return made


@pytest.fixture
def mei(app):
    member = make_member(name="Mei Lin", email="mei.api@example.com", tier="silver")
    db.session.commit()
    return member


def post(client, body, plain=None, raw=None, headers=None):
    headers = dict(headers or {})
    if plain is not None:
        headers["Authorization"] = f"Bearer {plain}"
    data = raw if raw is not None else json.dumps(body)
    return client.post(URL, data=data, headers=headers, content_type="application/json")


def purchase(who, **fields):
    return {"member": who.number, "amount": "100.00",
            "purchased_at": (utcnow() - timedelta(minutes=5)).isoformat(), "reference": "POS-1", **fields}


# --- authentication -------------------------------------------------------------------------------


def test_without_a_key_or_with_a_bad_one_it_is_401_in_json(client, key, mei):
    _, plain = key
    attempts = [
        {},
        {"Authorization": ""},
        {"Authorization": f"Basic {plain}"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer pk_not-a-real-key"},
        {"Authorization": f"Bearer {plain}x"},
        {"Authorization": f"Bearer {key[0].key_hash}"},  # the stored hash is not a key
        {"Authorization": f"Bearer {key[0].prefix}"},
    ]
    for headers in attempts:
        response = post(client, purchase(mei), headers=headers)
        assert response.status_code == 401, headers
        assert response.is_json and response.get_json()["message"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert purchase_count() == 0


def test_a_revoked_key_is_401(client, key, mei):
    api_key, plain = key
    api_keys.revoke_api_key(api_key, make_staff("admin"))
    db.session.commit()
    response = post(client, purchase(mei), plain)
    assert response.status_code == 401 and "revoked" in response.get_json()["message"]
    assert purchase_count() == 0


def test_a_logged_in_session_does_not_authenticate_the_api(client, mei):
    lead = make_staff("admin")
    login(client, lead.email)
    assert post(client, purchase(mei)).status_code == 401


# --- recording ------------------------------------------------------------------------------------


def test_201_with_the_purchase_then_200_with_the_same_body_when_sent_again(client, key, mei):
    api_key, plain = key
    body = purchase(mei, amount="12.50", reference="POS-201")
    created = post(client, body, plain)
    assert created.status_code == 201
    answer = created.get_json()
    stored = db.session.scalar(select(Purchase).where(Purchase.reference == "POS-201"))
    assert answer == {
        "id": stored.id, "reference": "POS-201", "member": mei.number, "amount": "12.50",
        "purchased_at": stored.purchased_at.isoformat(), "points": 15, "balance": 15,
    }
    assert (stored.source, stored.api_key_id, stored.actor_staff_id) == ("api", api_key.id, None)
    again = post(client, body, plain)
    assert again.status_code == 200 and again.get_json() == answer
    assert purchase_count() == 1 and len(points_entries(mei)) == 1


def test_amounts_may_be_json_numbers_and_members_emails(client, key, mei):
    _, plain = key
    when = (utcnow() - timedelta(hours=1)).isoformat()
    response = post(client, None, plain, raw=(
        f'{{"member": "MEI.API@example.com", "amount": 19.99, "purchased_at": "{when}", "reference": "N-1"}}'))
    assert response.status_code == 201
    assert response.get_json()["amount"] == "19.99" and response.get_json()["points"] == 24  # 24.9875
    response = post(client, purchase(mei, amount=20, reference="N-2"), plain)
    assert response.status_code == 201 and response.get_json()["points"] == 25


@pytest.mark.parametrize("change", [{"amount": "100.01"}, {"purchased_at": "2026-01-01T00:00:00Z"}, "member"])
def test_409_when_the_reference_was_recorded_for_a_different_purchase(client, key, mei, change):
    _, plain = key
    body = purchase(mei, reference="POS-409", purchased_at=(utcnow() - timedelta(days=3)).isoformat())
    assert post(client, body, plain).status_code == 201
    if change == "member":
        other = make_member()
        db.session.commit()
        change = {"member": other.number}
    response = post(client, {**body, **change}, plain)
    assert response.status_code == 409
    assert response.get_json()["errors"] == [{"field": "reference", "message": (
        "This reference is already recorded for a different purchase (another member, amount or date).")}]
    assert purchase_count() == 1 and db.session.get(Member, mei.id).points_balance == 125


def test_the_key_records_when_it_was_last_used(client, key, mei):
    api_key, plain = key
    assert api_key.last_used_at is None
    before = utcnow()
    post(client, purchase(mei, amount="oops"), plain)  # refused, but the key was used
    db.session.expire_all()
    used = db.session.get(ApiKey, api_key.id).last_used_at
    assert used is not None and used >= before - timedelta(seconds=1)


# --- bad requests ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "message", "detail"), [
    ('{"member": "M1", "amount": }', "The body is not valid JSON.", "Expecting value (line 1, column 28)."),
    ("", "The body is not valid JSON.", "Expecting value (line 1, column 1)."),
    ('{"amount": NaN}', "The body is not valid JSON.", "NaN is not a number JSON allows"),
    ('["M000001", "12.50"]', "The body must be a JSON object.", None),
    ('"hello"', "The body must be a JSON object.", None),
])
def test_malformed_json_is_422_with_where_it_went_wrong(client, key, raw, message, detail):
    response = post(client, None, key[1], raw=raw)
    assert response.status_code == 422 and response.get_json()["message"] == message
    if detail:
        assert response.get_json()["errors"][0]["field"] is None
        assert detail in response.get_json()["errors"][0]["message"]


@pytest.mark.parametrize(("fields", "errors"), [
    ({"amount": "-5"}, [("amount", "The amount must be more than 0.")]),
    ({"amount": "0"}, [("amount", "The amount must be more than 0.")]),
    ({"amount": "12.345"}, [("amount", "The amount can have at most 2 decimal places.")]),
    ({"amount": 5000000}, [("amount", "The amount can be at most 1,000,000.")]),
    ({"amount": True}, [("amount", "Enter the amount as a number, such as 12.50.")]),
    ({"amount": None}, [("amount", "Enter the amount.")]),
    ({"amount": [1]}, [("amount", "Enter the amount as a number, such as 12.50.")]),
    ({"member": "M999999"}, [("member", "No member has the number or email “M999999”.")]),
    ({"member": 1}, [("member", "This field must be a string.")]),
    ({"purchased_at": "yesterday"}, [("purchased_at", "Enter the date as YYYY-MM-DD or an ISO 8601 date and time, "
                                                      "such as 2026-03-14T15:30:00+08:00.")]),
    ({"purchased_at": "2999-01-01T00:00:00Z"}, [("purchased_at", "The date is more than a day in the future.")]),
    ({"reference": ""}, [("reference", "Enter the reference (the receipt or order number).")]),
    ({"reference": "x" * 81}, [("reference", "The reference can be at most 80 characters.")]),
    ({"shop": "Taipei"}, [("shop", "This field is not part of a purchase.")]),
    ({"amount": "-1", "reference": None}, [("amount", "The amount must be more than 0."),
                                           ("reference", "Enter the reference (the receipt or order number).")]),
])
def test_bad_fields_are_422_naming_each_field_and_why(client, key, mei, fields, errors):
    response = post(client, purchase(mei, **fields), key[1])
    assert response.status_code == 422
    assert response.get_json()["message"] == "The purchase has invalid fields."
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == errors
    assert purchase_count() == 0


def test_missing_fields_are_each_named(client, key):
    response = post(client, {}, key[1])
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["member", "amount", "purchased_at", "reference"]


def test_an_inactive_member_is_422(client, key):
    closed = make_member(status="closed")
    db.session.commit()
    response = post(client, purchase(closed), key[1])
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "member"


def test_a_body_that_is_not_json_is_415_and_other_errors_are_json_too(client, key, mei):
    response = client.post(URL, data={"member": mei.number}, headers={"Authorization": f"Bearer {key[1]}"})
    assert response.status_code == 415 and "Content-Type: application/json" in response.get_json()["message"]
    assert client.get(URL).status_code == 405 and client.get(URL).is_json
    assert client.get("/api/v1/nothing").status_code == 404 and client.get("/api/v1/nothing").is_json


def test_the_api_speaks_english_whatever_the_caller_asks(client, key, mei):
    response = post(client, purchase(mei, amount="-1"), key[1], headers={"Accept-Language": "zh-TW"})
    assert response.get_json()["errors"][0]["message"] == "The amount must be more than 0."


# --- the API keys page ----------------------------------------------------------------------------


def test_an_admin_makes_a_key_sees_it_once_and_only_its_hash_is_stored(client, mei):
    lead = as_staff(client, "admin", name="Lee Lead")
    page = html(client.get("/admin/api-keys"))
    assert "No keys yet." in page and ">API keys</a>" in page
    response = post_form(client, "/admin/api-keys", {"name": "Taipei store, till 2"})
    assert response.status_code == 201
    plain = re.search(r'id="new-key" type="text" readonly value="(pk_[A-Za-z0-9_-]{43})"', html(response)).group(1)
    assert "Copy it now: it is shown only once." in html(response)
    stored = db.session.scalar(select(ApiKey))
    assert stored.key_hash == hashlib.sha256(plain.encode()).hexdigest() and stored.prefix == plain[:11]
    assert stored.created_by_staff_id == lead.id
    row = db.session.execute(select(ApiKey.__table__)).one()
    assert plain not in [str(value) for value in row]  # the key itself is nowhere in the table
    listing = html(client.get("/admin/api-keys"))
    assert plain not in listing and f"{stored.prefix}…" in listing and "Taipei store, till 2" in listing
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_key.create"))
    assert audit.actor_staff_id == lead.id and audit.after == {"name": "Taipei store, till 2", "prefix": stored.prefix}
    assert post(client, purchase(mei, reference="K-1"), plain).status_code == 201
    assert "Never" not in html(client.get("/admin/api-keys")).split("<tbody>")[1]  # last used is shown


def test_a_key_needs_a_name(client):
    as_staff(client, "admin")
    response = post_form(client, "/admin/api-keys", {"name": "  "})
    assert response.status_code == 422 and "Name the key after the till" in html(response)
    assert db.session.scalar(select(ApiKey)) is None


def test_an_admin_revokes_a_key_and_it_stops_working_at_once(client, key, mei):
    api_key, plain = key
    lead = as_staff(client, "admin")
    assert post(client, purchase(mei, reference="R-1"), plain).status_code == 201
    response = post_form(client, f"/admin/api-keys/{api_key.id}/revoke", {}, page="/admin/api-keys")
    assert response.status_code == 303
    listing = html(client.get("/admin/api-keys"))
    assert "is revoked: it no longer works." in listing and "Revoked " in listing
    assert post(client, purchase(mei, reference="R-2"), plain).status_code == 401
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_key.revoke"))
    assert audit.actor_staff_id == lead.id and audit.target_id == api_key.id
    again = post_form(client, f"/admin/api-keys/{api_key.id}/revoke", {}, page="/admin/api-keys")
    assert again.status_code == 303
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_key.revoke")).all()) == 1
    assert post_form(client, "/admin/api-keys/999999/revoke", {}, page="/admin/api-keys").status_code == 404


@pytest.mark.parametrize("role", ["operations", "service", "expansion"])
def test_only_admins_manage_keys(client, key, role):
    as_staff(client, role)
    assert client.get("/admin/api-keys").status_code == 403
    assert post_form(client, "/admin/api-keys", {"name": "Mine"}, page="/admin/").status_code == 403
    assert post_form(client, f"/admin/api-keys/{key[0].id}/revoke", {}, page="/admin/").status_code == 403
    assert ">API keys</a>" not in html(client.get("/admin/"))
    db.session.expire_all()
    assert db.session.get(ApiKey, key[0].id).revoked_at is None and len(db.session.scalars(select(ApiKey)).all()) == 1


def test_amounts_are_stored_exactly(client, key, mei):
    post(client, purchase(mei, amount="0.10", reference="E-1"), key[1])
    assert db.session.scalar(select(Purchase.amount)) == Decimal("0.10")
