"""Staff pages. Every view checks the role; the features' services do the work."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.auth.access import staff_required
from portal.extensions import db
from portal.htmx import render_page
from portal.mail import outbox
from portal.mail.models import OUTBOX_STATUSES, OutboxMessage

bp = Blueprint("admin", __name__)
PAGE_SIZE = 50


@bp.get("/")
@staff_required()
def home():
    return render_page("admin/home.html", staff=current_user)


@bp.get("/outbox")
@staff_required("admin")
def outbox_list():
    status = request.args.get("status", "")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)
    if status in OUTBOX_STATUSES:
        query = query.where(OutboxMessage.status == status)
    messages = db.session.scalars(query).all()
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all())
    return render_page("admin/outbox.html", block="results", messages=messages, counts=counts,
                       status_filter=status, statuses=OUTBOX_STATUSES)


@bp.get("/outbox/<int:message_id>")
@staff_required("admin")
def outbox_message(message_id):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_page("admin/outbox_message.html", message=message)


@bp.post("/outbox/<int:message_id>/resend")
@staff_required("admin")
def outbox_resend(message_id):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    try:
        outbox.resend(message)
    except ValueError:
        flash(_("This message cannot be sent again: only failed or held messages can, "
                "and only when an SMTP server is configured."), "error")
        return redirect(url_for("admin.outbox_message", message_id=message.id), 303)
    db.session.commit()
    flash(_("The message is queued to be sent again."), "success")
    return redirect(url_for("admin.outbox_message", message_id=message.id), 303)
