"""Member pages: home, points, benefits, card, profile."""

from flask import Blueprint, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal.auth import events, reauth, throttle
from portal.auth import services as auth_services
from portal.auth.access import member_required
from portal.auth.forms import ChangePasswordForm
from portal.auth.sessions import forget_login
from portal.auth.tokens import LinkError
from portal.extensions import db, limiter
from portal.htmx import hx_redirect, render_page
from portal.i18n import current_language
from portal.ids import query_int
from portal.members import ledger, services, tiers, timeline
from portal.members import signup as signups
from portal.members.benefits import compare_tiers, tiers_with_benefits
from portal.members.card import card_token
from portal.members.forms import PointsFilterForm, ProfileForm, SignupForm
from portal.members.reasons import describe_reasons
from portal.models import utcnow
from portal.presentation import qr_svg

bp = Blueprint("members", __name__)

HISTORY_PAGE = 20
RECENT_ACTIVITY = 6


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(throttle.setting("SIGNUP_LIMIT_PER_EMAIL"), key_func=throttle.email_key, methods=["POST"],
               deduct_when=throttle.accepted)
@limiter.limit(throttle.setting("SIGNUP_LIMIT_PER_ADDRESS"), methods=["POST"], deduct_when=throttle.accepted)
def signup():
    """Become a member: a pending account and a verification email (a known email gets a notice)."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.home") if current_user.is_staff else url_for("members.home"))
    form = SignupForm()
    form.setup_choices()
    if request.method == "GET":
        form.language.data = current_language()
    if form.validate_on_submit():
        signups.sign_up(
            form.name.data, form.email.data, form.password.data, form.language.data,
            phone=form.phone.data, birthday_month=form.birthday_month.data,
            birthday_day=form.birthday_day.data, birth_year=form.birth_year.data,
        )
        db.session.commit()
        g.form_accepted = True
        session["signup_email"] = auth_services.normalise_email(form.email.data)
        return hx_redirect(url_for("members.signup_sent"))
    status = 422 if form.errors else 200
    return render_page("members/signup.html", block="form", status=status, form=form)


@bp.get("/signup/sent")
def signup_sent():
    return render_page("members/signup_sent.html", email=session.get("signup_email", ""))


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token):
    # Opening the link changes nothing (mail scanners open links too); the button does.
    try:
        if request.method == "GET":
            signups.member_for_verification(token)
            return render_page("members/verify.html", token=token)
        signups.verify_email(token)
    except LinkError as error:
        return render_page("auth/link_error.html", status=400, reason=error.reason)
    db.session.commit()
    flash(_("Your email is verified. Welcome! Please log in."), "success")
    return redirect(url_for("auth.login"), 303)


@bp.get("/")
def home():
    """The member's home; visitors go to the login page and staff to /admin."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_staff:
        return redirect(url_for("admin.home"))
    member = current_user._get_current_object()
    offers = compare_tiers(tiers_with_benefits())  # loads every tier first: member.tier needs no query
    progress = tiers.progress(member, [offer.tier for offer in offers])
    next_offer = next((o for o in offers if o.tier is progress.next_tier), None)
    activity = timeline.recent_activity(member, RECENT_ACTIVITY)
    return render_page(
        "members/home.html", member=member, progress=progress, next_offer=next_offer,
        expiring=ledger.expiring_soon(member), activity=activity,
        describe=describe_reasons(activity, tiers=[offer.tier for offer in offers]),
    )


@bp.get("/home")
def old_home():
    return redirect(url_for("members.home"), 301)


@bp.get("/points")
@member_required
def points():
    """Balance, points expiring soon, and the history: 20 entries at a time, filtered by kind.

    "Load more" is a link to ?after=<last id shown>: without JavaScript it opens the next 20 (with a
    link back to the newest), with htmx the same URL answers with the `history` block, whose rows
    the link appends to the list.
    """
    member = current_user._get_current_object()
    form = PointsFilterForm(formdata=request.args)
    kind = form.selected_kind()
    after = query_int("after")
    entries, has_more = ledger.history(member, kind=kind, after_id=after, limit=HISTORY_PAGE)
    return render_page(
        "members/points.html", block="history", member=member, form=form, kind=kind, after=after,
        entries=entries, has_more=has_more, expiring=ledger.expiring_soon(member), now=utcnow(),
        describe=describe_reasons(entries),
    )


@bp.get("/benefits")
@member_required
def benefits():
    """Every tier side by side: threshold, multiplier, benefits, and what each adds over the one below."""
    return render_page("members/benefits.html", member=current_user, offers=compare_tiers(tiers_with_benefits()))


@bp.get("/card")
@member_required
def card():
    """The membership card: name, number, tier and a QR code that staff can scan."""
    member = current_user._get_current_object()
    qr = qr_svg(card_token(member), _("QR code of membership card %(number)s", number=member.number))
    return render_page("members/card.html", member=member, qr=qr)


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
@reauth.limited
@member_required
def change_password():
    form = ChangePasswordForm()
    profile_form = ProfileForm(obj=current_user, formdata=None)
    profile_form.setup_choices()
    if form.validate():
        # A wrong current password is a failed login: the same counters, pauses and audit.
        member = current_user._get_current_object()
        if reauth.check_secret(member, lambda: auth_services.change_password(
                member, form.current_password.data, form.new_password.data)):
            events.record_event(events.PASSWORD_CHANGED, member)
            db.session.commit()
            login_user(member)  # this session carries the new version
            flash(_("Your password is changed. You are logged out everywhere else."), "success")
            return redirect(url_for("members.profile"), 303)
        db.session.commit()
        form.current_password.errors.append(_("That is not your current password."))
    return _profile_page(profile_form, form, status=422)


@bp.post("/profile/sessions/end")
@member_required
def end_all_sessions():
    """Log out everywhere: every session and remember cookie of the account ends, this one too."""
    member = current_user._get_current_object()
    auth_services.end_sessions(member)
    events.record_event(events.SESSIONS_ENDED, member)
    db.session.commit()
    forget_login()
    flash(_("You are logged out everywhere, on this device too."), "info")
    return redirect(url_for("auth.login"), 303)
