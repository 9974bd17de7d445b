"""Reasons on points entries and tier changes, shown in the reader's language.

What the portal writes by itself is stored as a code and its parameters (`reason_code`,
`reason_params`), never as a sentence: "qualifying_points" {"points": 1115} reads "Qualifying
points reached 1,115" in English and 「資格積分達到 1,115」 in Chinese. What staff type stays in
`reason` and is shown as typed.

A parameter may name a thing that has a name of its own in each language (a reward, a tier).
`describe_reasons(rows)` looks up the names of the things that a page's rows name, of every kind
in one query, the first time a reason is rendered; the feature that owns the thing registers how
(`register_subject`), so members need not import rewards.
"""

from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import String, cast, literal_column, select, union_all

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

# parameter -> the kind of thing it names; each kind registers how to look up its names
SUBJECT_PARAMS = {"tier": "tier", "reward_id": "reward"}
_QUERIES = {}


@dataclass(frozen=True)
class Subject:
    """The names of a thing a reason names, in each language (what localized() reads)."""

    name: str
    name_zh: str


def register_subject(kind, query, param=None):
    """`query(keys)` is a select of (key, name, name_zh) for those keys: the names of a page's
    rows of every kind are looked up in one query (their UNION ALL). `param`: the reason parameter
    that names a thing of this kind ("event_id")."""
    _QUERIES[kind] = query
    if param is not None:
        SUBJECT_PARAMS[param] = kind


def register_text(code, text):
    """How a reason `code` another feature writes reads: `text(params)`, with subjects as their names."""
    TEXTS[code] = text


def _tier_names(codes):
    return select(Tier.code.label("key"), Tier.name.label("name"), Tier.name_zh.label("name_zh")) \
        .where(Tier.code.in_(codes))


register_subject("tier", _tier_names)


def _load_names(wanted):
    """{kind: {key: Subject}} for {kind: keys}, in one query whatever the number of kinds."""
    parts = [
        select(literal_column("'" + kind + "'", String).label("kind"),
               cast(sub.c.key, String).label("key"), sub.c.name, sub.c.name_zh)
        for kind, keys in sorted(wanted.items()) if kind in _QUERIES and keys
        for sub in [_QUERIES[kind](sorted(keys, key=str)).subquery()]
    ]
    if not parts:
        return {}
    keys_by_text = {kind: {str(key): key for key in keys} for kind, keys in wanted.items()}
    found = {}
    for kind, key, name, name_zh in db.session.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
        original = keys_by_text[kind].get(key)
        if original is not None:
            found.setdefault(kind, {})[original] = Subject(name, name_zh or "")
    return found


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
        for kind, names in _load_names(wanted).items():
            self.known.setdefault(kind, {}).update(names)

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

