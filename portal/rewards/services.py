"""Rewards: the catalogue, redeeming points for a voucher, staff marking vouchers used or
cancelling them, and the staff's catalogue changes.

Points go through the ledger (portal/members/ledger.py); stock goes through change_stock() only:
one conditional UPDATE that adds or removes units and never goes below 0, so two redemptions never
take the last unit twice and a staff edit never writes back a number read earlier. Staff switch
a stock between unlimited and limited with restock(), which locks the row first.
Lock order, everywhere: the member row (the ledger locks it), then the reward row.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from portal.audit.services import record
from portal.care.messages import Link, tell_member
from portal.extensions import db
from portal.members import ledger
from portal.members.models import Tier
from portal.models import utcnow
from portal.rewards.models import Redemption, Reward
from portal.uploads import pictures

# No 0/O, 1/I/L: a code read aloud or typed from a screen is not mistaken.
VOUCHER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
VOUCHER_LENGTH = 12  # 31^12 ≈ 7.9e17 codes
VOUCHER_GROUP = 4
# What the reward form sets by assignment; the stock is not among them (see change_stock).
REWARD_FIELDS = ("name", "name_zh", "description", "description_zh", "points_cost",
                 "min_tier_id", "available_from", "available_until")
MY_REWARDS_LIMIT = 100


@dataclass(frozen=True)
class Refusal:
    """Why a member cannot redeem a reward: `code` is inactive, ended, not_yet, tier, out_of_stock
    or points; `tier`, `date` and `points` (how many more are needed) go with some of them."""

    code: str
    tier: Tier | None = None
    date: datetime | None = None
    points: int = 0


class RedemptionRefused(Exception):
    """The rules do not allow this redemption; `refusal` says why."""

    def __init__(self, refusal):
        super().__init__(refusal.code)
        self.refusal = refusal


class StockError(Exception):
    """A staff stock change that cannot be made: `code` is short (fewer units in stock than the
    change removes; `available` says how many there are) or changed (another change came first)."""

    def __init__(self, code, available=None):
        super().__init__(code)
        self.code = code
        self.available = available


class VoucherError(Exception):
    """A voucher that staff cannot act on: `code` is unknown, used, cancelled or reason."""

    def __init__(self, code, redemption=None):
        super().__init__(code)
        self.code = code
        self.redemption = redemption


# ---- the catalogue ---------------------------------------------------------------------------

def why_not(reward, member, now=None):
    """The reason `member` cannot redeem `reward` now, or None when they can."""
    now = now or utcnow()
    if not reward.active:
        return Refusal("inactive")
    if reward.available_until is not None and reward.available_until <= now:
        return Refusal("ended")
    if reward.available_from is not None and reward.available_from > now:
        return Refusal("not_yet", date=reward.available_from)
    if reward.min_tier is not None and reward.min_tier.rank > member.tier.rank:
        return Refusal("tier", tier=reward.min_tier)
    if reward.stock is not None and reward.stock <= 0:
        return Refusal("out_of_stock")
    if member.points_balance < reward.points_cost:
        return Refusal("points", points=reward.points_cost - member.points_balance)
    return None


def _visible(now):
    return select(Reward).where(
        Reward.active.is_(True), or_(Reward.available_until.is_(None), Reward.available_until > now),
    )


def catalogue(member, now=None):
    """The rewards a member sees (active, not ended), cheapest first, each with why_not()."""
    now = now or utcnow()
    # The minimum tiers in the same query (a join on a table of a few rows), not a second one.
    rewards = db.session.scalars(
        _visible(now).options(joinedload(Reward.min_tier)).order_by(Reward.points_cost, Reward.id)
    ).all()
    return [(reward, why_not(reward, member, now)) for reward in rewards]


def visible_reward(reward_id, now=None):
    """A reward of the catalogue by id, or None (inactive and ended ones are not shown)."""
    return db.session.scalar(_visible(now or utcnow()).where(Reward.id == reward_id))


# ---- stock: the only code that changes Reward.stock after creation ----------------------------

def change_stock(reward, delta, staff=None, now=None):
    """Add `delta` units to `reward`'s stock (remove them when negative) with one conditional
    UPDATE that never takes it below 0; False when too few units are left. An unlimited stock
    (NULL) stays unlimited and always succeeds. A change by `staff` is audited as reward.stock."""
    row = db.session.execute(
        update(Reward).where(Reward.id == reward.id, or_(Reward.stock.is_(None), Reward.stock + delta >= 0))
        .values(stock=Reward.stock + delta).returning(Reward.stock)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.expire(reward, ["stock"])
    if row is None:
        return False
    if staff is not None and delta and row.stock is not None:
        # RETURNING gives the stock this UPDATE made, so before/after are exact even when
        # redemptions change it at the same time.
        record("reward.stock", reward, actor=staff, at=now, before={"stock": row.stock - delta},
               after={"stock": row.stock})
    return True


def restock(reward, staff, unlimited, change=0, now=None):
    """Staff's stock change from the reward form: make the stock unlimited; or limited, starting
    at `change` units, when it was unlimited; or add or remove `change` units. Raises StockError."""
    current = db.session.scalar(select(Reward.stock).where(Reward.id == reward.id).with_for_update())
    if current is not None and not unlimited:
        if change and not change_stock(reward, change, staff, now):
            raise StockError("short", available=db.session.scalar(select(Reward.stock).where(Reward.id == reward.id)))
        return
    if unlimited and current is None:
        return
    if not unlimited and change < 0:
        raise StockError("short", available=0)
    new = None if unlimited else change
    # Conditional on the stock still being what was read: the row is locked on PostgreSQL and
    # SQLite's writers are serialised, so this only fails if that guarantee ever goes.
    condition = Reward.stock.is_(None) if current is None else Reward.stock == current
    result = db.session.execute(
        update(Reward).where(Reward.id == reward.id, condition).values(stock=new)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(reward, ["stock"])
    if result.rowcount != 1:
        raise StockError("changed")
    record("reward.stock", reward, actor=staff, at=now, before={"stock": current}, after={"stock": new})


# ---- redeeming -------------------------------------------------------------------------------

def new_voucher_code():
    """An unguessable voucher code not yet used, in groups: "K7QM-2XRT-9HPW"."""
    while True:
        raw = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))
        code = format_code(raw)
        if db.session.scalar(select(Redemption.id).where(Redemption.voucher_code == code)) is None:
            return code


def format_code(raw):
    return "-".join(raw[i:i + VOUCHER_GROUP] for i in range(0, len(raw), VOUCHER_GROUP))


def normalize_code(text):
    """A code as typed or scanned ("k7qm 2xrt-9hpw") in its stored form, or None if it cannot be one."""
    raw = re.sub(r"[^A-Z0-9]", "", (text or "").upper())
    if len(raw) != VOUCHER_LENGTH or any(c not in VOUCHER_ALPHABET for c in raw):
        return None
    return format_code(raw)


def _by_key(key):
    return db.session.scalar(
        select(Redemption).where(Redemption.idempotency_key == key).execution_options(populate_existing=True)
    )


def redeem(member, reward, key, now=None):
    """Spend the reward's points (first to expire first), take one unit of stock and issue a
    voucher, emailed to the member; raises RedemptionRefused. A repeated `key` returns the first
    redemption made with it. The caller commits, or rolls back on an error."""
    now = now or utcnow()
    key = f"{member.id}:{key}"  # a key only ever names one member's redemption
    if (done := _by_key(key)) is not None:
        return done
    member = ledger.lock_member(member)
    if (done := _by_key(key)) is not None:  # the same key, committed while we waited for the lock
        return done
    db.session.refresh(reward)  # what the rules say now: active, dates, cost, stock
    if (refusal := why_not(reward, member, now)) is not None:
        raise RedemptionRefused(refusal)
    try:
        entry = ledger.spend(member, reward.points_cost, "redemption", f"redemption:{key}",
                             reason_code="redemption", reason_params={"reward_id": reward.id}, at=now)
    except ledger.InsufficientPoints:  # points expired on the way
        raise RedemptionRefused(Refusal("points", points=reward.points_cost - member.points_balance)) from None
    if not change_stock(reward, -1):
        raise RedemptionRefused(Refusal("out_of_stock"))
    redemption = Redemption(
        member_id=member.id, reward_id=reward.id, points=reward.points_cost, points_entry_id=entry.id,
        voucher_code=new_voucher_code(), idempotency_key=key, status="issued", created_at=now,
    )
    db.session.add(redemption)
    db.session.flush()
    tell_member(member, "reward_voucher", {
        "name": member.first_name, "reward": reward, "code": redemption.voucher_code, "points": redemption.points,
    }, kind="account", link=Link("rewards.voucher", _l("Open my voucher"), {"redemption_id": redemption.id}))
    return redemption


def my_redemptions(member, limit=MY_REWARDS_LIMIT):
    """The member's redemptions, newest first, with their rewards."""
    return db.session.scalars(
        select(Redemption).options(joinedload(Redemption.reward))
        .where(Redemption.member_id == member.id)
        .order_by(Redemption.created_at.desc(), Redemption.id.desc()).limit(limit)
    ).all()


