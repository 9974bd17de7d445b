"""Staff pages for members: search, the member page, points adjustments, purchases and tier changes.

Every view checks the role; the features' services do the work.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import format_decimal, format_number, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.auth.access import staff_required
from portal.extensions import db
from portal.htmx import is_partial, render_page
from portal.i18n import localized
from portal.members import ledger, records, search, tiers
from portal.members.admin_forms import AdjustPointsForm, ChangeTierForm, MemberSearchForm
from portal.members.labels import MEMBER_STATUS_NAMES, POINTS_KIND_NAMES
from portal.purchases import services as purchases
from portal.purchases.forms import RecordPurchaseForm
from portal.rewards import services as rewards
from portal.rewards.labels import REDEMPTION_STATUS_NAMES

bp = Blueprint("members_admin", __name__)
# Who may read the members area and who may change points and tiers (admin holds every role).
MEMBERS_READ = ("operations", "service", "expansion")
MEMBERS_WRITE = ("operations",)
# Who sees whole voucher codes (and so can use one at the till); everyone else sees the last 4 characters.
WHOLE_VOUCHER_CODES = ("operations",)
VOUCHER_SHOWN = 4


def signed_number(number):
    """A points amount with its sign: +500, -200."""
    return ("+" if number > 0 else "") + format_number(number)


def birthday(member):
    """The member's birthday as month and day ("14 March", "3月14日"), or None."""
    if not (member.birthday_month and member.birthday_day):
        return None
    return format_skeleton("MMMMd", date(2000, member.birthday_month, member.birthday_day),
                           locale=get_locale())


def masked_code(code):
    """A voucher code for staff who may not see it whole: ("••••-••••-", "9HPW"), the last 4 characters shown."""
    hidden, shown = code[:-VOUCHER_SHOWN], code[-VOUCHER_SHOWN:]
    return "".join("-" if character == "-" else "•" for character in hidden), shown


@bp.context_processor
def formats():
    return {"format_number": format_number, "signed_number": signed_number, "birthday": birthday,
            "masked_code": masked_code}


# Staff read dates in one unambiguous form in the programme's time zone, whatever their language.
# (Registered for every staff page; to move into the shared presentation module.)

def _programme_zone():
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


@bp.app_template_filter("staff_datetime")
def staff_datetime(moment):
    """A stored UTC moment as "2026-10-02 12:32", in the programme's time zone."""
    return moment.astimezone(_programme_zone()).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("staff_date")
def staff_date(value):
    """A calendar day, or the programme's day of a stored UTC moment, as "2026-10-02"."""
    if isinstance(value, datetime):
        value = value.astimezone(_programme_zone()).date()
    return value.isoformat()


@bp.app_template_filter("email")
def email_address(address):
    """An email address that wraps, on a narrow screen, only before its "@" and its dots: each piece
    between them is kept whole (not broken after a hyphen or anywhere else)."""
    local, at, domain = str(address).rpartition("@")
    pieces = local.split(".") if at else []
    pieces = [pieces[0]] + ["." + piece for piece in pieces[1:]] if pieces else []
    domain_parts = domain.split(".")
    pieces += [("@" if at else "") + domain_parts[0]] + ["." + part for part in domain_parts[1:]]
    inner = Markup("<wbr>").join(Markup("<span>%s</span>") % piece for piece in pieces)
    return Markup('<span class="email">%s</span>') % inner


@bp.get("/members")
@staff_required(*MEMBERS_READ)
def members():
    form = MemberSearchForm(request.args).setup(tiers.all_tiers())
    query, tier = (form.q.data or "").strip(), form.selected_tier()
    results = search.search_members(query, tier, page=request.args.get("page", 1, type=int))
    filters = {name: value for name, value in (("q", query), ("tier", tier)) if value}
    return render_page("admin/members.html", block="results", form=form, results=results, filters=filters,
                       member_status_names=MEMBER_STATUS_NAMES)


def _member_page(member, *, adjust_form=None, tier_form=None, purchase_form=None, after=None, block=None,
                 status=200, notice=None, notice_in=None):
    changes, every_tier = records.tier_changes(member)
    entries, more = records.ledger_page(member, after_id=after)
    may_change = current_user.has_role(*MEMBERS_WRITE)
    redemptions = rewards.my_redemptions(member) if block != "older" else []
    if may_change:
        adjust_form = adjust_form or AdjustPointsForm(formdata=None, member=member)
        tier_form = tier_form or ChangeTierForm(formdata=None, member=member, tiers=every_tier)
        purchase_form = purchase_form or RecordPurchaseForm(formdata=None)
    return render_page(
        "admin/member.html", block=block, status=status, member=member, tier_changes=changes,
        kept=tiers.keeping_change(changes, tiers.programme_today()),
        entries=entries, more=more, after=after, may_change=may_change, adjust_form=adjust_form,
        tier_form=tier_form, purchase_form=purchase_form, notice=notice, notice_in=notice_in,
        kind_names=POINTS_KIND_NAMES, member_status_names=MEMBER_STATUS_NAMES, redemptions=redemptions,
        redemption_status_names=REDEMPTION_STATUS_NAMES, whole_codes=current_user.has_role(*WHOLE_VOUCHER_CODES),
    )


def _changed(member, notice, notice_in):
    """After a change: the updated part of the page for htmx, its confirmation beside the section
    changed (`notice_in`: "points" or "tier"); else back to the page (303)."""
    if is_partial():
        return _member_page(member, block="live", notice=notice, notice_in=notice_in)
    flash(notice, "success")
    return redirect(url_for("members_admin.member_page", member_id=member.id), 303)


@bp.get("/members/<int:member_id>")
@staff_required(*MEMBERS_READ)
def member_page(member_id):
    member = records.member_for_staff(member_id) or abort(404)
    after = request.args.get("after", type=int)
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
            return _changed(member, notice, "points")
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
            return _changed(member, notice, "points")
    return _member_page(member, purchase_form=form, status=422, block="live")


@bp.post("/members/<int:member_id>/tier")
@staff_required(*MEMBERS_WRITE)
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
            return _changed(member, notice, "tier")
    return _member_page(member, tier_form=form, status=422, block="live")
