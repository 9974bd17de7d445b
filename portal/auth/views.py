"""Login, logout and password reset pages (sign-up and verification are the members' own)."""

from flask import Blueprint, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from portal.auth import events, services, throttle, two_factor
from portal.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, TwoFactorLoginForm
from portal.auth.sessions import end_session, forget_login
from portal.auth.tokens import LinkError
from portal.extensions import db, limiter
from portal.htmx import hx_redirect, render_page
from portal.security import safe_next

bp = Blueprint("auth", __name__)


def home_for(account):
    return url_for("admin.home") if account.is_staff else url_for("members.home")


def check_throttle(email):
    """Wait as long as the account's recent failures ask; a paused address is audited, then 429."""
    try:
        throttle.check(email)
    except throttle.Throttled:
        events.record_event(events.THROTTLED, services.find_account(email), email=email, by_account=False)
        db.session.commit()
        raise


def password_failed(email):
    """Count a wrong password for `email` from this address, and audit it."""
    throttle.failed(email)
    events.record_event(events.LOGIN_FAILED, services.find_account(email), email=email, by_account=False)
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_for(current_user))
    form = LoginForm()
    error = None
    if request.method == "POST":
        check_throttle(form.email.data or "")
    if form.validate_on_submit():
        # A language picked with the footer switcher before logging in becomes the account's own.
        chosen = session.get("lang") if session.get("lang_chosen") else None
        account = services.authenticate(form.email.data, form.password.data, language=chosen)
        if account == "unverified":
            db.session.commit()
            error = _("Please verify your email first. We have sent you a new link.")
        elif account is None:
            password_failed(form.email.data)
            error = _("The email or password is not right.")
        else:
            if two_factor.needs_second_factor(account):  # logged in (and audited) after the code
                db.session.commit()
                return start_second_factor(account, form.remember.data)
            events.record_event(events.LOGIN, account)
            db.session.commit()
            session.clear()  # a fresh session: nothing from before login carries over
            login_user(account, remember=form.remember.data)
            session["lang"] = account.language
            return redirect(safe_next(request.args.get("next")) or home_for(account), 303)
    status = 422 if request.method == "POST" else 200
    return render_page("auth/login.html", status=status, form=form, error=error)


@bp.post("/logout")
def logout():
    # This browser's session and remember cookie end (on the server too); the account's other
    # sessions go on. "Log out everywhere" on the profile ends them all.
    if current_user.is_authenticated:
        end_session(session.get("_user_id"))
        events.record_event(events.LOGGED_OUT, current_user._get_current_object())
        db.session.commit()
    forget_login()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(throttle.setting("RESET_LIMIT_PER_EMAIL"), key_func=throttle.email_key, methods=["POST"],
               deduct_when=throttle.accepted)
@limiter.limit(throttle.setting("RESET_LIMIT_PER_ADDRESS"), methods=["POST"], deduct_when=throttle.accepted)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.queue_password_reset(form.email.data, throttle.client_address())
        db.session.commit()
        g.form_accepted = True
        return hx_redirect(url_for("auth.forgot_password_sent"))
    status = 422 if form.errors else 200
    return render_page("auth/forgot.html", block="form", status=status, form=form)


@bp.get("/password/forgot/sent")
def forgot_password_sent():
    return render_page("auth/forgot_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        account = services.account_for_reset(token)
    except LinkError as error:
        return render_page("auth/link_error.html", status=400, reason=error.reason)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(account, form.password.data)
        events.record_event(events.RESET_COMPLETED, account)
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()
        flash(_("Your password is changed. Please log in with the new one."), "success")
        return redirect(url_for("auth.login"), 303)
    status = 422 if form.errors else 200
    return render_page("auth/reset.html", status=status, form=form, account=account)


# --- the second step of a staff login: a code from the app or a recovery code ------------------

PENDING = "two_factor_pending"


def start_second_factor(account, remember):
    """The password was right: remember who (not logged in yet) and ask for the code."""
    language = account.language
    session.clear()  # a fresh session: nothing from before login carries over
    session[PENDING] = two_factor.pending_marker(account, remember)
    session["lang"] = language
    return redirect(url_for("auth.two_factor_login", next=safe_next(request.args.get("next"))), 303)


@bp.route("/login/two-factor", methods=["GET", "POST"])
def two_factor_login():
    """The code step; wrong codes count against the account and address as wrong passwords do."""
    found = two_factor.account_for_marker(session.get(PENDING))
    if found is None:
        session.pop(PENDING, None)
        flash(_("Please log in again: the sign-in was not finished within five minutes."), "info")
        return redirect(url_for("auth.login"), 303)
    account, remember = found
    form = TwoFactorLoginForm()
    error = None
    if request.method == "POST":
        check_throttle(account.email)
    if form.validate_on_submit():
        used = two_factor.use_second_factor(account, form.code.data)
        if used:
            left = two_factor.recovery_codes_left(account) if used == "recovery" else None
            events.record_event(events.LOGIN, account)
            db.session.commit()
            language = session.get("lang")
            session.clear()
            login_user(account, remember=remember)
            session["lang"] = language or account.language
            if used == "recovery":
                flash(ngettext("You used a recovery code. %(num)d is left.",
                               "You used a recovery code. %(num)d are left.", left), "info")
                if left <= 3:
                    flash(_("Set up two-factor again in My account to get ten new recovery codes."), "info")
            return redirect(safe_next(request.args.get("next")) or home_for(account), 303)
        error = _("That code is not right, or it was used already. Try the newest code from your app.")
    if request.method == "POST" and (error is not None or form.errors):
        # A wrong or malformed code: counted and audited like a wrong password.
        throttle.failed(account.email)
        events.record_event(events.LOGIN_FAILED, account, by_account=False, after={"step": "second_factor"})
        db.session.commit()
    status = 422 if request.method == "POST" else 200
    return render_page("auth/two_factor.html", status=status, form=form, error=error)