def my_redemption(member, redemption_id):
    """One of the member's own redemptions, or None (someone else's is None too)."""
    return db.session.scalar(
        select(Redemption).options(joinedload(Redemption.reward))
        .where(Redemption.id == redemption_id, Redemption.member_id == member.id)
    )


# ---- staff: vouchers -------------------------------------------------------------------------

def find_voucher(code):
    """The redemption whose voucher has `code` (as typed or scanned), or None."""
    code = normalize_code(code)
    if code is None:
        return None
    return db.session.scalar(
        select(Redemption).options(joinedload(Redemption.reward), joinedload(Redemption.member))
        .where(Redemption.voucher_code == code)
    )


def _locked(redemption_id):
    return db.session.scalar(
        select(Redemption).where(Redemption.id == redemption_id).with_for_update()
        .execution_options(populate_existing=True)
    )


def mark_used(code, staff, now=None):
    """Staff hand over the reward: the voucher with `code` becomes used (once); audited."""
    found = find_voucher(code)
    if found is None:
        raise VoucherError("unknown")
    redemption = _locked(found.id)
    if redemption.status != "issued":
        raise VoucherError(redemption.status, redemption)
    now = now or utcnow()
    redemption.status, redemption.used_at, redemption.used_by_staff_id = "used", now, staff.id
    db.session.flush()
    record("redemption.use", redemption, actor=staff, member=redemption.member, at=now,
           before={"status": "issued"}, after={"status": "used", "voucher": redemption.voucher_code})
    return redemption


