"""Rewards pages for staff (admin and operations), mounted at /admin/rewards: the catalogue
(add, edit, change stock, deactivate) and the voucher desk (mark used, cancel)."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import roles
from portal.auth.access import staff_required
from portal.extensions import db
from portal.htmx import hx_redirect, render_page
from portal.members import tiers
from portal.rewards import services
from portal.rewards.forms import (
    CancelRedemptionForm,
    EditRewardForm,
    NewRewardForm,
    UseVoucherForm,
    VoucherSearchForm,
)
from portal.rewards.models import Redemption, Reward
from portal.uploads import pictures

admin_bp = Blueprint("rewards_admin", __name__)

pictures.allow_uploads(admin_bp, {"rewards_admin.create", "rewards_admin.update"})


def _reward_form(reward=None):
    """The reward form: what was posted, else the reward's stored values (or blank for a new one)."""
    form_class = NewRewardForm if reward is None else EditRewardForm
    form = form_class(obj=reward).setup(tiers.all_tiers(), _("Every tier"))
    if reward is not None and not form.is_submitted():
        form.fill_from(reward)
    return form


STOCK_PROBLEMS = {
    "short": lambda available: _("Only %(units)s in stock now: you can remove at most %(units)s.",
                                 units=format_decimal(available or 0)),
    "changed": lambda _available: _("Someone changed the stock while you were editing. Check it and save again."),
}


def _form_page(form, reward=None, status=200):
    return render_page("rewards/admin_form.html", status=status, form=form, reward=reward)


@admin_bp.get("/")
@staff_required(*roles.REWARDS)
def index():
    return render_page("rewards/admin_list.html", rewards=services.all_rewards())


@admin_bp.get("/new")
@staff_required(*roles.REWARDS)
def new():
    return _form_page(_reward_form())


@admin_bp.post("/new")
@staff_required(*roles.REWARDS)
def create():
    form = _reward_form()
    if not form.validate():
        return _form_page(form, status=422)
    reward = services.create_reward(form.fields(), form.first_stock(), current_user, picture=form.picture_bytes)
    db.session.commit()
    flash(_("The reward “%(name)s” is in the catalogue.", name=reward.name), "success")
    return redirect(url_for("rewards_admin.index"), 303)


@admin_bp.get("/<int:reward_id>")
@staff_required(*roles.REWARDS)
def edit(reward_id):
    reward = db.session.get(Reward, reward_id) or abort(404)
    return _form_page(_reward_form(reward), reward)


@admin_bp.post("/<int:reward_id>")
@staff_required(*roles.REWARDS)
def update(reward_id):
    reward = db.session.get(Reward, reward_id) or abort(404)
    form = _reward_form(reward)
    if not form.validate():
        return _form_page(form, reward, status=422)
    try:
        services.update_reward(reward, form.fields(), current_user, form.unlimited.data, form.stock_change.data,
                               picture=form.picture_bytes)
    except services.StockError as error:
        db.session.rollback()  # nothing is half-saved
        form.stock_change.errors.append(STOCK_PROBLEMS[error.code](error.available))
        return _form_page(form, db.session.get(Reward, reward_id), status=422)
    db.session.commit()
    flash(_("The reward “%(name)s” is saved.", name=reward.name), "success")
    return redirect(url_for("rewards_admin.edit", reward_id=reward.id), 303)


@admin_bp.post("/<int:reward_id>/deactivate")
@staff_required(*roles.REWARDS)
def deactivate(reward_id):
    """Take a reward out of the catalogue: members no longer see it; vouchers already issued stay valid."""
    reward = _set_active(reward_id, False)
    flash(_("“%(name)s” is no longer in the catalogue.", name=reward.name), "success")
    return redirect(url_for("rewards_admin.edit", reward_id=reward.id), 303)


@admin_bp.post("/<int:reward_id>/activate")
@staff_required(*roles.REWARDS)
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
@staff_required(*roles.REWARDS)
def vouchers():
    """The voucher desk: type or scan a code, then mark it used or cancel it."""
    return _voucher_page(VoucherSearchForm(request.args).code.data or "")


@admin_bp.post("/vouchers/use")
@staff_required(*roles.REWARDS)
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
@staff_required(*roles.REWARDS)
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
