"""Helpers that several test modules need (test modules never import each other)."""

import threading
import time
import uuid

import pyotp
from sqlalchemy import select

from portal.auth import two_factor
from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member
from tests.factories import make_reward


def run_together(app, count, work):
    """Run work(i) in `count` threads that start at once, each in its own app context; the results
    (an exception a thread raised is its result)."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = work(i)
            except BaseException as exc:  # every failure is reported by the test
                db.session.rollback()
                results[i] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running"
    return results



def enrol_staff(staff, at=None):
    """Turn on two-factor for `staff` as the enrolment page would; returns (secret, recovery codes).

    The confirming code is taken two time steps ago by default, so that the current code is still
    unused and a test can log in with it.
    """
    at = time.time() - 60 if at is None else at
    secret = two_factor.start_enrolment(staff)
    codes = two_factor.confirm_enrolment(staff, pyotp.TOTP(secret).at(at), now=at)
    assert codes is not None
    return secret, codes


def code_now(secret, offset=0):
    """The authenticator app's code for `secret`, `offset` seconds from now."""
    return pyotp.TOTP(secret).at(time.time() + offset)


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
