"""The member's notifications and the bell that counts them."""

from flask import Blueprint
from flask_login import current_user

from portal.auth.access import member_required
from portal.care import notifications
from portal.extensions import db
from portal.htmx import render_page

bp = Blueprint("care", __name__)


@bp.app_context_processor
def bell():
    """`unread_notifications()` for the header; a function, so pages that do not show it pay nothing."""

    def unread_notifications():
        if current_user.is_authenticated and current_user.is_member:
            return notifications.unread_count(current_user)
        return 0

    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@member_required
def notification_list():
    """The member's notifications; those shown unread are marked read by opening the list (they keep
    their "New" mark on this showing)."""
    items = notifications.latest(current_user)
    new = notifications.mark_read(current_user, items)
    db.session.commit()
    return render_page("care/notifications.html", items=items, new=new)
