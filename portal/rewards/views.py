"""Rewards pages: the members' catalogue, redemption and vouchers (`bp`), and the staff's
catalogue and voucher desk (`admin_bp`, mounted at /admin/rewards)."""

from flask import Blueprint, abort, current_app, flash, redirect, request, send_from_directory, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.access import member_required, staff_required
from portal.extensions import db
from portal.htmx import hx_redirect, render_page
from portal.members import tiers
from portal.members.card import qr_svg
from portal.rewards import pictures, services
from portal.rewards.forms import CancelRedemptionForm, RedeemForm, RewardForm, UseVoucherForm, VoucherSearchForm
from portal.rewards.models import Redemption, Reward

bp = Blueprint("rewards", __name__)
admin_bp = Blueprint("rewards_admin", __name__)

STAFF_ROLES = ("operations",)  # and admin, who holds every role
UPLOAD_ENDPOINTS = {"rewards_admin.create", "rewards_admin.update"}
FORM_ALLOWANCE = 256 * 1024  # the other fields and the multipart framing around a picture
PICTURE_MAX_AGE = 365 * 24 * 3600  # a picture's name changes whenever the picture does


# ---- members ---------------------------------------------------------------------------------

@bp.get("/rewards")
@member_required
def catalogue():
    """Every reward on offer, and for each one the member cannot redeem, why."""
    member = current_user._get_current_object()
    return render_page("rewards/catalogue.html", member=member, offers=services.catalogue(member))


def _reward_page(reward, form=None, refusal=None, status=200):
    member = current_user._get_current_object()
    refusal = refusal or services.why_not(reward, member)
    return render_page("rewards/reward.html", block="action", status=status, member=member, reward=reward,
                       refusal=refusal, form=form if refusal is None else None)


@bp.get("/rewards/<int:reward_id>")
@member_required
def reward(reward_id):
    return _reward_page(services.visible_reward(reward_id) or abort(404))


@bp.get("/rewards/<int:reward_id>/redeem")
@member_required
def confirm(reward_id):
    """The confirmation step: a page without JavaScript, the panel in place of the button with htmx."""
    return _reward_page(services.visible_reward(reward_id) or abort(404), form=RedeemForm())


@bp.post("/rewards/<int:reward_id>/redeem")
@member_required
def redeem(reward_id):
    # Any reward, not only the catalogue's: one taken out of it since the member confirmed gets
    # its reason ("No longer available"), not a bare 404.
    reward = db.session.get(Reward, reward_id) or abort(404)
    form = RedeemForm()
    if not form.validate() or not form.key_is_valid():
        abort(400)
    try:
        redemption = services.redeem(current_user._get_current_object(), reward, form.key.data)
    except services.RedemptionRefused as refused:
        db.session.rollback()  # nothing is kept: not the points, not the stock
        return _reward_page(db.session.get(Reward, reward_id), refusal=refused.refusal, status=422)
    db.session.commit()
    return hx_redirect(url_for("rewards.voucher", redemption_id=redemption.id))


@bp.get("/rewards/my")
@member_required
def mine():
    return render_page("rewards/mine.html", redemptions=services.my_redemptions(current_user))


@bp.get("/rewards/my/<int:redemption_id>")
@member_required
def voucher(redemption_id):
    """A voucher: the code and its QR code while it can be used, else what became of it."""
    redemption = services.my_redemption(current_user, redemption_id) or abort(404)
    qr = None
    if redemption.status == "issued":
        qr = qr_svg(redemption.voucher_code, _("QR code of voucher %(code)s", code=redemption.voucher_code))
    return render_page("rewards/voucher.html", redemption=redemption, qr=qr)


@bp.get("/rewards/pictures/<name>")
def picture(name):
    """A reward picture, only ever from the upload folder, only with a name store() gives."""
    if not pictures.NAME.match(name):
        abort(404)
    response = send_from_directory(current_app.config["UPLOAD_DIR"], name, mimetype=pictures.mime_type(name),
                                   max_age=PICTURE_MAX_AGE)
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ---- staff -----------------------------------------------------------------------------------

@admin_bp.url_value_preprocessor
def allow_pictures(endpoint, _values):
    # Runs before every before_request function, CSRFProtect's included, which reads the form:
    # the upload routes accept a picture, the rest of the app keeps MAX_CONTENT_LENGTH.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["MAX_PICTURE_BYTES"] + FORM_ALLOWANCE


def _reward_form(reward=None):
    """The reward form: what was posted, else the reward's stored values (or blank for a new one)."""
    form = RewardForm(obj=reward).setup(tiers.all_tiers(), _("Every tier"))
    if reward is not None and not form.is_submitted():
        form.fill_from(reward)
    return form


def _form_page(form, reward=None, status=200):
    return render_page("rewards/admin_form.html", status=status, form=form, reward=reward)


@admin_bp.get("/")
@staff_required(*STAFF_ROLES)
def index():
    return render_page("rewards/admin_list.html", rewards=services.all_rewards())


