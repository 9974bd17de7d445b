"""Rewards: what the catalogue shows each member, redeeming with a voucher, the staff's voucher
desk (used, cancelled) and catalogue (create, edit, deactivate, pictures)."""

import io
import re
import struct
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.demo import demo_picture
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members import ledger
from portal.members.models import Member, PointsEntry
from portal.models import utcnow
from portal.rewards import services
from portal.rewards.models import Redemption, Reward
from portal.uploads import pictures
from tests.factories import make_member, make_reward, make_staff
from tests.helpers import csrf_token, login, post_form

VOUCHER = re.compile(r"^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$")
KEY = re.compile(r'name="key" type="hidden" value="([^"]+)"')


def member_with(points, tier="silver", **fields):
    member = make_member(tier=tier, **fields)
    if points:
        ledger.earn(member, points, "purchase", f"seed-{member.id}")
    db.session.commit()
    return member


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def articles(html):
    """{reward name: the HTML of its card} on the catalogue page."""
    cards = re.findall(r'<article class="reward[^"]*".*?</article>', html, re.S)
    return {re.search(r'<h2 [^>]*><a [^>]*>([^<]+)</a>', card).group(1): card for card in cards}


def confirm_key(client, reward):
    page = client.get(f"/rewards/{reward.id}/redeem")
    assert page.status_code == 200
    return KEY.search(page.get_data(as_text=True)).group(1)


def redeem(client, reward, key=None):
    key = key or confirm_key(client, reward)
    return post_form(client, f"/rewards/{reward.id}/redeem", {"key": key}, page="/rewards")


# ---- the catalogue ---------------------------------------------------------------------------

def test_the_catalogue_says_why_a_reward_cannot_be_redeemed_and_offers_no_button(client):
    member = member_with(1000)
    now = utcnow()
    coffee = make_reward("Coffee", 500)
    make_reward("Speaker", 1320)
    make_reward("Spa", 300, min_tier="gold")
    make_reward("Umbrella", 200, stock=0)
    make_reward("Gift box", 200, available_from=now + timedelta(days=10))
    make_reward("Old mug", 100, active=False)
    make_reward("Last year's calendar", 100, available_until=now - timedelta(days=1))
    db.session.commit()
    login(client, member.email)

    html = client.get("/rewards").get_data(as_text=True)

    cards = articles(html)
    assert set(cards) == {"Coffee", "Speaker", "Spa", "Umbrella", "Gift box"}
    assert "You need 320 more points" in cards["Speaker"]
    assert "For Gold members and above" in cards["Spa"]
    assert "Out of stock" in cards["Umbrella"]
    assert re.search(r"Available from \d{1,2} \w{3} \d{4}", cards["Gift box"])
    assert "You can redeem this" in cards["Coffee"] and f"/rewards/{coffee.id}/redeem" in cards["Coffee"]
    for name in ("Speaker", "Spa", "Umbrella", "Gift box"):
        assert "/redeem" not in cards[name] and ">Redeem<" not in cards[name], name
    assert ">1,000<" in html  # the balance


def test_a_reward_page_shows_the_reason_instead_of_the_button(client):
    member = member_with(100)
    spa = make_reward("Spa", 50, min_tier="diamond", description="Three hours of calm.")
    gone = make_reward("Gone", 10, active=False)
    db.session.commit()
    login(client, member.email)
    html = client.get(f"/rewards/{spa.id}").get_data(as_text=True)
    assert "Three hours of calm." in html and "For Diamond members and above" in html
    assert "Confirm and redeem" not in client.get(f"/rewards/{spa.id}/redeem").get_data(as_text=True)
    assert client.get(f"/rewards/{gone.id}").status_code == 404
    assert client.get("/rewards/999999").status_code == 404


