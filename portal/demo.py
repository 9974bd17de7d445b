"""Demo data for a newcomer's portal: one member and the four staff roles."""

from sqlalchemy import select

from portal.auth.models import StaffUser
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.members.models import Member
from portal.members.tiers import lowest_tier
from portal.models import utcnow

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
    return created
