"""Names shown on the staff pages for the codes stored in the database."""

from flask_babel import lazy_gettext as _l

AUDIT_ACTION_NAMES = {
    "points.adjust": _l("Points adjusted"),
    "points.reverse": _l("Points entry reversed"),
    "member.tier_change": _l("Tier changed"),
    "reward.create": _l("Reward added"),
    "reward.update": _l("Reward changed"),
    "reward.deactivate": _l("Reward deactivated"),
    "reward.activate": _l("Reward put back in the catalogue"),
    "redemption.use": _l("Voucher used"),
    "redemption.cancel": _l("Redemption cancelled"),
    "purchase.record": _l("Purchase recorded"),
    "api_key.create": _l("API key made"),
    "api_key.revoke": _l("API key revoked"),
}

# The keys of an audit entry's before/after state.
AUDIT_FIELD_NAMES = {
    "balance": _l("Balance"),
    "amount": _l("Amount"),
    "tier": _l("Tier"),
    "keep_until": _l("Kept until"),
    "reverses": _l("Reverses entry"),
    "points": _l("Points"),
    "reference": _l("Reference"),
    "source": _l("Source"),
    "name": _l("Name"),
    "prefix": _l("Key starts with"),
}
