"""Names shown for the redemptions' statuses."""

from flask_babel import lazy_gettext as _l

REDEMPTION_STATUS_NAMES = {
    "issued": _l("Ready to use"),
    "used": _l("Used"),
    "cancelled": _l("Cancelled"),
}
