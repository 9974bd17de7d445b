"""Staff roles and who may do what, defined once (DESIGN.md, "Staff access by area").

The team lead (`admin`) holds every role: `StaffUser.has_role(*roles)` is true for admin whatever
the roles named. Views check with `staff_required(*AREA)`; the staff navigation reads STAFF_AREAS.
"""

ROLES = ("admin", "service", "operations", "expansion")  # their names: portal.presentation.ROLE_NAMES

ANY_STAFF = ()  # staff_required() with no role: every staff user
MEMBERS_READ = ("service", "operations", "expansion")  # search, member page
MEMBERS_WRITE = ("operations",)  # points adjustments, tier changes, purchases
REWARDS = ("operations",)  # the catalogue and the voucher desk
IMPORTS = ("operations",)  # CSV imports and exports
TEAM_LEAD = ("admin",)  # staff accounts, audit log, outbox, API keys, programme settings, jobs
