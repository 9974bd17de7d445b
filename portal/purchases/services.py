"""Purchases that earn points: one service for the staff form, the CSV import and the point-of-sale API.

The rules live here and nowhere else: what an amount, a date, a reference and a member must be,
how many points a purchase earns, and what recording the same reference twice does (nothing: the
reference is the idempotency key; reused for a different purchase it is a conflict).
"""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from flask import current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _
from sqlalchemy import select

from portal import dates
from portal.audit.services import record
from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member, Tier
from portal.models import add_months, utcnow
from portal.purchases.models import PURCHASE_SOURCES, Purchase

CENT = Decimal("0.01")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
MEMBER_NUMBER = re.compile(r"^[Mm]0*(\d{1,9})$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_REFERENCE = 80
FUTURE_ALLOWANCE = timedelta(days=1)  # tills in another time zone, clocks a little ahead


class PurchaseError(ValueError):
    """A purchase the rules do not allow; `field` names the input at fault, `message` says why
    (translated when it is shown, so that a job can raise it outside a request)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


class ReferenceConflict(PurchaseError):
    """The reference is already recorded for a different purchase (another member, amount or date)."""


def max_amount():
    return Decimal(current_app.config["MAX_PURCHASE_AMOUNT"])


def check_amount(amount):
    """The amount as a Decimal of cents; PurchaseError unless 0 < amount ≤ MAX_PURCHASE_AMOUNT, 2 decimals at most."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise PurchaseError("amount", _("Enter the amount as a number, such as 12.50."))
    if amount <= 0:
        raise PurchaseError("amount", _("The amount must be more than 0."))
    if amount != amount.quantize(CENT, rounding=ROUND_FLOOR):
        raise PurchaseError("amount", _("The amount can have at most 2 decimal places."))
    if amount > max_amount():
        raise PurchaseError("amount", _("The amount can be at most %(limit)s.",
                                        limit=format_decimal(max_amount())))
    return amount.quantize(CENT)


def parse_amount(value):
    """An amount from text ("12.50") or a JSON number, checked; PurchaseError when it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PurchaseError("amount", _("Enter the amount."))
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise PurchaseError("amount", _("Enter the amount as a number, such as 12.50."))
    if isinstance(value, str):
        text = value.strip()
        if not NUMBER.match(text):
            raise PurchaseError("amount", _("Enter the amount as a number, such as 12.50."))
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise PurchaseError("amount", _("Enter the amount as a number, such as 12.50.")) from None
    return check_amount(Decimal(value))


def parse_purchased_at(value):
    """A purchase time from "YYYY-MM-DD" (that day) or an ISO 8601 date and time (no offset: the
    programme's time zone); PurchaseError when it is neither."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return dates.start_of_day(value)
    else:
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            raise PurchaseError("purchased_at", _("Enter the date of the purchase."))
        try:
            if DAY.match(text):
                return dates.start_of_day(date.fromisoformat(text))
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise PurchaseError("purchased_at", _(
                "Enter the date as YYYY-MM-DD or an ISO 8601 date and time, such as 2026-03-14T15:30:00+08:00."
            )) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dates.programme_zone())
    return moment.astimezone(UTC)


def check_purchased_at(moment, now=None):
    """PurchaseError for a time more than a day ahead, or so long ago that its points would have expired."""
    now = now or utcnow()
    if moment > now + FUTURE_ALLOWANCE:
        raise PurchaseError("purchased_at", _("The date is more than a day in the future."))
    months = current_app.config["POINTS_EXPIRY_MONTHS"]
    if moment <= add_months(now, -months):
        raise PurchaseError("purchased_at", _(
            "The date is more than %(months)s months ago: its points would already have expired.",
            months=months))
    return moment


def clean_reference(value):
    """The reference, stripped; PurchaseError when it is missing, too long or has control characters."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise PurchaseError("reference", _("Enter the reference (the receipt or order number)."))
    if len(text) > MAX_REFERENCE:
        raise PurchaseError("reference", _("The reference can be at most %(limit)s characters.",
                                           limit=MAX_REFERENCE))
    if not text.isprintable():
        raise PurchaseError("reference", _("The reference can only have printable characters."))
    return text


def member_key(text):
    """How `text` names a member: ("id", 1) for "M000001", ("email", "mei@example.com"), or None."""
    text = (text or "").strip() if isinstance(text, str) else ""
    if "@" in text:
        return ("email", text.lower())
    match = MEMBER_NUMBER.match(text)
    return ("id", int(match.group(1))) if match else None


def find_member(text):
    """The member that `text` names by member number or email; PurchaseError when there is none."""
    key = member_key(text)
    if not isinstance(text, str) or not text.strip():
        raise PurchaseError("member", _("Enter the member number (such as M000123) or email."))
    member = None
    if key is not None:
        column = Member.id if key[0] == "id" else Member.email
        member = db.session.scalar(select(Member).where(column == key[1]))
    if member is None:
        raise PurchaseError("member", _("No member has the number or email “%(member)s”.", member=text.strip()[:100]))
    return member


def check_member(member):
    if member.status != "active":
        raise PurchaseError("member", _("Member %(number)s is not active: their purchases earn no points.",
                                        number=member.number))
    return member


def points_for(amount, multiplier):
    """floor(amount × base rate × tier multiplier), in whole points."""
    rate = Decimal(str(current_app.config["POINTS_PER_CURRENCY_UNIT"]))
    return int((amount * rate * Decimal(multiplier)).to_integral_value(rounding=ROUND_FLOOR))


def same_purchase(purchase, member, amount, purchased_at):
    return (purchase.member_id == member.id and purchase.amount == amount
            and purchase.purchased_at == purchased_at)


def existing_purchase(reference):
    return db.session.scalar(select(Purchase).where(Purchase.reference == reference))


def conflict():
    return ReferenceConflict("reference", _(
        "This reference is already recorded for a different purchase (another member, amount or date)."))


def record_purchase(member, amount, purchased_at, reference, source, actor=None, api_key=None, now=None):
    """Record `member`'s purchase and earn its points: (purchase, True), or (the first purchase, False)
    when the reference is already recorded for the same member, amount and time; raises PurchaseError.

    Points = floor(amount × rate × the member's tier multiplier now); 0 points writes no ledger entry.
    """
    if source not in PURCHASE_SOURCES:
        raise ValueError(f"unknown purchase source {source!r}")
    reference = clean_reference(reference)
    amount = check_amount(amount)
    # Lock the member first: a second request with the same reference waits here, then finds the
    # first one's purchase below instead of failing on the unique reference.
    member = ledger.lock_member(member)
    existing = existing_purchase(reference)
    if existing is not None:
        if not same_purchase(existing, member, amount, purchased_at):
            raise conflict()
        return existing, False
    check_member(member)
    check_purchased_at(purchased_at, now)
    tier = db.session.get(Tier, member.tier_id)
    points = points_for(amount, tier.multiplier)
    entry = None
    if points > 0:
        entry = ledger.earn(member, points, "purchase", f"purchase:{reference}", reason_code="purchase",
                            reason_params={"reference": reference}, actor=actor, at=purchased_at)
    purchase = Purchase(
        member_id=member.id, amount=amount, purchased_at=purchased_at, reference=reference, source=source,
        points=points, points_entry_id=entry.id if entry is not None else None,
        actor_staff_id=actor.id if actor is not None and actor.is_staff else None,
        api_key_id=api_key.id if api_key is not None else None,
    )
    db.session.add(purchase)
    db.session.flush()
    if actor is not None and actor.is_staff:
        record("purchase.record", purchase, actor=actor, member=member,
               after={"amount": str(amount), "points": points, "reference": reference, "source": source,
                      "balance": member.points_balance})
    return purchase, True
