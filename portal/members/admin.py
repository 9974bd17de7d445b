"""Staff pages for members: search, the member page, points adjustments and tier changes.

Every view checks the role; the features' services do the work. The member page itself is built by
portal/members/staff_page.py, where other features also add their parts to it.
"""

from flask import Blueprint, abort, request, session
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import roles
from portal.auth.access import staff_required
from portal.extensions import db
from portal.htmx import render_page
from portal.i18n import localized
from portal.ids import query_int
from portal.members import ledger, records, search, tiers
from portal.members.admin_forms import AdjustPointsForm, ChangeTierForm, MemberSearchForm
from portal.members.staff_page import NOTICE, changed, member_page
from portal.presentation import MEMBER_STATUS_NAMES, staff_date

bp = Blueprint("members_admin", __name__)


@bp.get("/members")
@staff_required(*roles.MEMBERS_READ)
def members():
    form = MemberSearchForm(request.args).setup(tiers.all_tiers())
    query, tier = (form.q.data or "").strip(), form.selected_tier()
    results = search.search_members(query, tier, page=query_int("page", 1))
    filters = {name: value for name, value in (("q", query), ("tier", tier)) if value}
    return render_page("admin/members.html", block="results", form=form, results=results, filters=filters,
                       member_status_names=MEMBER_STATUS_NAMES)


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
