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
COUNT_CAP = 1000  # a search matching more says "more than 1,000" and walks the name index (search_members)
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
    """A page of results. `capped`: more than COUNT_CAP members match, `total` is COUNT_CAP and the
    number of pages is not known (`more` says whether a next page has members)."""

    members: list
    total: int
    page: int
    pages: int
    capped: bool = False
    more: bool = False

    @property
    def has_previous(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.more if self.capped else self.page < self.pages

    @property
    def paged(self):
        return self.has_previous or self.has_next


def search_members(text="", tier_code="", page=1, per_page=PAGE_SIZE):
    """A page of the members matching `text` (and in the tier `tier_code`, if given), by name.

    Two statements: the number of matches, counted up to COUNT_CAP + 1 (it stops there), then the
    page. Up to COUNT_CAP matches, the page sorts them all by name; more than that (a common surname,
    "chen": a fifth of the members), the page walks the name index in order and stops after a page
    of matches, and the count says "more than 1,000": a full count and sort of 19,000 matches took
    ~40 ms of SQL at 100,000 members, the capped count and the walk ~4. Listing every member counts
    them (an index) and walks the same index. A page past the last gives the last one.
    """
    text = (text or "").strip()[:MAX_QUERY]
    filters = []
    order = []
    number = None
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
        pages = _page_count(total, per_page)
        page = min(page, pages)
        return SearchPage(_page(filters, order, page, per_page, walk=True), total, page, pages)
    total = db.session.scalar(select(func.count()).select_from(
        select(literal_column("1")).select_from(Member).where(*filters).limit(COUNT_CAP + 1).subquery()))
    if total > COUNT_CAP and number is None:  # (a member number is listed first: that order needs the sort)
        rows = _page(filters, order, page, per_page, walk=True, peek=True)
        if not rows and page > 1:  # past the last page: count them all, once, to show the last
            total = db.session.scalar(select(func.count(Member.id)).where(*filters))
            page = _page_count(total, per_page)
            rows = _page(filters, order, page, per_page, walk=True, peek=True)
        return SearchPage(rows[:per_page], COUNT_CAP, page, page, capped=True, more=len(rows) > per_page)
    pages = _page_count(total, per_page)
    page = min(page, pages)
    return SearchPage(_page(filters, order, page, per_page), total, page, pages)


def _page_count(total, per_page):
    return max(1, math.ceil(total / per_page))


def _page(filters, order, page, per_page, walk=False, peek=False):
    """Page `page` of the members matching `filters`, with their tiers (peek: and the next page's first).

    walk: in the order of the index on (lower(name), id) (0014), reading it until a page of matches
    is found: right for every member and for searches that match many. Otherwise sorted by
    lower(name || ''), the same order in an expression that index does not serve: for a search that
    matches a few hundred, PostgreSQL would otherwise walk the index whole, filtering every member,
    to spare a sort of a few hundred (0.65 s rather than 20 ms at 100,000 members)."""
    name = func.lower(Member.name) if walk else func.lower(Member.name.op("||")(literal_column("''")))
    query = (select(Member).options(joinedload(Member.tier, innerjoin=True)).where(*filters)
             .order_by(*order, name, Member.id).limit(per_page + peek).offset((page - 1) * per_page))
    return db.session.scalars(query).all()
