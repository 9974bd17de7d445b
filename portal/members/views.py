"""Member pages: home, profile, and the sections later features fill."""

from flask import Blueprint, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from portal.auth import services as auth_services
from portal.auth.access import member_required
from portal.auth.forms import ChangePasswordForm
from portal.extensions import db
from portal.htmx import render_page
from portal.members import services
from portal.members.forms import ProfileForm

bp = Blueprint("members", __name__)

COMING_SOON = {
    "points": _l("Points"),
    "benefits": _l("Benefits"),
    "events": _l("Events"),
    "tickets": _l("Tickets"),
}


@bp.get("/")
def home():
    """The member's home; visitors go to the login page and staff to /admin."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_staff:
        return redirect(url_for("admin.home"))
    return render_page("members/home.html", member=current_user)


@bp.get("/home")
def old_home():
    return redirect(url_for("members.home"), 301)


@bp.get("/<any(points, benefits, events, tickets):section>")
@member_required
def coming_soon(section):
    return render_page("members/coming_soon.html", title=COMING_SOON[section], section=section)


def _profile_page(form, password_form, status=200):
    return render_page("members/profile.html", status=status, form=form,
                       password_form=password_form, member=current_user)


@bp.get("/profile")
@member_required
def profile():
    form = ProfileForm(obj=current_user)
    form.setup_choices()
    return _profile_page(form, ChangePasswordForm(formdata=None))


@bp.post("/profile")
@member_required
def update_profile():
    form = ProfileForm()
    form.setup_choices()
    if not form.validate():
        return _profile_page(form, ChangePasswordForm(formdata=None), status=422)
    services.update_profile(
        current_user,
        **{field: getattr(form, field).data for field in services.PROFILE_FIELDS},
    )
    db.session.commit()
    session["lang"] = current_user.language
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("members.profile"), 303)


@bp.post("/profile/password")
@member_required
def change_password():
    form = ChangePasswordForm()
    profile_form = ProfileForm(obj=current_user, formdata=None)
    profile_form.setup_choices()
    if form.validate():
        if auth_services.change_password(current_user, form.current_password.data,
                                         form.new_password.data):
            db.session.commit()
            login_user(current_user._get_current_object())  # this session carries the new version
            flash(_("Your password is changed. You are logged out everywhere else."), "success")
            return redirect(url_for("members.profile"), 303)
        form.current_password.errors.append(_("That is not your current password."))
    return _profile_page(profile_form, form, status=422)