def test_the_confirmation_is_a_page_and_an_htmx_panel(client):
    member = member_with(1000)
    coffee = make_reward("Coffee", 300)
    db.session.commit()
    login(client, member.email)
    detail = client.get(f"/rewards/{coffee.id}").get_data(as_text=True)
    assert f'hx-get="/rewards/{coffee.id}/redeem"' in detail and "Confirm and redeem" not in detail
    page = client.get(f"/rewards/{coffee.id}/redeem").get_data(as_text=True)
    assert "<html" in page and "Redeem Coffee for 300 points? You will have 700 points left." in page
    panel = client.get(f"/rewards/{coffee.id}/redeem", headers={"HX-Request": "true"})
    assert "<html" not in panel.get_data(as_text=True) and "Confirm and redeem" in panel.get_data(as_text=True)
    assert "HX-Request" in panel.headers["Vary"]


# ---- redeeming -------------------------------------------------------------------------------

def test_redeeming_spends_points_takes_stock_and_issues_an_emailed_voucher(client):
    member = member_with(1000, name="Mei Lin")
    tote = make_reward("Tote bag", 300, stock=5)
    db.session.commit()
    login(client, member.email)

    response = redeem(client, tote)

    assert response.status_code == 303
    redemption = db.session.scalar(select(Redemption).where(Redemption.member_id == member.id))
    assert response.headers["Location"] == f"/rewards/my/{redemption.id}"
    assert VOUCHER.match(redemption.voucher_code)
    assert (redemption.status, redemption.points, redemption.reward_id) == ("issued", 300, tote.id)
    entry = redemption.points_entry
    assert (entry.kind, entry.amount, entry.member_id, entry.reason) == ("redemption", -300, member.id, "")
    assert (entry.reason_code, entry.reason_params) == ("redemption", {"reward_id": tote.id})  # named when shown
    assert db.session.get(Member, member.id).points_balance == 700 == ledger.ledger_balance(member.id)
    assert db.session.get(Reward, tote.id).stock == 4
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "reward_voucher")).all()
    assert mail.to_email == member.email and mail.subject == "Your voucher for Tote bag"
    assert redemption.voucher_code in mail.body_text and f"/rewards/my/{redemption.id}" in mail.body_text

    voucher = client.get(f"/rewards/my/{redemption.id}").get_data(as_text=True)
    assert redemption.voucher_code in voucher and "<svg" in voucher and "Ready to use" in voucher
    mine = client.get("/rewards/my").get_data(as_text=True)
    assert "Tote bag" in mine and redemption.voucher_code in mine and "Ready to use" in mine


def test_unlimited_stock_stays_unlimited_and_codes_are_unique(client):
    member = member_with(5000)
    coffee = make_reward("Coffee", 100)
    db.session.commit()
    login(client, member.email)
    for _ in range(5):
        assert redeem(client, coffee).status_code == 303
    codes = db.session.scalars(select(Redemption.voucher_code)).all()
    assert len(codes) == len(set(codes)) == 5 and all(VOUCHER.match(code) for code in codes)
    assert db.session.get(Reward, coffee.id).stock is None


def test_a_replayed_post_redeems_once(client):
    member = member_with(1000)
    tote = make_reward("Tote bag", 300, stock=5)
    db.session.commit()
    login(client, member.email)
    key = confirm_key(client, tote)
    first, second = redeem(client, tote, key), redeem(client, tote, key)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Redemption) == 1 and db.session.get(Reward, tote.id).stock == 4
    assert db.session.get(Member, member.id).points_balance == 700
    assert count(OutboxMessage) == 1


def test_a_key_that_is_not_one_we_handed_out_is_refused(client):
    member = member_with(1000)
    tote = make_reward("Tote bag", 300)
    db.session.commit()
    login(client, member.email)
    assert post_form(client, f"/rewards/{tote.id}/redeem", {"key": "x"}, page="/rewards").status_code == 400
    assert post_form(client, f"/rewards/{tote.id}/redeem", {}, page="/rewards").status_code == 400
    assert count(Redemption) == 0


