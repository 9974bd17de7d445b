"""The points ledger: the only code that writes points entries or computes balances.

Every change is an appended PointsEntry. Earnings keep what is left of them (`remaining`) and
an expiry date; anything that takes points away takes it from the earnings that expire first
and records where it came from (PointsAllocation). The member's `points_balance` is a cache of
the sum, written in the same transaction; `reconcile()` checks and repairs it.

Concurrency: every write first locks the member row (SELECT … FOR UPDATE on PostgreSQL; on
SQLite every transaction begins IMMEDIATE, see portal/sqlite.py), then reads fresh state.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select

from portal import dates
from portal.audit.services import record
from portal.extensions import db
from portal.members import tiers
from portal.members.models import EARNING_KINDS, Member, PointsAllocation, PointsEntry
from portal.models import add_months, utcnow


class LedgerError(ValueError):
    """A points change that the rules do not allow."""


class InsufficientPoints(LedgerError):
    """Not enough unexpired points for the change."""


def lock_member(member):
    """Lock the member's row for the rest of the transaction and reload it."""
    db.session.flush()
    return db.session.execute(
        select(Member).where(Member.id == member.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _existing(key, member):
    entry = db.session.scalar(select(PointsEntry).where(PointsEntry.idempotency_key == key))
    if entry is not None and entry.member_id != member.id:
        raise LedgerError(f"idempotency key {key!r} belongs to another member")
    return entry


def _append(member, amount, kind, key, *, reason="", actor=None, at=None, earning=False,
            qualifying=0, expires_at=None, reverses=None, reason_code=None, reason_params=None):
    at = at or utcnow()
    entry = PointsEntry(
        member_id=member.id, amount=amount, kind=kind, reason=reason or "", idempotency_key=key,
        reason_code=reason_code, reason_params=reason_params,
        actor_staff_id=actor.id if actor is not None and actor.is_staff else None, created_at=at,
        remaining=amount if earning else None, qualifying=qualifying,
        expires_at=(expires_at or add_months(at, current_app.config["POINTS_EXPIRY_MONTHS"]))
        if earning else None,
        reverses_id=reverses.id if reverses is not None else None,
    )
    db.session.add(entry)
    member.points_balance += amount
    db.session.flush()
    return entry


def _take(member, amount, entry, at, first=None):
    """Take `amount` from unexpired earnings, `first` (if given) then those expiring soonest."""
    left = amount
    sources = [first] if first is not None and first.remaining else []
    sources += db.session.scalars(
        select(PointsEntry).where(
            PointsEntry.member_id == member.id, PointsEntry.remaining > 0,
            or_(PointsEntry.expires_at.is_(None), PointsEntry.expires_at > at),
            PointsEntry.id != (first.id if first is not None else -1),
        ).order_by(PointsEntry.expires_at.asc().nulls_last(), PointsEntry.id)
    ).all()
    for earning in sources:
        if left == 0:
            break
        used = min(earning.remaining, left)
        earning.remaining -= used
        left -= used
        db.session.add(PointsAllocation(spend_id=entry.id, earning_id=earning.id, amount=used))
    if left:
        raise InsufficientPoints(f"{left} points short")
    db.session.flush()


def earn(member, amount, kind, key, *, reason="", reason_code=None, reason_params=None, actor=None, at=None,
         expires_at=None):
    """Add `amount` points of an earning `kind`; the tier rises at once if they qualify.

    `expires_at` shortens their life (a promotion); by default they last POINTS_EXPIRY_MONTHS.
    The reason is either text as staff typed it or a code and its parameters (members/reasons.py).
    """
    if kind not in EARNING_KINDS:
        raise LedgerError(f"{kind!r} is not a kind of earning")
    if amount <= 0:
        raise LedgerError("an earning must be positive")
    member = lock_member(member)
    if (entry := _existing(key, member)) is not None:
        return entry
    entry = _append(member, amount, kind, key, reason=reason, actor=actor, at=at, earning=True,
                    qualifying=amount, expires_at=expires_at, reason_code=reason_code, reason_params=reason_params)
    tiers.upgrade_if_qualified(member, now=_tier_moment(at))
    return entry


def _tier_moment(at):
    """When to judge the tier after an earning dated `at`: now, whatever its date. Points dated in
    the past count in today's window too (judged as of their date, they would miss the points
    earned since); an earning dated ahead (a job catching up, a test) is judged as of its date."""
    now = utcnow()
    return at if at is not None and at > now else now


def spend(member, amount, kind, key, *, reason="", reason_code=None, reason_params=None, actor=None, at=None):
    """Take `amount` (> 0) points, first-to-expire first; raises InsufficientPoints."""
    if amount <= 0:
        raise LedgerError("spend a positive number of points")
    member = lock_member(member)
    if (entry := _existing(key, member)) is not None:
        return entry
    at = at or utcnow()
    expire_due(member, now=at, locked=True)
    if member.points_balance < amount:
        raise InsufficientPoints(f"balance {member.points_balance} is less than {amount}")
    entry = _append(member, -amount, kind, key, reason=reason, actor=actor, at=at, reason_code=reason_code,
                    reason_params=reason_params)
    _take(member, amount, entry, at)
    return entry


def adjust(member, amount, reason, actor, key, at=None):
    """A staff correction: + adds points (they count towards the tier), − takes them; audited."""
    limit = current_app.config["MAX_ADJUSTMENT"]
    if not reason or not reason.strip():
        raise LedgerError("an adjustment needs a reason")
    if actor is None or not actor.is_staff:
        raise LedgerError("only staff adjust points")
    if amount == 0 or abs(amount) > limit:
        raise LedgerError(f"an adjustment is between -{limit} and {limit}, not 0")
    member = lock_member(member)
    if (entry := _existing(key, member)) is not None:
        return entry
    before = member.points_balance
    at = at or utcnow()
    if amount > 0:
        entry = _append(member, amount, "adjustment", key, reason=reason.strip(), actor=actor, at=at,
                        earning=True, qualifying=amount)
        tiers.upgrade_if_qualified(member, now=_tier_moment(at))
    else:
        expire_due(member, now=at, locked=True)
        before = member.points_balance
        if member.points_balance < -amount:
            raise InsufficientPoints(f"balance {member.points_balance} is less than {-amount}")
        entry = _append(member, amount, "adjustment", key, reason=reason.strip(), actor=actor, at=at)
        _take(member, -amount, entry, at)
    record("points.adjust", entry, actor=actor, member=member, before={"balance": before},
           after={"balance": member.points_balance, "amount": amount}, reason=reason.strip(), at=at)
    return entry


def reverse(original, reason, actor, key, at=None):
    """Undo an entry with a new one that references it (once per entry); audited when staff do it."""
    if original.kind == "reversal":
        raise LedgerError("a reversal cannot be reversed")
    member = lock_member(original.member)
    if (entry := _existing(key, member)) is not None:
        return entry
    if db.session.scalar(select(PointsEntry.id).where(PointsEntry.reverses_id == original.id)):
        raise LedgerError("this entry is already reversed")
    at = at or utcnow()
    before = member.points_balance
    db.session.refresh(original)
    if original.amount > 0:
        expire_due(member, now=at, locked=True)
        expired = db.session.scalar(
            select(func.coalesce(func.sum(PointsAllocation.amount), 0))
            .join(PointsEntry, PointsEntry.id == PointsAllocation.spend_id)
            .where(PointsAllocation.earning_id == original.id, PointsEntry.kind == "expiry")
        )
        to_take = original.amount - expired
        if to_take <= 0:
            raise LedgerError("these points have already expired")
        if member.points_balance < to_take:
            raise InsufficientPoints(f"balance {member.points_balance} is less than {to_take}")
        # Its qualifying points stop counting through the original (tiers skip reversed entries),
        # in the window the original was counted in.
        entry = _append(member, -to_take, "reversal", key, reason=reason, actor=actor, at=at,
                        reverses=original)
        _take(member, to_take, entry, at, first=original)
    else:
        # Points given back: they keep the latest expiry of the earnings they came from, or a
        # fresh one when those have passed (an expiry that staff reverse is a reinstatement).
        latest = db.session.scalar(
            select(func.max(PointsEntry.expires_at))
            .join(PointsAllocation, PointsAllocation.earning_id == PointsEntry.id)
            .where(PointsAllocation.spend_id == original.id)
        )
        latest = latest if latest is None or latest.tzinfo else latest.replace(tzinfo=at.tzinfo)
        expires = latest if latest is not None and latest > at else None
        entry = _append(member, -original.amount, "reversal", key, reason=reason, actor=actor, at=at,
                        earning=True, expires_at=expires, reverses=original)
    if actor is not None and actor.is_staff:
        record("points.reverse", entry, actor=actor, member=member, before={"balance": before},
               after={"balance": member.points_balance, "reverses": original.id}, reason=reason, at=at)
    return entry


def expire_due(member, now=None, locked=False):
    """Expire what is left of each earning past its date; returns the expiry entries written."""
    if not locked:
        member = lock_member(member)
    now = now or utcnow()
    due = db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member.id, PointsEntry.remaining > 0,
                                  PointsEntry.expires_at <= now).order_by(PointsEntry.expires_at)
    ).all()
    written = []
    for earning in due:
        left = earning.remaining
        # No reason text: the kind says it, in the member's language.
        entry = _append(member, -left, "expiry", f"expiry:{earning.id}:{earning.amount - left}",
                        at=max(earning.expires_at, earning.created_at))
        _expire(earning, entry)
        written.append(entry)
    return written


