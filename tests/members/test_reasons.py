"""Reasons on ledger rows and in tier history: what the portal writes is a code and its parameters,
shown in the reader's language; what staff type is shown as typed (issue 7, 2.5)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from portal import create_app
from portal.care.birthdays import greet_birthdays
from portal.care.review import review_tier
from portal.dates import today as programme_today
from portal.extensions import db, limiter
from portal.members import ledger, tiers
from portal.members.models import Member, PointsEntry, Tier, TierChange
from portal.members.reasons import describe_reasons
from portal.models import utcnow
from portal.purchases.services import record_purchase
from portal.rewards import services as rewards
from tests.factories import make_member, make_reward, make_staff
from tests.helpers import counting_queries, login, test_settings

DETAIL = re.compile(r'<span class="detail">(.*?)</span>', re.S)
REFERENCES = re.compile(r"\bR-\d+\b")  # receipt numbers are the same in every language
ENGLISH = re.compile(r"[A-Za-z]{2,}")


def give_every_generated_reason(member, staff, now=None):
    """Every reason the portal writes, for `member`: purchases (and the upgrade they bring), a
    redemption, a birthday bonus, a monthly tier review; and one adjustment a staff member typed."""
    now = now or utcnow()
    record_purchase(member, Decimal("700.00"), now - timedelta(hours=3), "R-1", "staff", actor=staff)
    record_purchase(member, Decimal("480.00"), now - timedelta(hours=2), "R-2", "api")  # 1,180: Silver
    coffee = make_reward(name="Coffee for two", name_zh="咖啡兩杯", points_cost=300)
    voucher = rewards.redeem(member, coffee, "coffee", now=now - timedelta(hours=1))
    rewards.mark_used(voucher.voucher_code, staff)  # on the home's timeline: "Voucher used"
    today = programme_today(now)
    member.birthday_month, member.birthday_day = today.month, today.day
    greet_birthdays(today, [member.id])  # Silver's birthday bonus
    member.tier = db.session.scalar(select(Tier).where(Tier.code == "gold"))  # moved up by hand, long ago
    db.session.flush()
    review_tier(member)  # back to Silver: far from Gold's 5,000
    ledger.adjust(member, 25, "Goodwill", staff, "reasons:goodwill")
    return coffee


@pytest.fixture
def mei(app):
    member = make_member(name="Mei Lin", email="mei.reasons@example.com")
    with app.test_request_context():
        give_every_generated_reason(member, make_staff("operations"))
    db.session.commit()
    return member


def details(html):
    return [" ".join(d.split()) for d in DETAIL.findall(html)]


def test_generated_reasons_are_stored_as_codes_and_typed_ones_as_typed(mei):
    entries = {e.idempotency_key: e
               for e in db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == mei.id))}
    first = entries["purchase:R-1"]
    assert (first.reason_code, first.reason_params, first.reason) == ("purchase", {"reference": "R-1"}, "")
    redemption = next(e for e in entries.values() if e.kind == "redemption")
    assert redemption.reason_code == "redemption" and set(redemption.reason_params) == {"reward_id"}
    assert next(e for e in entries.values() if e.kind == "birthday").reason_code == "birthday"
    adjustment = entries["reasons:goodwill"]
    assert (adjustment.reason, adjustment.reason_code) == ("Goodwill", None)
    changes = tiers.tier_history(mei)
    assert [(c.reason_code, c.reason_params, c.reason) for c in changes] == [
        ("tier_review", {"points": 1380, "tier": "gold", "threshold": 5000}, ""),
        ("qualifying_points", {"points": 1180}, ""),
    ]
    assert all(not e.reason for e in entries.values() if e.reason_code)  # no English sentence kept beside


def test_the_member_reads_every_generated_reason_in_english(client, mei):
    login(client, mei.email)
    shown = details(client.get("/points").get_data(as_text=True))
    for reason in ("Receipt R-1", "Receipt R-2", "Coffee for two", "Happy birthday!", "Goodwill"):
        assert reason in shown, reason
    home = client.get("/").get_data(as_text=True)
    assert "Monthly tier review: 1,380 qualifying points, Gold needs 5,000" in details(home)
    assert ">Moved to Silver</strong>" in home


def test_in_chinese_no_generated_reason_is_english(client, mei):
    """Every reason the portal wrote reads in Chinese; only what staff typed keeps its language."""
    mei.language = "zh_Hant"
    db.session.commit()
    login(client, mei.email)
    points = client.get("/points").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    shown = details(points) + details(home)
    assert "咖啡兩杯" in shown and "生日快樂！" in shown and "單號 R-1" in shown
    labels = re.findall(r"<strong>(.*?)</strong>", home.split('id="activity-heading"')[1])
    assert {"兌換券已使用", "調整為銀牌會員"} <= set(labels) and not [x for x in labels if ENGLISH.search(x)]
    assert "每月等級審核：有效積分 1,380 點，金牌會員需要 5,000 點" in shown
    english = [d for d in shown if ENGLISH.search(REFERENCES.sub("", d)) and d != "Goodwill"]
    assert not english, english
    assert "Goodwill" in shown  # typed by staff: shown as typed


def test_staff_read_the_tier_history_and_ledger_in_their_language(client, mei):
    staff = make_staff("operations", email="ops.zh@example.com", language="zh_Hant")
    db.session.commit()
    login(client, staff.email)
    page = client.get(f"/admin/members/{mei.id}").get_data(as_text=True)
    cells = [" ".join(c.split()) for c in re.findall(r"<td>(.*?)</td>", page, re.S)]
    assert "有效積分達到 1,180 點" in cells and "每月等級審核：有效積分 1,380 點，金牌會員需要 5,000 點" in cells
    assert "咖啡兩杯" in cells and "單號 R-2" in cells and "Goodwill" in cells
    assert not any(re.search(r"qualifying points|monthly tier review|Coffee", c, re.I) for c in cells)


def test_the_rewards_a_page_names_are_loaded_in_one_query(client, app):
    member = make_member(email="many.rewards@example.com")
    ledger.earn(member, 5000, "purchase", "reasons:many")
    with app.test_request_context():
        for n in range(6):
            rewards.redeem(member, make_reward(name=f"Reward {n}", points_cost=100), f"many-{n}")
    db.session.commit()
    login(client, member.email)
    with counting_queries() as statements:
        html = client.get("/points").get_data(as_text=True)
    assert all(f"Reward {n}" in details(html) for n in range(6))
    assert len([s for s in statements if "FROM rewards" in s]) == 1


def test_a_reason_falls_back_to_what_was_typed_or_to_nothing(app):
    with app.test_request_context():
        member = make_member()
        unknown = PointsEntry(reason="as typed", reason_code="from_the_future", reason_params={})
        gone = PointsEntry(reason="", reason_code="redemption", reason_params={"reward_id": 10**6})
        old_params = PointsEntry(reason="", reason_code="purchase", reason_params={"ref": "X"})
        typed = TierChange(member_id=member.id, reason="VIP customer")
        rows = (unknown, gone, old_params, typed)
        describe = describe_reasons(rows)
        shown = [describe(row) for row in rows]
        assert shown == ["as typed", "", "", "VIP customer"]


# --- the migration -----------------------------------------------------------------------------------


STORED = {table: text(f"SELECT reason FROM {table}") for table in ("points_entries", "tier_changes")}  # noqa: S608


def stored(table):
    """The reasons as the table holds them, whatever the models say (the columns may be gone)."""
    return sorted(db.session.execute(STORED[table]).scalars().all())


def test_migration_0008_turns_english_reasons_into_codes_and_back(fresh_database, tmp_path):
    saved_limiter = dict(vars(limiter))  # create_app() rebinds the one shared limiter: put it back after
    try:
        migrate_down_and_up(create_app(test_settings(fresh_database, tmp_path)))
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved_limiter)


def migrate_down_and_up(app):
    with app.app_context(), app.test_request_context():
        upgrade()
        member = make_member(email="mei.migrated@example.com")
        give_every_generated_reason(member, make_staff("operations"))
        db.session.commit()
        codes = {(e.kind, e.reason_code, repr(e.reason_params), e.reason)
                 for e in db.session.scalars(select(PointsEntry))}
        history = {(c.reason_code, repr(c.reason_params), c.reason) for c in db.session.scalars(select(TierChange))}
        db.session.remove()

        downgrade(revision="0007")  # the English sentences the older code wrote come back
        assert stored("points_entries") == sorted(["R-1", "R-2", "Coffee for two", "Happy birthday!", "Goodwill"])
        assert stored("tier_changes") == sorted(["qualifying points reached 1180",
                                                 "monthly tier review: 1380 qualifying points, gold needs 5000"])
        db.session.remove()

        upgrade()  # and become codes again, as the data of a portal that ran the older code
        assert {(e.kind, e.reason_code, repr(e.reason_params), e.reason)
                for e in db.session.scalars(select(PointsEntry))} == codes
        assert {(c.reason_code, repr(c.reason_params), c.reason)
                for c in db.session.scalars(select(TierChange))} == history
        assert db.session.scalar(select(Member.tier_id).where(Member.email == "mei.migrated@example.com"))
        db.session.remove()
        db.engine.dispose()
