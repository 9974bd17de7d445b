"""Points expiry for members: expire what is due, and tell members 30 days ahead, once per batch.

A batch is what one member has expiring on one day of the programme's calendar; the notice is
recorded as an ExpiryNotice (UNIQUE(member, day)), so running the job again sends nothing new.
"""


from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.care.messages import Link, tell_member
from portal.care.models import ExpiryNotice
from portal.dates import days_ahead, end_of_day, today
from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member, PointsEntry

NOTICE_DAYS = 30


def active_members(ids):
    """The active members among `ids`, in id order (one query)."""
    if not ids:
        return []
    return db.session.scalars(
        select(Member).where(Member.id.in_(ids), Member.status == "active").order_by(Member.id)
    ).all()


def members_with_due_points(now):
    """Ids of active members with unspent earnings past their expiry date (one query)."""
    return db.session.scalars(
        select(PointsEntry.member_id).distinct()
        .join(Member, Member.id == PointsEntry.member_id)
        .where(Member.status == "active", PointsEntry.remaining > 0, PointsEntry.expires_at <= now)
        .order_by(PointsEntry.member_id)
    ).all()


def expire_points(now, member_ids=None):
    """Expire what is left of every earning past its date, for active members; returns the expiry entries."""
    ids = members_with_due_points(now) if member_ids is None else member_ids
    written = []
    for member in active_members(ids):
        written += ledger.expire_due(member, now)
    return written


def notice_horizon(now):
    """The last programme day whose expiring points are announced today."""
    return days_ahead(NOTICE_DAYS, now)


def members_with_points_expiring(now):
    """Ids of active members with unspent points expiring from now to the end of the horizon day (one query)."""
    return db.session.scalars(
        select(PointsEntry.member_id).distinct()
        .join(Member, Member.id == PointsEntry.member_id)
        .where(Member.status == "active", PointsEntry.remaining > 0, PointsEntry.expires_at > now,
               PointsEntry.expires_at < end_of_day(notice_horizon(now)))
        .order_by(PointsEntry.member_id)
    ).all()


def send_expiry_notices(now, member_ids=None):
    """Tell active members what expires in the next 30 days, once per member and expiry day; returns the notices.

    Whole programme days count: a daily run announces everything expiring on the day 30 days
    ahead, whatever the hour, so a later batch on a day already announced is never left out.
    """
    ids = members_with_points_expiring(now) if member_ids is None else member_ids
    horizon, first_day = notice_horizon(now), today(now)
    made = []
    for member in active_members(ids):
        member = ledger.lock_member(member)  # a second run at the same time waits, then finds these notices
        noticed = set(db.session.scalars(
            select(ExpiryNotice.expires_on).where(ExpiryNotice.member_id == member.id,
                                                  ExpiryNotice.expires_on >= first_day)
        ))
        # One more day than the horizon: every group up to the horizon day is then complete.
        new = [ExpiryNotice(member_id=member.id, expires_on=batch.date, points=batch.points)
               for batch in ledger.expiring_soon(member, now, days=NOTICE_DAYS + 1)
               if batch.date <= horizon and batch.date not in noticed]
        if not new:
            continue
        db.session.add_all(new)
        db.session.flush()
        made += new
        email_expiry_notice(member, new)
    return made


def email_expiry_notice(member, notices):
    """The notice email (about the account: always sent) listing the member's new batches."""
    batches = [{"points": notice.points, "day": notice.expires_on} for notice in notices]
    tell_member(member, "expiry_notice",
                {"name": member.first_name, "batches": batches, "balance": member.points_balance},
                kind="account", link=Link("rewards.catalogue", _l("See the rewards")))
