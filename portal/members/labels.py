"""Names shown for the ledger's kinds."""

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
