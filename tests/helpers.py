"""Helpers that several test modules share (never import one test module from another)."""

import uuid

from sqlalchemy import select

from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member
from tests.factories import make_reward


def give_points(app, email, *amounts):
    """Committed purchases of `amounts` points for the member with `email` (one entry each)."""
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.email == email))
        for amount in amounts:
            ledger.earn(member, amount, "purchase", f"test:{uuid.uuid4().hex}", reason="Test purchase")
        db.session.commit()


def add_reward(app, name, points_cost=100, **fields):
    """A committed reward in the catalogue; returns its id. Give it a unique `name`."""
    with app.app_context():
        reward = make_reward(name=name, points_cost=points_cost, **fields)
        db.session.commit()
        return reward.id


def member_nav_link(page, name, nav="Member", more="More"):
    """The member navigation's link `name` (Playwright), opening "More" first when the link is in
    it (on a phone only the first items are in the bar)."""
    navigation = page.get_by_role("navigation", name=nav)
    link = navigation.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        navigation.get_by_text(more, exact=True).click()  # a <summary>: no ARIA role to find it by
    return link
