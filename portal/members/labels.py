"""Names shown for the ledger's kinds and a member's status."""

from flask_babel import lazy_gettext as _l

POINTS_KIND_NAMES = {
    "purchase": _l("Purchase"),
    "event_attendance": _l("Event attendance"),
    "survey": _l("Survey"),
    "birthday": _l("Birthday bonus"),
    "redemption": _l("Redemption"),
    "expiry": _l("Expired"),
    "adjustment": _l("Adjustment"),
    "reversal": _l("Reversal"),
}

MEMBER_STATUS_NAMES = {
    "pending": _l("Not yet verified"),
    "active": _l("Active"),
    "closed": _l("Closed"),
}
