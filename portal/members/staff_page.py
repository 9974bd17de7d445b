"""The staff member page: built here for every view that shows it (members' own, and the views other
features add to it, such as recording a purchase), with the parts other features add.

Other features add their parts with `add_part` (a purchase form beside "Adjust points", the member's
redemptions): they import members, and members imports none of them.
"""

from dataclasses import dataclass

from flask import redirect, session, url_for
from flask_login import current_user

from portal import dates
from portal.auth import roles
from portal.htmx import is_partial, render_page
from portal.members import records, tiers
from portal.members.admin_forms import AdjustPointsForm, ChangeTierForm
from portal.members.reasons import describe_reasons
from portal.presentation import MEMBER_STATUS_NAMES, POINTS_KIND_NAMES


@dataclass(frozen=True)
class Part:
    """What another feature shows on the member page: a template, and its variables for a member
    (`context(member, form)`, with the form that came back with errors, if any; None shows nothing)."""

    template: str
    context: object


# Where parts go: "actions" beside "Adjust points" (for staff who may change), "sections" after the tier.
PARTS = {"actions": {}, "sections": {}}
NOTICE = "member_page_notice"  # the session key of a confirmation waiting for the page after a redirect


def add_part(place, name, template, context):
    """Show `template` on every member page at `place`; adding the same name again replaces it."""
    PARTS[place][name] = Part(template, context)


def _parts(place, member, forms):
    """[(template, variables)] of the parts at `place` that show something for `member`."""
    shown = []
    for name, part in PARTS[place].items():
        context = part.context(member, forms.get(name))
        if context is not None:
            shown.append((part.template, context))
    return shown


def member_page(member, *, adjust_form=None, tier_form=None, part_forms=None, after=None, block=None,
                status=200, notice=None, notice_in=None):
    """The member page, or its `block` ("live": all but the profile; "older": ledger rows after `after`).
    `part_forms`: {part name: its form with errors}; `notice_in`: "points" or "tier", where a confirmation goes."""
    changes, every_tier = records.tier_changes(member)
    entries, more = records.ledger_page(member, after_id=after)
    may_change = current_user.has_role(*roles.MEMBERS_WRITE)
    whole_page = block != "older"
    forms = part_forms or {}
    if may_change:
        adjust_form = adjust_form or AdjustPointsForm(formdata=None, member=member)
        tier_form = tier_form or ChangeTierForm(formdata=None, member=member, tiers=every_tier)
    return render_page(
        "admin/member.html", block=block, status=status, member=member, tier_changes=changes,
        kept=tiers.keeping_change(changes, dates.today()),
        entries=entries, more=more, after=after, may_change=may_change, adjust_form=adjust_form,
        tier_form=tier_form, notice=notice, notice_in=notice_in,
        kind_names=POINTS_KIND_NAMES, member_status_names=MEMBER_STATUS_NAMES,
        describe=describe_reasons([*changes, *entries], tiers=every_tier),  # in the reader's language
        actions=_parts("actions", member, forms) if whole_page and may_change else [],
        sections=_parts("sections", member, forms) if whole_page else [],
    )


def changed(member, notice, notice_in):
    """After a change: the updated part of the page for htmx, its confirmation beside the section
    changed (`notice_in`: "points" or "tier"); else back to the page (303), which shows the
    confirmation in the same place (kept in the session, like a flashed message, but not at the top)."""
    if is_partial():
        return member_page(member, block="live", notice=notice, notice_in=notice_in)
    session[NOTICE] = {"member": member.id, "notice": notice, "notice_in": notice_in}
    return redirect(url_for("members_admin.member_page", member_id=member.id), 303)
