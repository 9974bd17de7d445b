"""Sign-up, verification, login, logout and password reset pages."""

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.auth import events, services, throttle
from portal.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm
from portal.auth.sessions import end_session
from portal.auth.tokens import LinkError
from portal.extensions import db, limiter
from portal.htmx import hx_redirect, render_page
from portal.i18n import current_language
from portal.security import safe_next

bp = Blueprint("auth", __name__)


def home_for(account):
    return url_for("admin.home") if account.is_staff else url_for("members.home")


def _accepted(_response):
    return g.get("form_accepted", False)


def _email_key():
    return "email:" + services.normalise_email(request.form.get("email", ""))[:254]


def _limit(name):
    return lambda: current_app.config[name]


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


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_limit("SIGNUP_LIMIT_PER_EMAIL"), key_func=_email_key, methods=["POST"], deduct_when=_accepted)
@limiter.limit(_limit("SIGNUP_LIMIT_PER_ADDRESS"), methods=["POST"], deduct_when=_accepted)
def signup():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignupForm()
    form.setup_choices()
    if request.method == "GET":
        form.language.data = current_language()
    if form.validate_on_submit():
        services.sign_up(
            form.name.data, form.email.data, form.password.data, form.language.data,
            phone=form.phone.data, birthday_month=form.birthday_month.data,
            birthday_day=form.birthday_day.data, birth_year=form.birth_year.data,
        )
        db.session.commit()
        g.form_accepted = True
        session["signup_email"] = services.normalise_email(form.email.data)
        return hx_redirect(url_for("auth.signup_sent"))
    status = 422 if form.errors else 200
    return render_page("auth/signup.html", block="form", status=status, form=form)


@bp.get("/signup/sent")
def signup_sent():
    return render_page("auth/signup_sent.html", email=session.get("signup_email", ""))


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token):
    # Opening the link changes nothing (mail scanners open links too); the button does.
    try:
        if request.method == "GET":
            services.member_for_verification(token)
            return render_page("auth/verify.html", token=token)
        services.verify_email(token)
    except LinkError as error:
        return render_page("auth/link_error.html", status=400, reason=error.reason)
    db.session.commit()
    flash(_("Your email is verified. Welcome! Please log in."), "success")
    return redirect(url_for("auth.login"), 303)


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
    logout_user()
    language = session.get("lang")
    session.clear()
    session["_remember"] = "clear"  # logout_user() asked Flask-Login to delete the remember cookie: keep asking
    if language:
        session["lang"] = language  # the page stays in that language, but is no one's choice
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("RESET_LIMIT_PER_EMAIL"), key_func=_email_key, methods=["POST"], deduct_when=_accepted)
@limiter.limit(_limit("RESET_LIMIT_PER_ADDRESS"), methods=["POST"], deduct_when=_accepted)
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
