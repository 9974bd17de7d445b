"""Names shown on the staff pages for the codes stored in the database."""

from flask_babel import lazy_gettext as _l

MEMBER_STATUS_NAMES = {
    "pending": _l("Not yet verified"),
    "active": _l("Active"),
    "closed": _l("Closed"),
}

AUDIT_ACTION_NAMES = {
    "points.adjust": _l("Points adjusted"),
    "points.reverse": _l("Points entry reversed"),
    "member.tier_change": _l("Tier changed"),
}

# The keys of an audit entry's before/after state.
AUDIT_FIELD_NAMES = {
    "balance": _l("Balance"),
    "amount": _l("Amount"),
    "tier": _l("Tier"),
    "reverses": _l("Reverses entry"),
}
