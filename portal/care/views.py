"""The member's notifications and the bell that counts them; unsubscribing from an email's link."""

from flask import Blueprint
from flask_babel import force_locale
from flask_login import current_user

from portal.auth import sessions
from portal.auth.access import member_required
from portal.care import notifications
from portal.care.unsubscribe import read_token, set_wanted
from portal.extensions import csrf, db
from portal.htmx import render_page
from portal.sqlite import writes

bp = Blueprint("care", __name__)
sessions.load_with("member", notifications.with_unread_count)  # the bell's count, in the account's query


@bp.app_context_processor
def bell():
    """`unread_notifications()` for the header; a function, so pages that do not show it pay nothing."""

    def unread_notifications():
        if current_user.is_authenticated and current_user.is_member:
            return notifications.unread_count(current_user)
        return 0

    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@writes
@member_required
def notification_list():
    """The member's notifications; those shown unread are marked read by opening the list (they keep
    their "New" mark on this showing)."""
    items = notifications.latest(current_user)
    new = notifications.mark_read(current_user, items)
    db.session.commit()
    return render_page("care/notifications.html", items=items, new=new)


def _unsubscribe_page(token, wanted, template):
    """Turn the kind of email the token names on or off (no login), commit, and show `template` in the
    member's language; an unknown or changed token gets a page that says so, with a 404."""
    found = read_token(token)
    if found is None:
        return render_page("care/unsubscribe_invalid.html", status=404)
    member, kind = found
    set_wanted(member, kind, wanted)
    db.session.commit()
    with force_locale(member.language):
        response = render_page(template, kind=kind, token=token)
    response.headers["Cache-Control"] = "no-store"
    return response


# The link in an email's List-Unsubscribe header and footer: the signed token is the only credential
# (no login, and no CSRF token, which a mailbox provider's one-click POST (RFC 8058) cannot send).
# Both the POST and the visible link's GET turn the email off at once, as the member asked in one
# click; the page offers an undo.
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@writes
@csrf.exempt
def unsubscribe(token):
    return _unsubscribe_page(token, False, "care/unsubscribed.html")


@bp.post("/unsubscribe/<token>/undo")
@csrf.exempt
def resubscribe(token):
    """The unsubscribe page's "Undo": protected by the token itself, so it works however long the page was open."""
    return _unsubscribe_page(token, True, "care/resubscribed.html")
