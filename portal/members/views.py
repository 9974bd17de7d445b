"""Member pages: home, points, benefits, card, profile."""

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal.auth import services as auth_services
from portal.auth.access import member_required
from portal.auth.forms import ChangePasswordForm
from portal.extensions import db
from portal.htmx import render_page
from portal.members import ledger, services, tiers, timeline
from portal.members.benefits import compare_tiers, tiers_with_benefits
from portal.members.card import card_token, qr_svg
from portal.members.forms import PointsFilterForm, ProfileForm
from portal.members.labels import POINTS_KIND_NAMES
from portal.models import utcnow

bp = Blueprint("members", __name__)

HISTORY_PAGE = 20
RECENT_ACTIVITY = 6
# "31 Dec 2026" reads better than the US "Dec 31, 2026" for the programme's English readers;
# other languages use their own medium date ("2026年12月31日").
DATE_PATTERNS = {"en": "d MMM y"}


@bp.record_once
def add_template_globals(state):
    # A global, not a context processor: the macros in members/_points.html see it too.
    state.app.jinja_env.globals["points_kind_names"] = POINTS_KIND_NAMES


@bp.app_template_filter("calendar_date")
def calendar_date(value):
    """A date (or a UTC datetime, shown in the member's time zone) as "31 Dec 2026"."""
    return format_date(value, DATE_PATTERNS.get(str(get_locale()), "medium"))


@bp.app_template_filter("signed_points")
def signed_points(amount):
    """+1,200 or −120 (a real minus sign), with the member's digit grouping."""
    return ("+" if amount > 0 else "\u2212") + format_decimal(abs(amount))


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
    return render_page(
        "members/home.html", member=member, progress=progress, next_offer=next_offer,
        expiring=ledger.expiring_soon(member), activity=timeline.recent_activity(member, RECENT_ACTIVITY),
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
    after = request.args.get("after", type=int)
    entries, has_more = ledger.history(member, kind=kind, after_id=after, limit=HISTORY_PAGE)
    return render_page(
        "members/points.html", block="history", member=member, form=form, kind=kind, after=after,
        entries=entries, has_more=has_more, expiring=ledger.expiring_soon(member), now=utcnow(),
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
