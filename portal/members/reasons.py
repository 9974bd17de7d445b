"""Reasons on points entries and tier changes, shown in the reader's language.

What the portal writes by itself is stored as a code and its parameters (`reason_code`,
`reason_params`), never as a sentence: "qualifying_points" {"points": 1115} reads "Qualifying
points reached 1,115" in English and 「資格積分達到 1,115」 in Chinese. What staff type stays in
`reason` and is shown as typed.

A parameter may name a thing that has a name of its own in each language (a reward, a tier).
`describe_reasons(rows)` loads the things that a page's rows name with one query per kind, the
first time a reason is rendered; the feature that owns the thing registers how to load it
(`register_subject`), so members need not import rewards.
"""

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.i18n import localized
from portal.members.models import Tier


def _number(value):
    return format_decimal(value) if isinstance(value, int) else value


# code -> the sentence, given the parameters (numbers formatted, subjects as their names)
TEXTS = {
    "purchase": lambda p: _("Receipt %(reference)s", reference=p["reference"]),
    "birthday": lambda p: _("Happy birthday!"),
    "qualifying_points": lambda p: _("Qualifying points reached %(points)s", points=p["points"]),
    "tier_review": lambda p: _("Monthly tier review: %(points)s qualifying points, %(tier)s needs %(threshold)s",
                               points=p["points"], tier=p["tier"], threshold=p["threshold"]),
    "redemption": lambda p: p["reward_id"],
}

# parameter -> (kind of subject, the field holding its name in each language); see register_subject
SUBJECT_PARAMS = {"tier": "tier", "reward_id": "reward"}
_LOADERS = {}


def register_subject(kind, loader):
    """`loader(keys)` returns {key: object with a localized `name`} for the keys of a page (one query)."""
    _LOADERS[kind] = loader


def _tiers_by_code(codes):
    return {tier.code: tier for tier in db.session.scalars(select(Tier).where(Tier.code.in_(codes)))}


register_subject("tier", _tiers_by_code)


class Reasons:
    """The reasons of a page's rows: call it with a row (anything with reason, reason_code and
    reason_params) for the text to show."""

    def __init__(self, rows, tiers=None):
        self.pending = list(rows)
        self.known = {"tier": {tier.code: tier for tier in tiers}} if tiers is not None else {}
        self.tried = {}

    def _subjects(self, row):
        for param, value in (row.reason_params or {}).items() if row.reason_code else ():
            if (kind := SUBJECT_PARAMS.get(param)) is not None:
                yield kind, value

    def _load(self, row):
        """Load what `row` and the rows not yet looked at name: one query per kind of subject."""
        wanted = {}
        for each in [*self.pending, row]:
            for kind, value in self._subjects(each):
                if value not in self.known.get(kind, {}) and value not in self.tried.get(kind, set()):
                    wanted.setdefault(kind, set()).add(value)
        self.pending = []
        for kind, keys in wanted.items():
            self.tried.setdefault(kind, set()).update(keys)
            self.known.setdefault(kind, {}).update(_LOADERS[kind](keys) if kind in _LOADERS else {})

    def __call__(self, row):
        if not row.reason_code:
            return row.reason or ""
        text = TEXTS.get(row.reason_code)
        if text is None:  # a code this version does not know: what was typed, if anything
            return row.reason or ""
        if any(value not in self.known.get(kind, {}) for kind, value in self._subjects(row)):
            self._load(row)
        params = {}
        for param, value in (row.reason_params or {}).items():
            kind = SUBJECT_PARAMS.get(param)
            if kind is None:
                params[param] = _number(value)
            elif (subject := self.known.get(kind, {}).get(value)) is not None:
                params[param] = localized(subject, "name")
            else:
                return row.reason or ""  # it names something that is gone: the kind says enough
        try:
            return text(params)
        except KeyError:  # written by an older version with other parameters
            return row.reason or ""


def describe_reasons(rows, tiers=None):
    """A Reasons for `rows`; pass the tiers when the page has them at hand (no query for their names)."""
    return Reasons(rows, tiers)


def describe_reason(row):
    """The reason of one row in the reader's language (pages with many rows use describe_reasons)."""
    return Reasons([row])(row)