@pytest.mark.parametrize(("setup", "message"), [
    (lambda r, m: setattr(r, "points_cost", 1320), "You need 320 more points"),
    (lambda r, m: setattr(r, "min_tier_id", m.tier_id + 1), "members and above"),
    (lambda r, m: setattr(r, "available_from", utcnow() + timedelta(days=3)), "Available from"),
    (lambda r, m: setattr(r, "available_until", utcnow() - timedelta(minutes=1)), "No longer available"),
    (lambda r, m: setattr(r, "active", False), "No longer available"),
    (lambda r, m: setattr(r, "stock", 0), "Out of stock"),
])
def test_a_refused_redemption_says_why_and_writes_nothing(client, setup, message):
    member = member_with(1000)
    reward = make_reward("Tote bag", 300, stock=3)
    db.session.commit()
    login(client, member.email)
    key = confirm_key(client, reward)  # confirmed while it was possible...
    setup(reward, member)  # ...then the rules changed
    db.session.commit()
    stock = db.session.get(Reward, reward.id).stock
    before = (count(PointsEntry), count(Redemption), count(OutboxMessage), count(AuditEntry))

    response = redeem(client, reward, key)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'role="alert"' in html and "Confirm and redeem" not in html
    assert (count(PointsEntry), count(Redemption), count(OutboxMessage), count(AuditEntry)) == before
    assert db.session.get(Member, member.id).points_balance == 1000
    assert db.session.get(Reward, reward.id).stock == stock


def test_points_that_expired_meanwhile_refuse_the_redemption(app):
    member = make_member(tier="silver")
    ledger.earn(member, 500, "purchase", f"old-{member.id}", at=utcnow() - timedelta(days=800))
    reward = make_reward("Tote bag", 300)
    db.session.commit()
    assert member.points_balance == 500  # the cache still counts points past their date
    with app.test_request_context(), pytest.raises(services.RedemptionRefused) as refused:
        services.redeem(member, reward, "expired-key")
    db.session.rollback()
    assert refused.value.refusal.code == "points"
    assert count(Redemption) == 0


def test_stock_changes_by_units_and_never_goes_below_zero(app):
    reward = make_reward("Tote bag", 100, stock=1)
    db.session.commit()
    assert services.change_stock(reward, -1) is True
    assert services.change_stock(reward, -1) is False
    assert reward.stock == 0
    assert services.change_stock(reward, +5) is True and reward.stock == 5
    assert services.change_stock(reward, -6) is False and reward.stock == 5  # all or nothing
    assert services.change_stock(reward, -5) is True and reward.stock == 0
    unlimited = make_reward("Coffee", 100)
    assert services.change_stock(unlimited, -1) is True and unlimited.stock is None
    assert services.change_stock(unlimited, +1) is True and unlimited.stock is None
    assert count(AuditEntry) == 0  # redemptions and cancellations are audited as such, not per unit


def test_staff_stock_changes_are_audited_with_the_stock_before_and_after(app):
    ops = make_staff("operations")
    reward = make_reward("Tote bag", 100, stock=4)
    db.session.commit()
    services.restock(reward, ops, unlimited=False, change=3)
    services.restock(reward, ops, unlimited=False, change=-7)
    with pytest.raises(services.StockError) as short:
        services.restock(reward, ops, unlimited=False, change=-1)
    assert (short.value.code, short.value.available) == ("short", 0)
    services.restock(reward, ops, unlimited=True)
    assert reward.stock is None
    services.restock(reward, ops, unlimited=True, change=0)  # already unlimited: nothing to do
    with pytest.raises(services.StockError):
        services.restock(reward, ops, unlimited=False, change=-2)  # an unlimited stock cannot start below 0
    services.restock(reward, ops, unlimited=False, change=12)
    assert reward.stock == 12
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reward.stock")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.before["stock"], e.after["stock"], e.actor_staff_id) for e in entries] == [
        (4, 7, ops.id), (7, 0, ops.id), (0, None, ops.id), (None, 12, ops.id)]


