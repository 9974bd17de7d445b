"""Staff pages. Every view checks the role; the features' services do the work."""


from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import format_decimal, format_number
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin.forms import AdjustPointsForm, AuditFilterForm, ChangeTierForm, MemberSearchForm
from portal.audit import log as audit_log
from portal.auth.access import staff_required
from portal.extensions import db
from portal.htmx import is_partial, render_page
from portal.i18n import localized
from portal.ids import query_int
from portal.mail import outbox
from portal.mail.models import OUTBOX_STATUSES
from portal.members import ledger, records, search, tiers
from portal.members.reasons import describe_reasons
from portal.presentation import AUDIT_ACTION_NAMES, MEMBER_STATUS_NAMES, POINTS_KIND_NAMES, REDEMPTION_STATUS_NAMES
from portal.purchases import services as purchases
from portal.purchases.forms import RecordPurchaseForm
from portal.rewards import services as rewards

bp = Blueprint("admin", __name__)
PAGE_SIZE = 50
# Who may read the members area and who may change points and tiers (admin holds every role).
MEMBERS_READ = ("operations", "service", "expansion")
MEMBERS_WRITE = ("operations",)


@bp.get("/")
@staff_required()
def home():
    return render_page("admin/home.html", staff=current_user)


@bp.get("/members")
@staff_required(*MEMBERS_READ)
def members():
    form = MemberSearchForm(request.args).setup(tiers.all_tiers())
    query, tier = (form.q.data or "").strip(), form.selected_tier()
    results = search.search_members(query, tier, page=query_int("page", 1))
    filters = {name: value for name, value in (("q", query), ("tier", tier)) if value}
    return render_page("admin/members.html", block="results", form=form, results=results, filters=filters,
                       member_status_names=MEMBER_STATUS_NAMES)


def _member_page(member, *, adjust_form=None, tier_form=None, purchase_form=None, after=None, block=None,
                 status=200, notice=None):
    changes, every_tier = records.tier_changes(member)
    entries, more = records.ledger_page(member, after_id=after)
    may_change = current_user.has_role(*MEMBERS_WRITE)
    redemptions = rewards.my_redemptions(member) if block is None else []  # the full page only
    if may_change:
        adjust_form = adjust_form or AdjustPointsForm(formdata=None, member=member)
        tier_form = tier_form or ChangeTierForm(formdata=None, member=member, tiers=every_tier)
        purchase_form = purchase_form or RecordPurchaseForm(formdata=None)
    return render_page(
        "admin/member.html", block=block, status=status, member=member, tier_changes=changes,
        entries=entries, more=more, after=after, may_change=may_change, adjust_form=adjust_form,
        tier_form=tier_form, purchase_form=purchase_form, notice=notice, kind_names=POINTS_KIND_NAMES,
        member_status_names=MEMBER_STATUS_NAMES, redemptions=redemptions,
        redemption_status_names=REDEMPTION_STATUS_NAMES,
        describe=describe_reasons([*changes, *entries], tiers=every_tier),  # in the reader's language
    )


def _changed(member, notice):
    """After a change: the updated part of the page for htmx, else back to the page (303)."""
    if is_partial():
        return _member_page(member, block="live", notice=notice)
    flash(notice, "success")
    return redirect(url_for("admin.member_page", member_id=member.id), 303)


@bp.get("/members/<int:member_id>")
@staff_required(*MEMBERS_READ)
def member_page(member_id):
    member = records.member_for_staff(member_id) or abort(404)
    after = query_int("after")
    # "Older entries" with htmx asks for the next rows only; without JavaScript it is a page.
    return _member_page(member, after=after, block="older" if after else None)


@bp.post("/members/<int:member_id>/points")
@staff_required(*MEMBERS_WRITE)
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
            return _changed(member, notice)
    return _member_page(member, adjust_form=form, status=422, block="live")


