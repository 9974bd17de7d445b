"""Rewards pages for members: the catalogue, redemption and vouchers. The staff's pages are in
admin.py."""

from flask import Blueprint, abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.access import member_required
from portal.extensions import db
from portal.htmx import hx_redirect, render_page
from portal.i18n import localized
from portal.presentation import qr_svg
from portal.rewards import services
from portal.rewards.forms import RedeemForm
from portal.rewards.models import Reward

bp = Blueprint("rewards", __name__)


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
    flash(_("Redeemed: “%(reward)s”. Show this voucher to staff to collect it.",
            reward=localized(reward, "name")), "success")
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