def test_voucher_codes_read_as_typed_or_scanned():
    assert services.normalize_code(" k7qm 2xrt-9hpw\n") == "K7QM-2XRT-9HPW"
    assert services.normalize_code("K7QM2XRT9HPW") == "K7QM-2XRT-9HPW"
    assert services.normalize_code("K7QM-2XRT") is None
    assert services.normalize_code("O7QM-2XRT-9HPW") is None  # O is never in a code
    assert services.normalize_code("") is None


# ---- the voucher desk ------------------------------------------------------------------------

@pytest.fixture
def issued(client, app):
    """A member with 1,000 points who redeemed a 300-point tote (stock 5 → 4)."""
    member = member_with(1000, name="Mei Lin")
    tote = make_reward("Tote bag", 300, stock=5)
    db.session.commit()
    with app.test_request_context():
        redemption = services.redeem(member, tote, "fixture-key")
    db.session.commit()
    return member, tote, redemption


def test_staff_find_a_voucher_by_its_code_and_mark_it_used_once(client, issued):
    member, tote, redemption = issued
    ops = make_staff("operations")
    db.session.commit()
    login(client, ops.email)
    typed = redemption.voucher_code.replace("-", "").lower()
    found = client.get(f"/admin/rewards/vouchers?code={typed}").get_data(as_text=True)
    assert "Tote bag" in found and "Mei Lin" in found and "Mark as used" in found

    response = post_form(client, "/admin/rewards/vouchers/use", {"code": redemption.voucher_code},
                         page="/admin/rewards/vouchers")
    assert response.status_code == 303
    db.session.refresh(redemption)
    assert (redemption.status, redemption.used_by_staff_id) == ("used", ops.id) and redemption.used_at
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "redemption.use")).all()
    assert (audit.actor_staff_id, audit.member_id, audit.target_id) == (ops.id, member.id, redemption.id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is used" in page and "Mark as used" not in page

    again = post_form(client, "/admin/rewards/vouchers/use", {"code": redemption.voucher_code},
                      page="/admin/rewards/vouchers")
    assert again.status_code == 422 and "already used" in again.get_data(as_text=True)
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "redemption.use")).all()) == 1

    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    login(client, member.email)
    assert "Used" in client.get(f"/rewards/my/{redemption.id}").get_data(as_text=True)


def test_an_unknown_or_malformed_code_says_so(client):
    ops = make_staff("operations")
    db.session.commit()
    login(client, ops.email)
    unknown = client.get("/admin/rewards/vouchers?code=AAAA-BBBB-CCCC")
    assert unknown.status_code == 200 and "No voucher has this code" in unknown.get_data(as_text=True)
    assert client.get("/admin/rewards/vouchers?code=nonsense").status_code == 422
    used = post_form(client, "/admin/rewards/vouchers/use", {"code": "AAAA-BBBB-CCCC"}, page="/admin/rewards/vouchers")
    assert used.status_code == 422 and "No voucher has this code" in used.get_data(as_text=True)


