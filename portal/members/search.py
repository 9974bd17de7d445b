"""Finding members for staff: one search box over name, email, phone and member number.

A query is read three ways at once and a member matching any of them is found:
- words: every word must appear (case-insensitive) in the name or the email;
- a member number: "M000123", "m123" or "123" is member 123 (listed first);
- a phone number: when the query is only digits and phone punctuation (at least 3 digits), the
  digits must appear in the phone's digits, so "0912 345 678", "912345678" and "+886 912-345-678"
  all find "+886 912 345 678" (a leading trunk 0 is also tried without it).

On PostgreSQL, trigram indexes (migration 0014, pg_trgm's gin_trgm_ops) serve each of these
"contains" tests: on lower(name || ' ' || email) and on the phone's digits — the very expressions
built here (SEARCH_INDEXES names them; tests/perf/test_search.py checks the plans). An expression
changed here needs its index changed in a migration. SQLite reads the table with the same LIKE.
"""

import math
import re
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal_column, or_, select
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


# The trigram indexes of migration 0014 and the expressions they index, as _matches() writes them.
SEARCH_INDEXES = ("ix_members_name_email_trgm", "ix_members_phone_digits_trgm")


def _phone_digits():
    """The phone without its punctuation. The characters are written in the SQL, not sent as
    parameters: the index on this expression (0014) then matches it in every plan, generic ones too."""
    expression = Member.phone
    for character in PHONE_PUNCTUATION:
        expression = func.replace(expression, literal_column(f"'{character}'"), literal_column("''"))
    return expression


def _name_and_email():
    """lower(name || ' ' || email): a word (it has no space) is in it exactly when it is in the name or
    in the email; one trigram index serves it, and all the words of a query in one scan."""
    return func.lower(Member.name.op("||")(literal_column("' '")).op("||")(Member.email))


def _matches(text):
    words = text.lower().split()
    searched = _name_and_email()
    conditions = [and_(*[searched.contains(word, autoescape=True) for word in words])]
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
    """A page of the members matching `text` (and in the tier `tier_code`, if given), by name.

    A search reads its matches once: the page and their number come from one query (a window
    count). Listing every member counts them first (a count reads an index only). A page past the
    last gives the last one (a second query, as only then the number is known).
    """
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
    page = max(page, 1)
    if not filters:
        total = db.session.scalar(select(func.count(Member.id)))
        pages = max(1, math.ceil(total / per_page))
        page = min(page, pages)
        return SearchPage(_page(filters, order, page, per_page), total, page, pages)
    rows = _page(filters, order, page, per_page, counted=True)
    if rows:
        total = rows[0][1]
    elif page == 1:
        total = 0
    else:  # past the last page: show the last one
        total = db.session.scalar(select(func.count(Member.id)).where(*filters))
        page = max(1, math.ceil(total / per_page))
        rows = _page(filters, order, page, per_page, counted=True)
    return SearchPage([member for member, _total in rows], total, page, max(1, math.ceil(total / per_page)))


def _page(filters, order, page, per_page, counted=False):
    """Page `page` of the members matching `filters` with their tiers; with counted, (member, number
    of matches) pairs.

    The list of every member reads the index on (lower(name), id) in order (0014): 25 entries, not
    a sort of every member. A search sorts its matches by lower(name || '') instead, the same order
    in an expression that index does not serve: PostgreSQL would otherwise walk it whole, filtering
    every member, to spare a sort of a few thousand (0.65 s rather than 20 ms at 100,000 members)."""
    name = func.lower(Member.name.op("||")(literal_column("''"))) if filters else func.lower(Member.name)
    columns = (Member, func.count().over()) if counted else (Member,)
    query = (select(*columns).options(joinedload(Member.tier, innerjoin=True)).where(*filters)
             .order_by(*order, name, Member.id).limit(per_page).offset((page - 1) * per_page))
    return db.session.execute(query).all() if counted else db.session.scalars(query).all()
