from sqlalchemy import func, select

from portal.extensions import db
from portal.members.models import Member, Tier
from tests.factories import make_member


def test_default_tiers_come_from_the_migration(app):
    tiers = db.session.scalars(select(Tier).order_by(Tier.rank)).all()
    assert [(t.code, t.threshold, str(t.multiplier)) for t in tiers] == [
        ("regular", 0, "1.00"), ("silver", 1000, "1.25"), ("gold", 5000, "1.50"), ("diamond", 20000, "2.00"),
    ]
    assert [t.name_zh for t in tiers] == ["普通會員", "銀牌會員", "金牌會員", "鑽石會員"]
    assert all(t.benefits for t in tiers)


def test_each_test_starts_with_no_members_a(app):
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0
    make_member(email="rollback@example.com")
    db.session.commit()


def test_each_test_starts_with_no_members_b(app):
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0