def test_cancelling_returns_the_points_and_the_stock_audited_and_emailed(client, issued):
    member, tote, redemption = issued
    lead = make_staff("admin")
    db.session.commit()
    login(client, lead.email)
    page = f"/admin/rewards/vouchers?code={redemption.voucher_code}"
    url = f"/admin/rewards/vouchers/{redemption.id}/cancel"

    without_reason = post_form(client, url, {"reason": "  "}, page=page)
    assert without_reason.status_code == 422 and "Give a reason" in without_reason.get_data(as_text=True)

    response = post_form(client, url, {"reason": "Out of stock at the store"}, page=page)

    assert response.status_code == 303
    db.session.refresh(redemption)
    assert (redemption.status, redemption.cancel_reason, redemption.cancelled_by_staff_id) == (
        "cancelled", "Out of stock at the store", lead.id)
    reversal = db.session.scalar(select(PointsEntry).where(PointsEntry.reverses_id == redemption.points_entry_id))
    assert (reversal.kind, reversal.amount) == ("reversal", 300)
    assert db.session.get(Member, member.id).points_balance == 1000 == ledger.ledger_balance(member.id)
    assert db.session.get(Reward, tote.id).stock == 5
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.member_id == member.id)))
    assert {"redemption.cancel", "points.reverse"} <= actions
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "redemption_cancelled"))
    assert "Out of stock at the store" in mail.body_text and mail.to_email == member.email

    again = post_form(client, url, {"reason": "twice"}, page=page)
    assert again.status_code == 422 and "cancelled" in again.get_data(as_text=True)
    assert db.session.get(Member, member.id).points_balance == 1000
    used = post_form(client, "/admin/rewards/vouchers/use", {"code": redemption.voucher_code}, page=page)
    assert used.status_code == 422


# ---- the staff's catalogue -------------------------------------------------------------------

@pytest.mark.parametrize("role", ["service", "expansion"])
def test_only_operations_and_admin_reach_the_rewards_pages(client, role):
    reward = make_reward("Tote bag")
    staff = make_staff(role)
    db.session.commit()
    login(client, staff.email)
    for url in ("/admin/rewards/", "/admin/rewards/new", f"/admin/rewards/{reward.id}", "/admin/rewards/vouchers"):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, "/admin/")
    for url in ("/admin/rewards/new", f"/admin/rewards/{reward.id}", f"/admin/rewards/{reward.id}/deactivate",
                "/admin/rewards/vouchers/use", "/admin/rewards/vouchers/1/cancel"):
        assert client.post(url, data={"csrf_token": token, "name": "x", "points_cost": "1"}).status_code == 403, url
    assert db.session.get(Reward, reward.id).active and count(Reward) == 1
    assert "/admin/rewards/" not in client.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["operations", "admin"])
def test_operations_and_admin_see_the_catalogue(client, role):
    make_reward("Tote bag", 800, stock=7)
    staff = make_staff(role)
    db.session.commit()
    login(client, staff.email)
    html = client.get("/admin/rewards/").get_data(as_text=True)
    assert "Tote bag" in html and "7 left" in html and "800" in html
    assert 'href="/admin/rewards/"' in client.get("/admin/").get_data(as_text=True)


def reward_form(**changes):
    """What the new-reward form posts (the edit form posts stock_change instead of stock)."""
    return {"name": "Canvas tote", "name_zh": "帆布袋", "description": "Sturdy.", "description_zh": "",
            "points_cost": "800", "stock": "40", "min_tier": "", "available_from": "", "available_until": "",
            **changes}


def edit_form(**changes):
    """What the edit form posts for a limited stock, nothing changed but what `changes` says."""
    data = reward_form(stock_change="", **changes)
    del data["stock"]
    return data


def test_staff_add_a_reward_with_a_picture_and_members_see_it(client, app):
    ops = make_staff("operations")
    db.session.commit()
    login(client, ops.email)
    png = demo_picture((10, 20, 30), (200, 100, 50), "circle")
    data = reward_form(available_from="2030-01-01", available_until="2030-01-31",
                       picture=(io.BytesIO(png), "tote.png"))

    response = post_form(client, "/admin/rewards/new", data, page="/admin/rewards/new",
                         content_type="multipart/form-data")

    assert response.status_code == 303
    reward = db.session.scalar(select(Reward).where(Reward.name == "Canvas tote"))
    assert (reward.points_cost, reward.stock, reward.name_zh, reward.active) == (800, 40, "帆布袋", True)
    assert reward.available_from.isoformat() == "2029-12-31T16:00:00+00:00"  # midnight in Taipei
    assert reward.available_until.isoformat() == "2030-01-31T16:00:00+00:00"  # the end of the 31st
    assert pictures.NAME.match(reward.picture) and reward.picture.endswith(".png") and "tote" not in reward.picture
    stored = Path(app.config["UPLOAD_DIR"]) / reward.picture
    assert stored.read_bytes() == png
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reward.create"))
    assert audit.actor_staff_id == ops.id and audit.after["points_cost"] == 800

    served = client.get(f"/pictures/{reward.picture}")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == png
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    edit = client.get(f"/admin/rewards/{reward.id}").get_data(as_text=True)
    assert 'value="2030-01-31"' in edit and 'value="2030-01-01"' in edit


