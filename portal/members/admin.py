"""Staff pages for members: search, the member page, points adjustments and tier changes.

Every view checks the role; the features' services do the work. Other features add their parts to
the member page (a purchase form, the member's redemptions) with `add_part`: they import members,
and members imports none of them.
"""

from dataclasses import dataclass

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user

from portal import dates
from portal.auth import roles
from portal.auth.access import staff_required
from portal.extensions import db
from portal.htmx import is_partial, render_page
from portal.i18n import localized
from portal.ids import query_int
from portal.members import ledger, records, search, tiers
from portal.members.admin_forms import AdjustPointsForm, ChangeTierForm, MemberSearchForm
from portal.members.reasons import describe_reasons
from portal.presentation import MEMBER_STATUS_NAMES, POINTS_KIND_NAMES, staff_date

bp = Blueprint("members_admin", __name__)



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


@bp.get("/members")
@staff_required(*roles.MEMBERS_READ)
def members():
    form = MemberSearchForm(request.args).setup(tiers.all_tiers())
    query, tier = (form.q.data or "").strip(), form.selected_tier()
    results = search.search_members(query, tier, page=query_int("page", 1))
    filters = {name: value for name, value in (("q", query), ("tier", tier)) if value}
    return render_page("admin/members.html", block="results", form=form, results=results, filters=filters,
                       member_status_names=MEMBER_STATUS_NAMES)


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


@bp.get("/members/<int:member_id>", endpoint="member_page")
@staff_required(*roles.MEMBERS_READ)
def show_member(member_id):
    member = records.member_for_staff(member_id) or abort(404)
    after = query_int("after")
    if after:  # "Older entries" with htmx asks for the next rows only; without JavaScript it is a page
        return member_page(member, after=after, block="older")
    kept = session.pop(NOTICE, None)
    if kept and kept.get("member") == member.id:
        return member_page(member, notice=kept["notice"], notice_in=kept["notice_in"])
    return member_page(member)


@bp.post("/members/<int:member_id>/points")
@staff_required(*roles.MEMBERS_WRITE)
def adjust_points(member_id):
    member = records.member_for_staff(member_id) or abort(404)
    form = AdjustPointsForm(member=member)
    if not form.key_is_valid():
        abort(400)
    if form.validate():
        try:
            entry = ledger.adjust(member, form.points.data, form.reason.data, current_user,
                                  key=f"staff-adjust:{form.key.data}")
        except ledger.InsufficientPoints:
            # The cached balance allowed it, the ledger did not: points expired (or were spent) just
            # now. Nothing is kept, not even the expiry entries the ledger wrote on the way.
            db.session.rollback()
            form.points.errors.append(_("The member no longer has that many points: some have expired or been used."))
        except ledger.LedgerError:
            db.session.rollback()
            abort(400)  # the form's rules passed, so the request is wrong (a key sent for another member)
        else:
            db.session.commit()
            if entry.amount > 0:
                notice = _("Added %(points)s points. The balance is now %(balance)s.",
                           points=format_number(entry.amount), balance=format_number(member.points_balance))
            else:
                notice = _("Took away %(points)s points. The balance is now %(balance)s.",
                           points=format_number(-entry.amount), balance=format_number(member.points_balance))
            return changed(member, notice, "points")
    return member_page(member, adjust_form=form, status=422, block="live")


@bp.post("/members/<int:member_id>/tier")
@staff_required(*roles.MEMBERS_WRITE)
def change_tier(member_id):
    member = records.member_for_staff(member_id) or abort(404)
    form = ChangeTierForm(member=member, tiers=tiers.all_tiers())
    if form.validate():
        tier = form.chosen_tier()
        try:
            tiers.change_tier(member, tier, form.reason.data, current_user, keep_until=form.keep_until.data)
        except ValueError:  # someone else moved the member meanwhile
            db.session.rollback()
            form.tier.errors.append(_("The member is already in this tier: choose another."))
        else:
            db.session.commit()
            notice = _("The member is now in the %(tier)s tier. The monthly review leaves them there until "
                       "%(day)s.", tier=localized(tier, "name"), day=staff_date(form.keep_until.data))
            return changed(member, notice, "tier")
    return member_page(member, tier_form=form, status=422, block="live")
