"""Demo data for a newcomer's portal: one member with 18 months of history, and the four staff roles."""

import random
from datetime import timedelta

from sqlalchemy import func, select

from portal.auth.models import StaffUser
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member, PointsEntry
from portal.members.tiers import lowest_tier
from portal.models import add_months, utcnow

DEMO_PASSWORD = "portal-demo"
STAFF = (
    ("Lee Team Lead", "lead@example.com", "admin"),
    ("Sam Service", "service@example.com", "service"),
    ("Olive Operations", "ops@example.com", "operations"),
    ("Eddie Expansion", "expansion@example.com", "expansion"),
)


def seed_demo():
    """Add the demo accounts that are missing; returns the emails it created."""
    created = []
    password_hash = hash_password(DEMO_PASSWORD)
    for name, email, role in STAFF:
        if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is None:
            db.session.add(StaffUser(name=name, email=email, role=role,
                                     password_hash=password_hash, language="en"))
            created.append(email)
    if db.session.scalar(select(Member.id).where(Member.email == "mei@example.com")) is None:
        db.session.add(Member(
            name="Mei Lin", email="mei@example.com", password_hash=password_hash,
            language="en", phone="+886 912 345 678", birthday_month=3, birthday_day=14,
            status="active", email_verified_at=utcnow(), tier=lowest_tier(),
        ))
        created.append("mei@example.com")
    db.session.flush()
    mei = db.session.scalar(select(Member).where(Member.email == "mei@example.com"))
    if not db.session.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.member_id == mei.id)):
        ops = db.session.scalar(select(StaffUser).where(StaffUser.email == "ops@example.com"))
        add_history(mei, ops)
    return created


SHOPS = ("Xinyi flagship store", "Online shop", "Taichung store", "Da'an store", "Airport outlet")


def add_history(member, staff, now=None):
    """Eighteen months of believable activity: purchases, birthday bonuses, a survey, an event,
    a promotion that partly expired, a staff adjustment. Deterministic, so re-running adds nothing."""
    now = now or utcnow()
    rng = random.Random(20261123)
    start = add_months(now, -18)
    member.created_at = start - timedelta(days=2)  # she joined just before her first purchase
    key = f"demo:{member.id}:"
    promo_at = start + timedelta(days=3)
    ledger.earn(member, 300, "purchase", key + "promo", at=promo_at,
                expires_at=add_months(promo_at, 6), reason="Opening-week purchase, double points (valid 6 months)")
    ledger.spend(member, 120, "redemption", key + "promo-use", at=promo_at + timedelta(days=40),
                 reason="Points used for a discount at the till")
    month = 0
    while True:
        month_start = add_months(start, month)
        if month_start >= now:
            break
        for n in range(rng.choice((2, 2, 3))):
            at = month_start + timedelta(days=rng.randint(0, 27), hours=rng.randint(10, 20))
            if at >= now:
                continue
            amount = rng.choice((25, 40, 60, 80, 110, 150, 200))
            ledger.earn(member, amount, "purchase", f"{key}purchase:{month}:{n}", at=at,
                        reason=f"Purchase at {rng.choice(SHOPS)}")
        if month_start.month == member.birthday_month:
            ledger.earn(member, 100, "birthday", f"{key}birthday:{month_start.year}", at=month_start,
                        reason="Happy birthday!")
        month += 1
    ledger.expire_due(member, now=add_months(promo_at, 6) + timedelta(hours=1))
    anniversary = add_months(now, -6) + timedelta(days=20)
    ledger.earn(member, 180, "purchase", key + "anniversary", at=anniversary, expires_at=add_months(anniversary, 6),
                reason="Anniversary sale purchase, double points (valid 6 months)")
    ledger.earn(member, 50, "survey", key + "survey", at=add_months(now, -7),
                reason="Thank you for answering the satisfaction survey")
    ledger.earn(member, 150, "event_attendance", key + "event", at=add_months(now, -4),
                reason="Attended the spring member tea party")
    ledger.adjust(member, 200, "Apology for a delivery that arrived a week late", staff, key + "adjustment",
                  at=add_months(now, -2))
