"""A purchase dated in the past raises the tier when today's window reaches the threshold (issue 7, 2.2).

800 points earned today, then a 300-point purchase dated yesterday: 1,100 qualifying points, so
Silver at once, through every way a purchase arrives (service, staff form, CSV import, POS API).
"""

import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal import dates
from portal.extensions import db
from portal.members import ledger, tiers
from portal.members.models import Member, TierChange
from portal.models import utcnow
from portal.purchases import api_keys, services
from tests.factories import make_member, make_staff
from tests.helpers import as_staff, login, post_form


def yesterday():
    """Yesterday on the programme's calendar."""
    return dates.days_ahead(-1)


@pytest.fixture
def ann(app):
    """A Regular member with 800 points earned just now."""
    member = make_member(name="Ann Lee", email="ann.backdated@example.com")
    ledger.earn(member, 800, "purchase", "backdated:today")
    db.session.commit()
    return member


def reloaded(member):
    db.session.expire_all()
    return db.session.get(Member, member.id)


def assert_silver_with_1100(member, client=None):
    member = reloaded(member)
    assert tiers.qualifying_summary(member)[0] == 1100
    assert member.tier.code == "silver"
    [change] = db.session.scalars(select(TierChange).where(TierChange.member_id == member.id)).all()
    assert (change.reason_code, change.reason_params) == ("qualifying_points", {"points": 1100})
    if client is not None:  # the member's home agrees with the tier
        login(client, member.email)
        home = client.get("/").get_data(as_text=True)
        assert "Silver</dd>" in home and "You have the points for" not in home


def test_an_earning_dated_yesterday_is_judged_against_todays_window(ann):
    ledger.earn(ann, 300, "purchase", "backdated:yesterday", at=utcnow() - timedelta(days=1))
    assert_silver_with_1100(ann)


def test_a_backdated_purchase_through_the_service_raises_the_tier(client, ann):
    services.record_purchase(ann, Decimal("300.00"), dates.start_of_day(yesterday()), "B-1", "csv")
    db.session.commit()
    assert_silver_with_1100(ann, client)


def test_a_backdated_purchase_on_the_staff_form_raises_the_tier(client, ann):
    as_staff(client, "operations")
    page = f"/admin/members/{ann.id}"
    response = post_form(client, f"{page}/purchases",
                         {"amount": "300.00", "date": yesterday().isoformat(), "reference": "B-2"}, page=page)
    assert response.status_code == 303
    body = client.get(page).get_data(as_text=True)
    assert '<dd id="current-tier">Silver</dd>' in body
    assert re.search(r"<td>Regular</td>\s*<td>Silver</td>\s*<td>Qualifying points reached 1,100</td>", body)
    assert_silver_with_1100(ann)


def test_a_backdated_purchase_in_a_csv_import_raises_the_tier(client, ann):
    as_staff(client, "operations")
    url = "/admin/imports/purchases"
    content = f"member,amount,date,reference\n{ann.number},300.00,{yesterday().isoformat()},B-3\n".encode()
    preview = post_form(client, url, {"file": (io.BytesIO(content), "purchases.csv")},
                        content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', preview).group(1)
    fingerprint = re.search(r'id="fingerprint" name="fingerprint" type="hidden" value="([^"]+)"', preview).group(1)
    response = post_form(client, url + "/import", {"token": token, "fingerprint": fingerprint}, page=url)
    assert response.status_code == 303
    assert_silver_with_1100(ann)


def test_a_backdated_purchase_from_the_pos_api_raises_the_tier(client, ann):
    _, plain = api_keys.create_api_key("Till 1", make_staff("admin"))
    db.session.commit()
    body = {"member": ann.number, "amount": "300.00", "reference": "B-4",
            "purchased_at": (utcnow() - timedelta(days=1)).isoformat()}
    response = client.post("/api/v1/purchases", data=json.dumps(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert_silver_with_1100(ann, client)


def test_points_older_than_the_window_still_do_not_count(ann):
    """Judged as of now: an earning whose 12 months have passed adds nothing to the tier."""
    ledger.earn(ann, 300, "purchase", "backdated:old", at=utcnow() - timedelta(days=400))
    assert reloaded(ann).tier.code == "regular" and tiers.qualifying_summary(ann)[0] == 800