def _expire(earning, entry):
    db.session.add(PointsAllocation(spend_id=entry.id, earning_id=earning.id, amount=earning.remaining))
    earning.remaining = 0
    db.session.flush()


def ledger_balance(member_id):
    """The balance as the ledger says it: the sum of every entry."""
    return db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.amount), 0)).where(PointsEntry.member_id == member_id)
    )


def reconcile(repair=False):
    """Members whose cached balance differs from the ledger: [(member id, cached, ledger)]; fix if asked."""
    sums = (
        select(PointsEntry.member_id, func.sum(PointsEntry.amount).label("total"))
        .group_by(PointsEntry.member_id).subquery()
    )
    rows = db.session.execute(
        select(Member, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.member_id == Member.id)
        .where(Member.points_balance != func.coalesce(sums.c.total, 0))
        .execution_options(populate_existing=True)  # compare what is stored, not a stale copy
    ).all()
    wrong = [(member.id, member.points_balance, int(total)) for member, total in rows]
    if repair:
        for member, total in rows:
            member.points_balance = int(total)
        db.session.flush()
    return wrong


@dataclass
class Expiring:
    date: object
    points: int


def expiring_soon(member, now=None, days=30):
    """Points that expire within `days`, grouped by day, soonest first."""
    now = now or utcnow()
    rows = db.session.execute(
        select(PointsEntry.expires_at, PointsEntry.remaining)
        .where(PointsEntry.member_id == member.id, PointsEntry.remaining > 0,
               PointsEntry.expires_at > now, PointsEntry.expires_at <= now + timedelta(days=days))
        .order_by(PointsEntry.expires_at)
    ).all()
    by_day = {}
    for expires_at, remaining in rows:
        day = dates.day_of(expires_at)  # the day members see, in the programme's zone
        by_day[day] = by_day.get(day, 0) + remaining
    return [Expiring(day, points) for day, points in by_day.items()]


def history(member, kind=None, after_id=None, limit=20):
    """A page of the member's entries, newest first, after the entry `after_id`: (entries, more?)."""
    query = select(PointsEntry).where(PointsEntry.member_id == member.id)
    if kind:
        query = query.where(PointsEntry.kind == kind)
    if after_id:
        cursor = (
            select(PointsEntry.created_at)
            .where(PointsEntry.id == after_id, PointsEntry.member_id == member.id)
            .scalar_subquery()
        )
        query = query.where(or_(PointsEntry.created_at < cursor,
                                and_(PointsEntry.created_at == cursor, PointsEntry.id < after_id)))
    rows = db.session.scalars(
        query.order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc()).limit(limit + 1)
    ).all()
    return rows[:limit], len(rows) > limit
