"""Birthday care: on a member's birthday, the tier's birthday bonus and a greeting, once a year."""

import calendar

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from portal.care.messages import Link, tell_member
from portal.care.models import BirthdayGreeting
from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member


def is_birthday(today):
    """The condition on members whose birthday is `today` (29 Feb counts on 28 Feb in other years)."""
    days = [(today.month, today.day)]
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        days.append((2, 29))
    return or_(*(and_(Member.birthday_month == month, Member.birthday_day == day) for month, day in days))


def members_with_birthday(today):
    """Ids of active members whose birthday is `today` and who were not greeted this year (one query)."""
    greeted = select(BirthdayGreeting.id).where(BirthdayGreeting.member_id == Member.id,
                                                BirthdayGreeting.year == today.year)
    return db.session.scalars(
        select(Member.id).where(Member.status == "active", is_birthday(today), ~greeted.exists())
        .order_by(Member.id)
    ).all()


def birthday_key(member, year):
    """The ledger's idempotency key of a member's birthday bonus in `year`."""
    return f"birthday:{member.id}:{year}"


def greet_birthdays(today, member_ids=None):
    """Give each active member whose birthday is `today` the tier's bonus and a greeting; returns the greetings.

    Once per member per year, even if run twice: the member row is locked, then the year's
    greeting looked for. The email honours `marketing_emails`; the points are always given.
    """
    ids = members_with_birthday(today) if member_ids is None else member_ids
    made = []
    members = db.session.scalars(
        select(Member).where(Member.id.in_(ids), Member.status == "active", is_birthday(today))
        .order_by(Member.id)
    ).all() if ids else []
    for member in members:
        member = ledger.lock_member(member)
        if db.session.scalar(select(BirthdayGreeting.id).where(
                BirthdayGreeting.member_id == member.id, BirthdayGreeting.year == today.year)):
            continue
        bonus = member.tier.birthday_bonus  # the tier on the day, before the bonus can raise it
        if bonus > 0:
            ledger.earn(member, bonus, "birthday", birthday_key(member, today.year), reason_code="birthday")
        told = tell_member(member, "birthday", {"name": member.first_name, "points": bonus, "tier": member.tier},
                           kind="marketing", link=Link("members.points", _l("See my points")) if bonus else None)
        greeting = BirthdayGreeting(member_id=member.id, year=today.year, points=bonus,
                                    emailed=told.message is not None)
        db.session.add(greeting)
        db.session.flush()
        made.append(greeting)
    return made

