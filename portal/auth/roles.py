"""Staff roles and who may do what, defined once (DESIGN.md, "Staff access by area").

The team lead (`admin`) holds every role: `StaffUser.has_role(*roles)` is true for admin whatever
the roles named. Views check with `staff_required(*AREA)`; the staff navigation reads STAFF_AREAS.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

ROLES = ("admin", "service", "operations", "expansion")  # their names: portal.presentation.ROLE_NAMES

ANY_STAFF = ()  # staff_required() with no role: every staff user
MEMBERS_READ = ("service", "operations", "expansion")  # search, member page
MEMBERS_WRITE = ("operations",)  # points adjustments, tier changes, purchases
REWARDS = ("operations",)  # the catalogue and the voucher desk
IMPORTS = ("operations",)  # CSV imports and exports
EVENTS_READ = ("operations", "expansion")  # events, registrations, the check-in desk (read)
EVENTS_WRITE = ("expansion",)  # create, publish, change, cancel events; check members in
SURVEYS_READ = ("service", "operations")  # surveys, their sendings and results (read)
SURVEYS_WRITE = ("operations",)  # build, change, copy and send surveys
TICKETS_READ = ("service", "operations")  # the ticket queue and tickets (read)
TICKETS_WRITE = ("service",)  # reply, add internal notes, assign, change a ticket's status
TEAM_LEAD = ("admin",)  # staff accounts, audit log, outbox, API keys, programme settings, jobs


@dataclass(frozen=True)
class StaffArea:
    """One entry of the staff navigation and the staff home: where it goes, who sees it, and which
    endpoints count as being in it (a prefix ending in "." takes a whole blueprint)."""

    endpoint: str
    label: object  # lazy text
    description: object  # lazy text, for the staff home
    roles: tuple
    within: tuple

    def holds(self, endpoint):
        """Whether the page `endpoint` belongs to this area."""
        endpoint = endpoint or ""
        return any(endpoint.startswith(p) if p.endswith(".") else endpoint == p for p in self.within)


STAFF_AREAS = (
    StaffArea("members_admin.members", _l("Members"), _l("Members: find a member, their points and tier"),
              MEMBERS_READ, ("members_admin.", "purchases_admin.record_purchase")),
    StaffArea("purchases_admin.import_purchases", _l("Imports"), _l("Imports: record purchases from a CSV file"),
              IMPORTS, ("purchases_admin.import_purchases", "purchases_admin.preview_purchases",
                        "purchases_admin.confirm_import")),
    StaffArea("rewards_admin.index", _l("Rewards"),
              _l("Rewards: the catalogue, and vouchers to mark used or cancel"), REWARDS, ("rewards_admin.",)),
    StaffArea("events_admin.index", _l("Events"),
              _l("Events: add and publish events, registrations and waitlists, the check-in desk"), EVENTS_READ,
              ("events_admin.",)),
    StaffArea("surveys_admin.index", _l("Surveys"),
              _l("Surveys: build questionnaires, send them, and read the answers"), SURVEYS_READ,
              ("surveys_admin.", "surveys_send.", "surveys_results.")),
    StaffArea("tickets_admin.queue", _l("Tickets"),
              _l("Tickets: the queue of feedback, complaints and consultations, replies and their clocks"),
              TICKETS_READ, ("tickets_admin.",)),
    StaffArea("admin.audit", _l("Audit log"), _l("Audit log: every staff change, who made it and why"),
              TEAM_LEAD, ("admin.audit",)),
    StaffArea("admin.outbox_list", _l("Outbox"), _l("Outbox: every email the portal has sent or will send"),
              TEAM_LEAD, ("admin.outbox_list", "admin.outbox_message", "admin.outbox_resend")),
    StaffArea("purchases_admin.api_key_list", _l("API keys"),
              _l("API keys: the keys point-of-sale systems post purchases with"), TEAM_LEAD,
              ("purchases_admin.api_key_list", "purchases_admin.create_api_key", "purchases_admin.revoke_api_key")),
    StaffArea("staff.staff_list", _l("Staff"), _l("Staff: accounts, roles and two-factor sign-in"), TEAM_LEAD,
              ("staff.staff_list", "staff.change_role", "staff.reset_two_factor")),
)
