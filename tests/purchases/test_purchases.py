"""Purchases earn points: the formula, the rules, idempotent references, and the staff form."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.members.models import Member
from portal.models import utcnow
from portal.purchases import services
from tests.factories import make_member
from tests.helpers import as_staff, html, login, points_entries, post_form, purchases_of


def record(member, amount, reference="R-1", at=None, **kwargs):
    return services.record_purchase(member, Decimal(amount), at or utcnow() - timedelta(hours=1), reference,
                                    "staff", **kwargs)


def fresh(member):
    db.session.expire_all()
    return db.session.get(Member, member.id)


# --- the points formula ---------------------------------------------------------------------------


@pytest.mark.parametrize(("tier", "amount", "points"), [
    ("regular", "100.00", 100),
    ("silver", "100.00", 125),
    ("gold", "100.00", 150),
    ("diamond", "100.00", 200),
    ("regular", "99.99", 99),  # floor, never rounded up
    ("silver", "3.99", 4),  # 4.9875
    ("gold", "10.99", 16),  # 16.485
    ("diamond", "0.49", 0),  # 0.98: recorded, no points
])
def test_points_are_the_floor_of_amount_times_rate_times_the_tier_multiplier(app, tier, amount, points):
    member = make_member(tier=tier)
    purchase, created = record(member, amount, reference=f"F-{tier}-{amount}")
    assert created and purchase.points == points and purchase.amount == Decimal(amount)
    member = fresh(member)
    assert member.points_balance == points
    entries = points_entries(member)
    if points:
        assert [(e.kind, e.amount, e.reason, e.reason_code, e.reason_params) for e in entries] == [
            ("purchase", points, "", "purchase", {"reference": f"F-{tier}-{amount}"})]
        assert purchase.points_entry_id == entries[0].id
    else:
        assert entries == [] and purchase.points_entry_id is None


def test_the_base_rate_is_a_setting_read_as_a_decimal(app, monkeypatch):
    monkeypatch.setitem(app.config, "POINTS_PER_CURRENCY_UNIT", "0.1")
    member = make_member(tier="silver")
    purchase, _ = record(member, "123.45")
    assert purchase.points == 15  # 123.45 × 0.1 × 1.25 = 15.43…


def test_the_multiplier_is_the_tier_at_the_time_of_recording(app):
    member = make_member(tier="regular")
    first, _ = record(member, "1000.00", reference="T-1")  # 1,000 qualifying points: Silver at once
    assert first.points == 1000 and fresh(member).tier.code == "silver"
    second, _ = record(fresh(member), "100.00", reference="T-2")
    assert second.points == 125
    assert first.points == 1000  # the first purchase keeps what it earned


def test_the_entry_is_dated_at_the_purchase_and_expires_from_then(app):
    member = make_member()
    at = utcnow() - timedelta(days=40)
    purchase, _ = record(member, "50", at=at)
    entry = points_entries(member)[0]
    assert purchase.purchased_at == at and entry.created_at == at
    assert entry.expires_at.year == at.year + 2


# --- the same reference ---------------------------------------------------------------------------


def test_the_same_reference_again_returns_the_first_purchase_and_writes_nothing(app):
    member = make_member(tier="gold")
    at = utcnow() - timedelta(hours=2)
    first, created = record(member, "40.00", reference="INV-9", at=at)
    again, created_again = record(fresh(member), "40", reference=" INV-9 ", at=at)
    assert created and not created_again and again.id == first.id
    assert len(purchases_of(member)) == 1 and fresh(member).points_balance == 60
    assert len(points_entries(member)) == 1


@pytest.mark.parametrize("change", ["member", "amount", "date"])
def test_a_reference_reused_for_a_different_purchase_is_a_conflict(app, change):
    member, other = make_member(), make_member()
    at = utcnow() - timedelta(hours=2)
    record(member, "40.00", reference="INV-7", at=at)
    who, amount, when = member, "40.00", at
    if change == "member":
        who = other
    elif change == "amount":
        amount = "41.00"
    else:
        when = at - timedelta(days=1)
    with pytest.raises(services.ReferenceConflict) as raised:
        record(who, amount, reference="INV-7", at=when)
    assert raised.value.field == "reference"
    assert len(purchases_of()) == 1 and fresh(other).points_balance == 0 and fresh(member).points_balance == 40


# --- the rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "message"), [
    ("0", "The amount must be more than 0."),
    ("-5", "The amount must be more than 0."),
    ("12.345", "The amount can have at most 2 decimal places."),
    ("1000000.01", "The amount can be at most 1,000,000."),
    ("1e9", "Enter the amount as a number, such as 12.50."),
    ("12,50", "Enter the amount as a number, such as 12.50."),
    ("abc", "Enter the amount as a number, such as 12.50."),
    ("", "Enter the amount."),
    (True, "Enter the amount as a number, such as 12.50."),
])
def test_amounts_must_be_positive_sane_and_in_cents(app, amount, message):
    with app.test_request_context(), pytest.raises(services.PurchaseError) as raised:
        services.parse_amount(amount)
    assert raised.value.field == "amount" and raised.value.message == message


def test_good_amounts_are_read_exactly(app):
    with app.test_request_context():
        assert services.parse_amount(" 12.5 ") == Decimal("12.50")
        assert services.parse_amount(Decimal("1000000")) == Decimal("1000000.00")
        assert services.parse_amount(7) == Decimal("7.00")
        assert services.parse_amount("0.01") == Decimal("0.01")


def test_dates_more_than_a_day_ahead_or_older_than_the_points_life_are_refused(app):
    member = make_member()
    now = utcnow()
    with pytest.raises(services.PurchaseError, match="more than a day in the future"):
        record(member, "10", reference="D-1", at=now + timedelta(days=1, minutes=5))
    with pytest.raises(services.PurchaseError, match="more than 24 months ago"):
        record(member, "10", reference="D-2", at=now - timedelta(days=731))
    purchase, _ = record(member, "10", reference="D-3", at=now + timedelta(hours=23))  # a till ahead of us
    assert purchase.points == 10 and len(purchases_of(member)) == 1


def test_date_text_is_a_day_in_the_programmes_zone_or_an_iso_time(app):
    with app.test_request_context():
        day = services.parse_purchased_at("2026-03-14")
        assert day.isoformat() == "2026-03-13T16:00:00+00:00"  # midnight in Taipei
        assert services.parse_purchased_at("2026-03-14T15:30:00+08:00").isoformat() == "2026-03-14T07:30:00+00:00"
        assert services.parse_purchased_at("2026-03-14T07:30:00Z").isoformat() == "2026-03-14T07:30:00+00:00"
        assert services.parse_purchased_at("2026-03-14 15:30").isoformat() == "2026-03-14T07:30:00+00:00"
        for bad in ("14/03/2026", "2026-02-30", "yesterday", ""):
            with pytest.raises(services.PurchaseError):
                services.parse_purchased_at(bad)


@pytest.mark.parametrize("status", ["pending", "closed"])
def test_only_active_members_earn(app, status):
    member = make_member(status=status)
    with pytest.raises(services.PurchaseError, match="is not active"):
        record(member, "10")
    assert purchases_of() == []


@pytest.mark.parametrize(("reference", "message"), [
    ("", "Enter the reference"), ("   ", "Enter the reference"), ("x" * 81, "at most 80 characters"),
    ("INV\x001", "printable"),
])
def test_references_must_be_given_and_short(app, reference, message):
    with pytest.raises(services.PurchaseError, match=message):
        record(make_member(), "10", reference=reference)


def test_members_are_found_by_number_or_email(app):
    member = make_member(email="finder@example.com")
    with app.test_request_context():
        assert services.find_member(member.number) == member
        assert services.find_member(member.number.lower()) == member
        assert services.find_member(" FINDER@example.com ") == member
        for text in ("M999999", "nobody@example.com", "Finder", ""):
            with pytest.raises(services.PurchaseError):
                services.find_member(text)


# --- the staff form on the member page ------------------------------------------------------------


def record_form(client, member, amount="120.00", day=None, reference="POS-1", htmx=True):
    data = {"amount": amount, "date": (day or date.today()).isoformat(), "reference": reference}
    headers = {"HX-Request": "true", "HX-Current-URL": f"http://localhost/admin/members/{member.id}"} if htmx else {}
    return post_form(client, f"/admin/members/{member.id}/purchases", data, page=f"/admin/members/{member.id}",
                     headers=headers)


@pytest.mark.parametrize("role", ["admin", "operations"])
def test_admin_and_operations_record_a_purchase_on_the_member_page(client, role):
    member = make_member(tier="gold")
    staff = as_staff(client, role)
    page = html(client.get(f"/admin/members/{member.id}"))
    assert ">Record a purchase</h3>" in page and ">Record purchase</button>" in page
    for label in ('for="purchase-amount">Amount<', 'for="purchase-date">Date<', 'for="purchase-reference">Reference<'):
        assert label in page
    response = record_form(client, member, amount="120.00", reference="POS-77")
    body = html(response)
    assert response.status_code == 200 and 'id="member-live"' in body and "<html" not in body
    assert "Recorded a purchase of 120.00: 180 points. The balance is now 180." in body
    assert "POS-77" in body  # the new ledger row, its reference as the reason
    [purchase] = purchases_of(member)
    assert (purchase.source, purchase.points, purchase.actor_staff_id) == ("staff", 180, staff.id)
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "purchase.record"))
    assert audit.member_id == member.id and audit.actor_staff_id == staff.id
    assert audit.after["amount"] == "120.00" and audit.after["points"] == 180


def test_without_javascript_the_form_posts_and_redirects(client):
    member = make_member()
    as_staff(client)
    response = record_form(client, member, amount="99.90", reference="NOJS-1", htmx=False)
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/members/{member.id}"
    page = html(client.get(f"/admin/members/{member.id}"))
    assert "Recorded a purchase of 99.90: 99 points. The balance is now 99." in page


def test_the_same_reference_twice_on_the_form_records_once(client):
    member = make_member()
    as_staff(client)
    record_form(client, member, reference="TWICE-1")
    again = record_form(client, member, reference="TWICE-1")
    assert again.status_code == 200 and "was already recorded: nothing was added" in html(again)
    assert len(purchases_of(member)) == 1 and fresh(member).points_balance == 120


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"amount": "abc"}, "purchase-amount", "Enter the amount as a number, such as 12.50."),
    ({"amount": "-20"}, "purchase-amount", "The amount must be more than 0."),
    ({"amount": "5000000"}, "purchase-amount", "The amount can be at most 1,000,000."),
    ({"amount": ""}, "purchase-amount", "Enter the amount."),
    ({"date": (date.today() + timedelta(days=3)).isoformat()}, "purchase-date",
     "The date is more than a day in the future."),
    ({"date": "2026-13-40"}, "purchase-date", "Enter the date as YYYY-MM-DD."),
    ({"date": ""}, "purchase-date", "Enter the date of the purchase."),
    ({"reference": ""}, "purchase-reference", "Enter the reference (the receipt or order number)."),
    ({"reference": "TAKEN"}, "purchase-reference", "already recorded for a different purchase"),
])
def test_bad_input_gets_the_form_back_with_422_and_nothing_is_written(client, data, field, message):
    member, other = make_member(), make_member()
    services.record_purchase(other, Decimal("5"), utcnow() - timedelta(hours=1), "TAKEN", "staff")
    db.session.commit()
    as_staff(client)
    form = {"amount": "120.00", "date": date.today().isoformat(), "reference": "NEW-1", **data}
    response = post_form(client, f"/admin/members/{member.id}/purchases", form, page=f"/admin/members/{member.id}",
                         headers={"HX-Request": "true"})
    body = html(response)
    assert response.status_code == 422
    assert f'id="{field}-error">' in body and message in body
    assert "Please correct the marked fields." in body
    assert purchases_of(member) == [] and points_entries(member) == []
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.member_id == member.id)) is None


@pytest.mark.parametrize("role", ["service", "expansion"])
def test_service_and_expansion_see_no_form_and_get_403(client, role):
    member = make_member()
    as_staff(client, role)
    assert "Record a purchase" not in html(client.get(f"/admin/members/{member.id}"))
    assert record_form(client, member).status_code == 403
    assert purchases_of() == []


def test_members_get_403_and_inactive_members_get_no_form(client):
    member = make_member(email="buyer@example.com")
    closed = make_member(status="closed")
    login(client, "buyer@example.com")
    response = post_form(client, f"/admin/members/{member.id}/purchases",
                         {"amount": "10", "date": date.today().isoformat(), "reference": "X"}, page="/")
    assert response.status_code == 403 and purchases_of() == []
    client.post("/logout", data={})
    client2 = client.application.test_client()
    as_staff(client2)
    assert "Record a purchase" not in html(client2.get(f"/admin/members/{closed.id}"))
    assert record_form(client2, closed).status_code == 422 and purchases_of() == []
    assert record_form(client2, make_member(), reference="OK-1").status_code == 200
