"""Finding members for staff: one search box over name, email, phone and member number.

A query is read three ways at once and a member matching any of them is found:
- words: every word must appear (case-insensitive) in the name or the email;
- a member number: "M000123", "m123" or "123" is member 123 (listed first);
- a phone number: when the query is only digits and phone punctuation (at least 3 digits), the
  digits must appear in the phone's digits, so "0912 345 678", "912345678" and "+886 912-345-678"
  all find "+886 912 345 678" (a leading trunk 0 is also tried without it).
"""

import math
import re
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.members.models import Member, Tier

PAGE_SIZE = 25
MAX_QUERY = 100
MEMBER_NUMBER = re.compile(r"^m?0*(\d{1,9})$", re.IGNORECASE)  # ids stay within a 32-bit integer
PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")
PHONE_PUNCTUATION = (" ", "-", "(", ")", "+", ".")
MIN_PHONE_DIGITS = 3


def member_number(text):
    """The member id that `text` names as a member number ("M000123", "m123", "123"), else None."""
    match = MEMBER_NUMBER.match((text or "").strip())
    return int(match.group(1)) if match else None


def _phone_digits():
    expression = Member.phone
    for character in PHONE_PUNCTUATION:
        expression = func.replace(expression, character, "")
    return expression


def _matches(text):
    words = text.lower().split()
    conditions = [and_(*[
        or_(func.lower(Member.name).contains(word, autoescape=True),
            func.lower(Member.email).contains(word, autoescape=True))
        for word in words
    ])]
    number = member_number(text)
    if number is not None:
        conditions.append(Member.id == number)
    digits = re.sub(r"\D", "", text)
    if PHONE_LIKE.match(text) and len(digits) >= MIN_PHONE_DIGITS:
        phone = _phone_digits()
        conditions.append(phone.contains(digits))
        if digits.startswith("0") and len(digits) > MIN_PHONE_DIGITS:
            conditions.append(phone.contains(digits[1:]))
    return or_(*conditions), number


@dataclass
class SearchPage:
    members: list
    total: int
    page: int
    pages: int

    @property
    def has_previous(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages


def search_members(text="", tier_code="", page=1, per_page=PAGE_SIZE):
    """A page of the members matching `text` (and in the tier `tier_code`, if given), by name."""
    text = (text or "").strip()[:MAX_QUERY]
    filters = []
    order = []
    if text:
        condition, number = _matches(text)
        filters.append(condition)
        if number is not None:
            order.append(case((Member.id == number, 0), else_=1))
    if tier_code:
        filters.append(Member.tier_id == select(Tier.id).where(Tier.code == tier_code).scalar_subquery())
    total = db.session.scalar(select(func.count(Member.id)).where(*filters))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    members = db.session.scalars(
        select(Member).options(joinedload(Member.tier, innerjoin=True)).where(*filters)
        .order_by(*order, func.lower(Member.name), Member.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return SearchPage(members, total, page, pages)
