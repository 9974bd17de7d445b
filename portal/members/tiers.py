"""Tier look-ups."""

from sqlalchemy import select

from portal.extensions import db
from portal.members.models import Tier


def lowest_tier():
    """The entry tier every new member starts at."""
    tier = db.session.scalar(select(Tier).order_by(Tier.rank).limit(1))
    if tier is None:
        raise LookupError("no tiers are set up: run the migrations")
    return tier
