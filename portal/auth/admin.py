"""Staff pages for accounts: my account (password, two-factor) for every staff user, and the
team lead's list of staff (roles, two-factor reset). Every view checks the role."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal.auth import reauth, roles, two_factor
from portal.auth import staff as staff_accounts
from portal.auth.access import staff_required
from portal.auth.forms import ChangePasswordForm, StaffRoleForm, TwoFactorConfirmForm, TwoFactorProofForm
from portal.extensions import db
from portal.htmx import render_page
from portal.presentation import ROLE_NAMES, qr_svg

bp = Blueprint("staff", __name__)

# What a staff user who must enrol first may still reach.
ENROLMENT_ENDPOINTS = {
    "staff.two_factor_setup", "staff.start_two_factor", "staff.confirm_two_factor", "staff.cancel_two_factor",
    "auth.logout", "i18n.set_language", "static",
}


@bp.before_app_request
def enrol_first():
    """Where two-factor is required, a staff user without it reaches nothing but the enrolment page."""
    if request.endpoint in ENROLMENT_ENDPOINTS or not current_user.is_authenticated:
        return None
    if two_factor.must_enrol(current_user):
        return redirect(url_for("staff.two_factor_setup"), 303)
    return None


# --- my account -------------------------------------------------------------------------------

@bp.get("/account")
@staff_required(*roles.ANY_STAFF)
def account():
    return render_page("auth/staff_account.html", staff=current_user,
                       codes_left=two_factor.recovery_codes_left(current_user),
                       required=two_factor.required())


@bp.route("/account/password", methods=["GET", "POST"])
@reauth.limited
@staff_required(*roles.ANY_STAFF)
def change_password():
    """The current password, guarded like a login (a stolen session cannot guess it), then the new one."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        staff = current_user._get_current_object()
        if reauth.check_secret(staff, lambda: staff_accounts.change_own_password(
                staff, form.current_password.data, form.new_password.data)):
            db.session.commit()
            login_user(current_user._get_current_object())  # this session carries the new version
            flash(_("Your password is changed. You are logged out everywhere else."), "success")
            return redirect(url_for("staff.account"), 303)
        db.session.commit()  # the failure's audit entry
        form.current_password.errors.append(_("That is not your current password."))
    status = 422 if request.method == "POST" else 200
    return render_page("auth/staff_password.html", status=status, form=form)


def _two_factor_page(status=200, confirm_form=None, proof_form=None):
    staff = current_user
    secret = staff.totp_pending_secret
    setup = None
    if secret:
        setup = {"qr": qr_svg(two_factor.setup_uri(staff, secret), _("QR code to scan with your authenticator app")),
                 "secret": two_factor.secret_groups(secret)}
    return render_page(
        "auth/two_factor_setup.html", status=status, staff=staff, setup=setup,
        confirm_form=confirm_form or TwoFactorConfirmForm(formdata=None),
        proof_form=proof_form or TwoFactorProofForm(formdata=None),
        codes_left=two_factor.recovery_codes_left(staff), required=two_factor.required(),
    )


@bp.get("/account/two-factor")
@staff_required(*roles.ANY_STAFF)
def two_factor_setup():
    return _two_factor_page()


@bp.post("/account/two-factor/start")
@reauth.limited
@staff_required(*roles.ANY_STAFF)
def start_two_factor():
    if current_user.two_factor_enabled:
        # A new secret will replace the one in use: only with the password or a current code,
        # guarded like a login.
        form = TwoFactorProofForm()
        staff = current_user._get_current_object()
        if not form.validate() or not reauth.check_secret(staff, lambda: two_factor.proves_identity(
                staff, form.proof.data)):
            db.session.commit()  # a code that was tried is used up either way
            if not form.proof.errors:
                form.proof.errors.append(_("That is neither your password nor a current code."))
            return _two_factor_page(status=422, proof_form=form)
    two_factor.start_enrolment(current_user)
    db.session.commit()
    return redirect(url_for("staff.two_factor_setup"), 303)


@bp.post("/account/two-factor/confirm")
@staff_required(*roles.ANY_STAFF)
def confirm_two_factor():
    form = TwoFactorConfirmForm()
    if not current_user.totp_pending_secret:
        return redirect(url_for("staff.two_factor_setup"), 303)
    codes = two_factor.confirm_enrolment(current_user, form.code.data) if form.validate() else None
    if codes is None:
        if not form.code.errors:
            form.code.errors.append(_("That code is not right. Check the time on your phone and try the newest code."))
        return _two_factor_page(status=422, confirm_form=form)
    db.session.commit()
    login_user(current_user._get_current_object())  # this session carries the new version
    # Shown in this response only (not flashed: the session cookie is signed, not secret), so no
    # redirect after this POST; the page says to keep them now.
    return render_page("auth/two_factor_codes.html", codes=codes)


@bp.post("/account/two-factor/cancel")
@staff_required(*roles.ANY_STAFF)
def cancel_two_factor():
    two_factor.cancel_enrolment(current_user)
    db.session.commit()
    return redirect(url_for("staff.two_factor_setup"), 303)


# --- the team lead's list of staff ------------------------------------------------------------

def _role_form(staff, formdata=None):
    form = StaffRoleForm(formdata=formdata, prefix=f"staff-{staff.id}").setup(ROLE_NAMES)
    if formdata is None:
        form.role.data = staff.role
    return form


def _staff_page(status=200, failed=None):
    rows = [
        {"staff": staff, "codes_left": codes_left,
         "form": failed if failed is not None and failed.staff_id == staff.id else _role_form(staff)}
        for staff, codes_left in staff_accounts.all_staff()
    ]
    return render_page("auth/staff_list.html", status=status, rows=rows, role_names=ROLE_NAMES)


@bp.get("/staff")
@staff_required(*roles.TEAM_LEAD)
def staff_list():
    return _staff_page()


@bp.post("/staff/<int:staff_id>/role")
@staff_required(*roles.TEAM_LEAD)
def change_role(staff_id):
    staff = staff_accounts.staff_user(staff_id) or abort(404)
    form = _role_form(staff, formdata=request.form)
    form.staff_id = staff.id
    if form.validate():
        try:
            changed = staff_accounts.change_role(staff, form.role.data, current_user, form.reason.data)
        except staff_accounts.LastAdmin:
            db.session.rollback()
            form.role.errors.append(_("The programme needs an active team lead: make someone else team lead first."))
        else:
            db.session.commit()
            if changed:
                flash(_("%(name)s is now %(role)s.", name=staff.name, role=ROLE_NAMES[staff.role]), "success")
            if not current_user.has_role("admin"):  # they moved themselves out of the team lead's role
                return redirect(url_for("admin.home"), 303)
            return redirect(url_for("staff.staff_list"), 303)
    return _staff_page(status=422, failed=form)


@bp.post("/staff/<int:staff_id>/two-factor/reset")
@staff_required(*roles.TEAM_LEAD)
def reset_two_factor(staff_id):
    staff = staff_accounts.staff_user(staff_id) or abort(404)
    if staff.id == current_user.id:
        flash(_("Set up your own two-factor again in My account."), "error")
    elif staff.two_factor_enabled or staff.totp_pending_secret:
        two_factor.reset_two_factor(staff, current_user)
        db.session.commit()
        if two_factor.required():
            notice = _("Two-factor is reset for %(name)s: they are logged out and must set it up again "
                       "at their next login.", name=staff.name)
        else:
            notice = _("Two-factor is reset for %(name)s: they are logged out and can set it up again "
                       "in My account.", name=staff.name)
        flash(notice, "success")
    return redirect(url_for("staff.staff_list"), 303)