@admin_bp.get("/new")
@staff_required(*STAFF_ROLES)
def new():
    return _form_page(_reward_form())


@admin_bp.post("/new")
@staff_required(*STAFF_ROLES)
def create():
    form = _reward_form()
    if not form.validate():
        return _form_page(form, status=422)
    reward = services.create_reward(form.fields(), current_user, picture=form.picture_bytes)
    db.session.commit()
    flash(_("The reward “%(name)s” is in the catalogue.", name=reward.name), "success")
    return redirect(url_for("rewards_admin.index"), 303)


@admin_bp.get("/<int:reward_id>")
@staff_required(*STAFF_ROLES)
def edit(reward_id):
    reward = db.session.get(Reward, reward_id) or abort(404)
    return _form_page(_reward_form(reward), reward)


@admin_bp.post("/<int:reward_id>")
@staff_required(*STAFF_ROLES)
def update(reward_id):
    reward = db.session.get(Reward, reward_id) or abort(404)
    form = _reward_form()
    if not form.validate():
        return _form_page(form, reward, status=422)
    services.update_reward(reward, form.fields(), current_user, picture=form.picture_bytes)
    db.session.commit()
    flash(_("The reward “%(name)s” is saved.", name=reward.name), "success")
    return redirect(url_for("rewards_admin.edit", reward_id=reward.id), 303)


@admin_bp.post("/<int:reward_id>/deactivate")
@staff_required(*STAFF_ROLES)
def deactivate(reward_id):
    """Take a reward out of the catalogue: members no longer see it; vouchers already issued stay valid."""
    reward = _set_active(reward_id, False)
    flash(_("“%(name)s” is no longer in the catalogue.", name=reward.name), "success")
    return redirect(url_for("rewards_admin.edit", reward_id=reward.id), 303)


@admin_bp.post("/<int:reward_id>/activate")
@staff_required(*STAFF_ROLES)
def activate(reward_id):
    reward = _set_active(reward_id, True)
    flash(_("“%(name)s” is back in the catalogue.", name=reward.name), "success")
    return redirect(url_for("rewards_admin.edit", reward_id=reward.id), 303)


def _set_active(reward_id, active):
    reward = db.session.get(Reward, reward_id) or abort(404)
    services.set_active(reward, active, current_user)
    db.session.commit()
    return reward


VOUCHER_PROBLEMS = {
    "unknown": lambda: _("No voucher has this code. Check it and try again."),
    "used": lambda: _("This voucher was already used."),
    "cancelled": lambda: _("This voucher was cancelled: it cannot be used."),
    "reason": lambda: _("Give a reason: the member is told it and it is kept in the audit log."),
}


def _voucher_page(code="", problem=None, cancel_form=None, status=200):
    search = VoucherSearchForm(formdata=None, code=code)
    redemption = services.find_voucher(code) if code else None
    if code and redemption is None and problem is None:
        problem = VOUCHER_PROBLEMS["unknown"]()
        status = 422 if services.normalize_code(code) is None else 200
    return render_page(
        "rewards/admin_vouchers.html", block="found", status=status, search=search, code=code,
        redemption=redemption, problem=problem, use_form=UseVoucherForm(formdata=None, code=code),
        cancel_form=cancel_form or CancelRedemptionForm(formdata=None),
    )


@admin_bp.get("/vouchers")
@staff_required(*STAFF_ROLES)
def vouchers():
    """The voucher desk: type or scan a code, then mark it used or cancel it."""
    return _voucher_page(VoucherSearchForm(request.args).code.data or "")


@admin_bp.post("/vouchers/use")
@staff_required(*STAFF_ROLES)
def use_voucher():
    form = UseVoucherForm()
    if not form.validate():
        abort(400)
    try:
        redemption = services.mark_used(form.code.data, current_user)
    except services.VoucherError as error:
        db.session.rollback()
        return _voucher_page(form.code.data, problem=VOUCHER_PROBLEMS[error.code](), status=422)
    db.session.commit()
    flash(_("Voucher %(code)s is used: hand over “%(reward)s”.", code=redemption.voucher_code,
            reward=redemption.reward.name), "success")
    return hx_redirect(url_for("rewards_admin.vouchers", code=redemption.voucher_code))


@admin_bp.post("/vouchers/<int:redemption_id>/cancel")
@staff_required(*STAFF_ROLES)
def cancel_redemption(redemption_id):
    redemption = db.session.get(Redemption, redemption_id) or abort(404)
    code = redemption.voucher_code
    form = CancelRedemptionForm()
    if not form.validate():
        return _voucher_page(code, cancel_form=form, status=422)
    try:
        services.cancel(redemption, form.reason.data, current_user)
    except services.VoucherError as error:
        db.session.rollback()
        return _voucher_page(code, problem=VOUCHER_PROBLEMS[error.code](), status=422)
    db.session.commit()
    flash(_("Voucher %(code)s is cancelled: %(points)s points went back to the member.", code=code,
            points=format_decimal(redemption.points)), "success")
    return hx_redirect(url_for("rewards_admin.vouchers", code=code))