def test_staff_edit_and_deactivate_but_never_delete_a_reward(client, issued):
    member, tote, redemption = issued
    ops = make_staff("operations")
    db.session.commit()
    login(client, ops.email)
    url = f"/admin/rewards/{tote.id}"
    response = post_form(client, url, edit_form(name="Tote bag", points_cost="450", unlimited="y"), page=url)
    assert response.status_code == 303
    db.session.refresh(tote)
    assert (tote.points_cost, tote.stock) == (450, None)  # "Unlimited stock" ticked
    db.session.refresh(redemption)
    assert redemption.points == 300  # what it cost then
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reward.update"))
    assert audit.before["points_cost"] == 300 and audit.after["points_cost"] == 450

    assert post_form(client, f"{url}/deactivate", {}, page=url).status_code == 303
    db.session.refresh(tote)
    assert tote.active is False
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reward.deactivate"))
    for method in (client.delete, client.post):
        assert method(f"{url}/delete").status_code in (404, 405)
    assert client.delete(url).status_code == 405
    assert db.session.get(Reward, tote.id) is not None
    assert "Put it back in the catalogue" in client.get(url).get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    login(client, member.email)
    assert "Tote bag" not in client.get("/rewards").get_data(as_text=True)
    assert client.get(f"/rewards/{tote.id}").status_code == 404
    assert "Tote bag" in client.get(f"/rewards/my/{redemption.id}").get_data(as_text=True)  # her voucher stays

    client.post("/logout", data={"csrf_token": csrf_token(client, "/rewards")})
    login(client, ops.email)
    assert post_form(client, f"{url}/activate", {}, page=url).status_code == 303
    assert db.session.get(Reward, tote.id).active is True
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reward.activate"))


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "", "points_cost": "0"}, "This field is required."),
    ({"points_cost": "-5"}, "from 1 to 10,000,000"),
    ({"stock": "-1"}, "from 0 to 1,000,000"),
    ({"available_from": "2030-02-01", "available_until": "2030-01-01"}, "cannot be before the first"),
    ({"min_tier": "999"}, "Not a valid choice"),
])
def test_bad_reward_input_comes_back_with_a_message_and_saves_nothing(client, changes, message):
    ops = make_staff("operations")
    db.session.commit()
    login(client, ops.email)
    response = post_form(client, "/admin/rewards/new", reward_form(**changes), page="/admin/rewards/new")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(Reward) == 0


GIF = b"GIF89a\x10\x00\x10\x00\x80\x00\x00" + b"\x00" * 40


@pytest.mark.parametrize(("content", "filename", "message"), [
    (GIF, "picture.gif", "not a JPEG, PNG or WebP"),
    (b"<html><script>alert(1)</script></html>", "picture.png", "not a JPEG, PNG or WebP"),  # a fake extension
    (b"%PDF-1.4 not a picture", "picture.jpg", "not a JPEG, PNG or WebP"),
    (pictures.PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR" + struct.pack(">II", 9000, 10) + b"\x08\x02\x00\x00\x00" * 3,
     "huge.png", "between 16 and 8,000 pixels"),
    (b"", "empty.png", "The file is empty."),
    (b"", "", None),  # what a browser sends when no file is chosen: no new picture
])
def test_pictures_are_checked_by_their_bytes(client, content, filename, message):
    ops = make_staff("operations")
    db.session.commit()
    login(client, ops.email)
    response = post_form(client, "/admin/rewards/new", reward_form(picture=(io.BytesIO(content), filename)),
                         page="/admin/rewards/new", content_type="multipart/form-data")
    if message is None:
        assert response.status_code == 303
        assert db.session.scalar(select(Reward.picture)) is None
    else:
        assert response.status_code == 422 and message in response.get_data(as_text=True)
        assert count(Reward) == 0


