"""Staff roles and who may do what, defined once (DESIGN.md, "Staff access by area").

The team lead (`admin`) holds every role: `StaffUser.has_role(*roles)` is true for admin whatever
the roles named. Views check with `staff_required(*AREA)`; the staff navigation reads STAFF_AREAS.
"""

from flask_babel import lazy_gettext as _l

ROLES = ("admin", "service", "operations", "expansion")
ROLE_NAMES = {
    "admin": _l("Team lead"),
    "service": _l("Member service"),
    "operations": _l("Member operations"),
    "expansion": _l("Member expansion"),
}

ANY_STAFF = ()  # staff_required() with no role: every staff user
MEMBERS_READ = ("service", "operations", "expansion")  # search, member page
MEMBERS_WRITE = ("operations",)  # points adjustments, tier changes, purchases
REWARDS = ("operations",)  # the catalogue and the voucher desk
IMPORTS = ("operations",)  # CSV imports and exports
TEAM_LEAD = ("admin",)  # staff accounts, audit log, outbox, API keys, programme settings, jobs