@bp.post("/members/<int:member_id>/purchases")
@staff_required(*MEMBERS_WRITE)
def record_purchase(member_id):
    member = records.member_for_staff(member_id) or abort(404)
    form = RecordPurchaseForm()
    if form.validate():
        try:
            purchase, created = purchases.record_purchase(
                member, form.amount.parsed, form.purchased_at(), form.reference.data, "staff", actor=current_user)
        except purchases.PurchaseError as error:
            db.session.rollback()
            form.field_for(error.field).errors.append(error.message)
        else:
            db.session.commit()
            amount = format_decimal(purchase.amount, format="#,##0.00")
            if not created:
                notice = _("This purchase (%(reference)s) was already recorded: nothing was added.",
                           reference=purchase.reference)
            elif purchase.points:
                notice = _("Recorded a purchase of %(amount)s: %(points)s points. The balance is now %(balance)s.",
                           amount=amount, points=format_number(purchase.points),
                           balance=format_number(member.points_balance))
            else:
                notice = _("Recorded a purchase of %(amount)s: too small to earn points.", amount=amount)
            return _changed(member, notice)
    return _member_page(member, purchase_form=form, status=422, block="live")


@bp.post("/members/<int:member_id>/tier")
@staff_required(*MEMBERS_WRITE)
def change_tier(member_id):
    member = records.member_for_staff(member_id) or abort(404)
    form = ChangeTierForm(member=member, tiers=tiers.all_tiers())
    if form.validate():
        tier = form.chosen_tier()
        try:
            tiers.change_tier(member, tier, form.reason.data, current_user)
        except ValueError:  # someone else moved the member meanwhile
            db.session.rollback()
            form.tier.errors.append(_("The member is already in this tier: choose another."))
        else:
            db.session.commit()
            return _changed(member, _("The member is now in the %(tier)s tier.", tier=localized(tier, "name")))
    return _member_page(member, tier_form=form, status=422, block="live")


@bp.get("/audit")
@staff_required("admin")
def audit():
    form = AuditFilterForm(request.args).setup(audit_log.actions(), AUDIT_ACTION_NAMES)
    status, member_id, filter_member = 200, None, None
    try:
        member_id = form.selected_member_id()
    except ValueError:
        form.member.errors = [_("Enter a member number, such as M000123.")]
        status = 422
    if member_id is not None:
        filter_member = records.member_for_staff(member_id)
    page = audit_log.AuditPage([], set(), None)
    if status == 200:
        page = audit_log.audit_page(form.selected_action(), member_id,
                                    before_id=query_int("before"))
    members = records.members_by_id(page.member_ids)
    filters = {name: value for name, value in (("action", form.selected_action()),
                                               ("member", (form.member.data or "").strip())) if value}
    return render_page("admin/audit.html", status=status, form=form, page=page, filters=filters,
                       filter_member=filter_member, member_id=member_id, members=members,
                       tiers_by_code={tier.code: tier for tier in tiers.all_tiers()})


@bp.get("/outbox")
@staff_required("admin")
def outbox_list():
    status = request.args.get("status", "")
    messages, counts = outbox.outbox_page(status)
    return render_page("admin/outbox.html", block="results", messages=messages, counts=counts,
                       status_filter=status, statuses=OUTBOX_STATUSES)


@bp.get("/outbox/<int:message_id>")
@staff_required("admin")
def outbox_message(message_id):
    message = outbox.find_message(message_id) or abort(404)
    return render_page("admin/outbox_message.html", message=message, body=outbox.readable_body(message))


@bp.post("/outbox/<int:message_id>/resend")
@staff_required("admin")
def outbox_resend(message_id):
    message = outbox.find_message(message_id) or abort(404)
    try:
        outbox.resend(message)
    except ValueError:
        flash(_("This message cannot be sent again: only failed or held messages can, "
                "and only when an SMTP server is configured."), "error")
        return redirect(url_for("admin.outbox_message", message_id=message.id), 303)
    db.session.commit()
    flash(_("The message is queued to be sent again."), "success")
    return redirect(url_for("admin.outbox_message", message_id=message.id), 303)