def test_a_picture_over_2_mb_is_refused(client, app):
    ops = make_staff("operations")
    db.session.commit()
    login(client, ops.email)
    limit = app.config["MAX_PICTURE_BYTES"]
    png = demo_picture((1, 2, 3), (4, 5, 6), "box")
    just_over = png + b"\x00" * (limit + 1 - len(png))
    response = post_form(client, "/admin/rewards/new", reward_form(picture=(io.BytesIO(just_over), "big.png")),
                         page="/admin/rewards/new", content_type="multipart/form-data")
    assert response.status_code == 422 and "larger than 2 MB" in response.get_data(as_text=True)
    far_over = png + b"\x00" * (3 * limit)
    response = post_form(client, "/admin/rewards/new", reward_form(picture=(io.BytesIO(far_over), "big.png")),
                         page="/admin/rewards/new", content_type="multipart/form-data")
    assert response.status_code == 413 and "That is too large" in response.get_data(as_text=True)
    assert count(Reward) == 0
    # The rest of the app keeps its own, smaller limit.
    member = member_with(0)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    login(client, member.email)
    big_form = {"name": "x" * (1024 * 1024 + 10), "language": "en"}
    assert post_form(client, "/profile", big_form).status_code == 413


def test_the_picture_header_reader_knows_jpeg_png_and_webp(plain_app):
    jpeg = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            b"\xff\xdb\x00\x04\x00\x00"  # a table, skipped by its length
            + b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", 300, 400) + b"\x03" + b"\x00" * 9)
    assert pictures.inspect(jpeg) == pictures.Picture("jpeg", 400, 300)
    vp8x = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00" + (399).to_bytes(3, "little") + (
        299).to_bytes(3, "little")
    assert pictures.inspect(vp8x) == pictures.Picture("webp", 400, 300)
    vp8l_bits = (400 - 1) | ((300 - 1) << 14)
    vp8l = b"RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f" + struct.pack("<I", vp8l_bits)
    assert pictures.inspect(vp8l) == pictures.Picture("webp", 400, 300)
    vp8 = (b"RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00\x00\x00" + b"\x00\x00\x00" + b"\x9d\x01\x2a"
           + struct.pack("<HH", 400, 300))
    assert pictures.inspect(vp8) == pictures.Picture("webp", 400, 300)
    assert pictures.inspect(demo_picture((0, 0, 0), (9, 9, 9), "ticket")) == pictures.Picture("png", 400, 300)
    for broken in (b"\xff\xd8\xff\xd9", b"RIFF\x00\x00\x00\x00WEBPXXXX", pictures.PNG_SIGNATURE + b"short"):
        with pytest.raises(pictures.PictureError):
            pictures.inspect(broken)


def test_the_picture_route_serves_only_stored_pictures(client, app):
    (Path(app.config["UPLOAD_DIR"])).mkdir(parents=True, exist_ok=True)
    secret = Path(app.config["INSTANCE_DIR"]) / "not-a-picture.txt"
    secret.write_text("secret")
    for name in ("..%2Fnot-a-picture.txt", "not-a-picture.txt", "aaaaaaaaaaaaaaaaaaaaaaaa.png", "x.png",
                 "aaaaaaaaaaaaaaaaaaaaaaaa.svg"):
        response = client.get(f"/pictures/{name}")
        assert response.status_code == 404, name
        assert b"secret" not in response.data