def cancel(redemption, reason, staff, now=None):
    """Cancel an issued voucher: its points come back by a ledger reversal and its unit goes back
    to stock; audited, and the member is emailed."""
    reason = (reason or "").strip()
    if not reason:
        raise VoucherError("reason", redemption)
    ledger.lock_member(redemption.member)  # the member first, as redeem() does
    redemption = _locked(redemption.id)
    if redemption.status != "issued":
        raise VoucherError(redemption.status, redemption)
    now = now or utcnow()
    ledger.reverse(redemption.points_entry, reason, staff, f"redemption-cancel:{redemption.id}", at=now)
    change_stock(redemption.reward, +1)  # audited as part of redemption.cancel
    redemption.status, redemption.cancelled_at = "cancelled", now
    redemption.cancelled_by_staff_id, redemption.cancel_reason = staff.id, reason
    db.session.flush()
    record("redemption.cancel", redemption, actor=staff, member=redemption.member, at=now, reason=reason,
           before={"status": "issued"},
           after={"status": "cancelled", "voucher": redemption.voucher_code, "amount": redemption.points})
    member = redemption.member
    tell_member(member, "redemption_cancelled", {
        "name": member.first_name, "reward": redemption.reward, "code": redemption.voucher_code,
        "points": redemption.points, "reason": reason,
    }, kind="account", link=Link("rewards.voucher", _l("See the voucher"), {"redemption_id": redemption.id}))
    return redemption


# ---- staff: the catalogue --------------------------------------------------------------------

def all_rewards():
    """Every reward, active ones first, then by name."""
    return db.session.scalars(
        select(Reward).options(selectinload(Reward.min_tier)).order_by(Reward.active.desc(), Reward.name, Reward.id)
    ).all()


def _state(reward):
    def plain(value):
        return value.isoformat() if isinstance(value, date | datetime) else value
    return {field: plain(getattr(reward, field)) for field in (*REWARD_FIELDS, "picture", "active")}


def create_reward(fields, stock, staff, picture=None):
    """A new catalogue entry from `fields` (REWARD_FIELDS), its first `stock` (None = unlimited)
    and picture bytes; audited."""
    reward = Reward(**{field: fields[field] for field in REWARD_FIELDS}, stock=stock, active=True)
    if picture:
        reward.picture = pictures.store(picture)
    db.session.add(reward)
    db.session.flush()
    record("reward.create", reward, actor=staff, after={**_state(reward), "stock": stock})
    return reward


def update_reward(reward, fields, staff, unlimited, stock_change=0, picture=None):
    """Change a reward's details (and picture), and its stock through restock(), never by
    assigning the number the form showed; past redemptions keep what they cost. Audited; raises
    StockError before anything is written."""
    restock(reward, staff, unlimited, stock_change or 0)  # first: it locks the row
    before = _state(reward)
    for field in REWARD_FIELDS:
        setattr(reward, field, fields[field])
    if picture:
        reward.picture = pictures.store(picture)
    db.session.flush()
    db.session.refresh(reward)  # min_tier follows min_tier_id
    after = _state(reward)
    changed = {key for key in after if after[key] != before[key]}
    if changed:
        record("reward.update", reward, actor=staff, before={k: before[k] for k in sorted(changed)},
               after={k: after[k] for k in sorted(changed)})
    return reward


def set_active(reward, active, staff):
    """Take a reward out of the catalogue (or put it back); rewards are never deleted. Audited."""
    if reward.active == active:
        return reward
    reward.active = active
    db.session.flush()
    record("reward.activate" if active else "reward.deactivate", reward, actor=staff,
           before={"active": not active}, after={"active": active})
    return reward
