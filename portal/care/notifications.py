"""In-portal notifications: every email to a member is also a notification they can read here."""

from functools import cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import with_expression

from portal.care.models import Notification
from portal.extensions import db
from portal.members.models import Member
from portal.models import utcnow

PAGE_SIZE = 30


def notify(member, template, subject, body, link=None, link_label=None, flush=True):
    """Add a notification for `member` (care.messages.tell_member makes them, never for security mail);
    `flush=False` leaves the flush to a caller that adds many at once."""
    notification = Notification(member_id=member.id, template=template, subject=subject, body=body,
                                link=link, link_label=link_label)
    db.session.add(notification)
    if flush:
        db.session.flush()
    return notification


def unread_count(member):
    """How many of the member's notifications are unread: as read with the account when it was
    (see with_unread_count), else counted now."""
    if member.unread_notifications is not None:
        return member.unread_notifications
    return db.session.scalar(_unread_of(member.id))


def _unread_of(member_id):
    """The count of unread notifications of `member_id` (a value, or a column to correlate with)."""
    return select(func.count()).select_from(Notification).where(
        Notification.member_id == member_id, Notification.read_at.is_(None))


@cache
def with_unread_count():
    """The loader option that reads the unread count with a member (Member.unread_notifications).
    Built once: the same for every member (building it was ~0.2 ms a page)."""
    return with_expression(Member.unread_notifications, _unread_of(Member.id).correlate(Member).scalar_subquery())


def latest(member, limit=PAGE_SIZE):
    """The member's newest notifications."""
    return db.session.scalars(
        select(Notification).where(Notification.member_id == member.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ).all()


def mark_read(member, notifications):
    """Mark the member's `notifications` (those just shown) read; returns the ids that were unread."""
    unread = [n.id for n in notifications if n.read_at is None and n.member_id == member.id]
    if unread:
        db.session.execute(
            update(Notification)
            .where(Notification.member_id == member.id, Notification.id.in_(unread), Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return set(unread)
