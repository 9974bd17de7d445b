"""A reward's stock changes by units, never by writing back the number a form showed (issue 7,
2.1): redemptions made while a staff user has the edit form open are kept."""

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.members import ledger
from portal.rewards import services
from portal.rewards.models import Reward
from tests.factories import make_member, make_reward
from tests.helpers import as_staff, post_form


class FormReader(HTMLParser):
    """The fields a browser would post from the form whose action is `action`: text, numbers,
    dates, hidden fields, ticked boxes, selected options and text areas (no files)."""

    def __init__(self, action):
        super().__init__()
        self.action, self.inside, self.values = action, False, {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        if not self.inside or "name" not in attrs and tag in ("input", "select", "textarea"):
            return
        if tag == "input" and attrs.get("type") not in ("file", "submit"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.values[attrs["name"]] = attrs.get("value") or ("y" if attrs.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = attrs["name"]
            self.values.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.removeprefix("\n") if not self.values[self._textarea] else data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_on(client, url, action=None):
    """(the page's HTML, the values its form would post) for the form posting to `action` (default `url`)."""
    html = client.get(url).get_data(as_text=True)
    reader = FormReader(action or url)
    reader.feed(html)
    assert reader.values, f"no form posting to {action or url} on {url}"
    return html, reader.values


def redeem_now(app, reward, key):
    """A member redeems one unit of `reward` (committed), as if on their phone meanwhile."""
    member = make_member(tier="silver")
    ledger.earn(member, 1000, "purchase", f"seed-{member.id}")
    with app.test_request_context():
        redemption = services.redeem(member, reward, key)
    db.session.commit()
    return redemption


def stock_of(reward):
    return db.session.scalar(select(Reward.stock).where(Reward.id == reward.id))


def stock_audit():
    return [(entry.before["stock"], entry.after["stock"]) for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "reward.stock").order_by(AuditEntry.id))]


def test_a_redemption_made_while_the_edit_form_is_open_is_kept(client, app):
    tote = make_reward("Tote bag", 300, stock=5)
    db.session.commit()
    as_staff(client)
    url = f"/admin/rewards/{tote.id}"
    html, values = form_on(client, url)  # staff open the form: 5 in stock
    assert "In stock now: 5" in html and "Change stock by" in html

    redeem_now(app, tote, "between")  # a member redeems the 5th-last unit meanwhile: 4 left

    values["name"] = "Canvas tote bag"  # staff change the name only, and save
    response = post_form(client, url, values)

    assert response.status_code == 303
    assert stock_of(tote) == 4  # not the 5 the form was opened with
    assert db.session.get(Reward, tote.id).name == "Canvas tote bag"
    assert stock_audit() == []  # the stock was not touched by staff
    assert "In stock now: 4" in client.get(url).get_data(as_text=True)


def test_staff_add_and_remove_units_counted_from_the_stock_at_saving(client, app):
    tote = make_reward("Tote bag", 300, stock=5)
    db.session.commit()
    as_staff(client)
    url = f"/admin/rewards/{tote.id}"
    _, values = form_on(client, url)
    redeem_now(app, tote, "first")
    redeem_now(app, tote, "second")  # 3 left

    response = post_form(client, url, {**values, "stock_change": "10"})

    assert response.status_code == 303 and stock_of(tote) == 13
    response = post_form(client, url, {**values, "stock_change": "-13"})
    assert response.status_code == 303 and stock_of(tote) == 0
    assert stock_audit() == [(3, 13), (13, 0)]


def test_removing_more_units_than_are_left_says_how_many_and_saves_nothing(client, app):
    tote = make_reward("Tote bag", 300, stock=2)
    db.session.commit()
    as_staff(client)
    url = f"/admin/rewards/{tote.id}"
    _, values = form_on(client, url)
    redeem_now(app, tote, "meanwhile")  # 1 left

    response = post_form(client, url, {**values, "name": "Renamed", "stock_change": "-2"})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Only 1 in stock now: you can remove at most 1." in html and "In stock now: 1" in html
    reward = db.session.get(Reward, tote.id)
    assert (reward.stock, reward.name) == (1, "Tote bag")  # nothing half-saved
    assert stock_audit() == [] and not db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "reward.update"))


def test_staff_switch_a_stock_between_unlimited_and_limited_explicitly(client):
    coffee = make_reward("Coffee", 100)  # unlimited
    db.session.commit()
    as_staff(client)
    url = f"/admin/rewards/{coffee.id}"
    html, values = form_on(client, url)
    assert "In stock now: unlimited" in html and values.get("unlimited") == "y"

    ticked_with_a_number = post_form(client, url, {**values, "stock_change": "5"})
    assert ticked_with_a_number.status_code == 422
    assert "Untick “Unlimited stock” to change the number of units." in ticked_with_a_number.get_data(as_text=True)
    below_zero = post_form(client, url, {**{k: v for k, v in values.items() if k != "unlimited"},
                                         "stock_change": "-1"})
    assert below_zero.status_code == 422 and stock_of(coffee) is None

    limited = {k: v for k, v in values.items() if k != "unlimited"}
    assert post_form(client, url, {**limited, "stock_change": "25"}).status_code == 303
    assert stock_of(coffee) == 25
    html, values = form_on(client, url)
    assert "In stock now: 25" in html and "unlimited" not in values
    assert post_form(client, url, {**values, "unlimited": "y"}).status_code == 303
    assert stock_of(coffee) is None
    assert stock_audit() == [(None, 25), (25, None)]


@pytest.mark.parametrize(("changes", "stock", "status"), [
    ({"stock": "40"}, 40, 303),
    ({"stock": "0"}, 0, 303),
    ({"stock": "", "unlimited": "y"}, None, 303),
    ({"stock": ""}, "Enter how many are in stock, or tick “Unlimited stock”.", 422),
])
def test_a_new_reward_starts_with_a_number_of_units_or_unlimited(client, changes, stock, status):
    as_staff(client)
    data = {"name": "Canvas tote", "name_zh": "", "description": "", "description_zh": "", "points_cost": "800",
            "min_tier": "", "available_from": "", "available_until": "", **changes}
    response = post_form(client, "/admin/rewards/new", data)
    assert response.status_code == status
    saved = db.session.scalar(select(Reward).where(Reward.name == "Canvas tote"))
    if status == 303:
        assert saved.stock == stock
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reward.create"))
        assert audit.after["stock"] == stock
    else:
        assert saved is None and stock in response.get_data(as_text=True)


def test_the_audit_log_shows_staff_stock_changes(client, app):
    tote = make_reward("Tote bag", 300, stock=5)
    db.session.commit()
    as_staff(client, "admin")
    url = f"/admin/rewards/{tote.id}"
    _, values = form_on(client, url)
    assert post_form(client, url, {**values, "stock_change": "-2"}).status_code == 303

    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Reward stock changed" in html and "5 → 3" in " ".join(html.split())
