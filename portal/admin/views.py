"""Staff pages: the staff home and the cross-feature pages (audit log, outbox). Every view checks the role;
the features' own staff pages live in portal/<feature>/admin.py."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin.forms import AuditFilterForm
from portal.audit import log as audit_log
from portal.auth import roles
from portal.auth.access import staff_required
from portal.extensions import db
from portal.htmx import render_page
from portal.ids import query_int
from portal.mail import outbox
from portal.mail.models import OUTBOX_STATUSES
from portal.members import records, tiers
from portal.presentation import AUDIT_ACTION_NAMES

bp = Blueprint("admin", __name__)


@bp.get("/")
@staff_required(*roles.ANY_STAFF)
def home():
    return render_page("admin/home.html", staff=current_user)



@bp.get("/audit")
@staff_required(*roles.TEAM_LEAD)
def audit():
    form = AuditFilterForm(request.args).setup(audit_log.actions(), AUDIT_ACTION_NAMES)
    status, member_id, filter_member = 200, None, None
    try:
        member_id = form.selected_member_id()
    except ValueError:
        form.member.errors = [_("Enter a member number, such as M000123.")]
        status = 422
    if member_id is not None:
        filter_member = records.member_for_staff(member_id)
    page = audit_log.AuditPage([], set(), None)
    if status == 200:
        page = audit_log.audit_page(form.selected_action(), member_id,
                                    before_id=query_int("before"))
    members = records.members_by_id(page.member_ids)
    every_tier = tiers.all_tiers()
    filters = {name: value for name, value in (("action", form.selected_action()),
                                               ("member", (form.member.data or "").strip())) if value}
    return render_page("admin/audit.html", status=status, form=form, page=page, filters=filters,
                       filter_member=filter_member, member_id=member_id, members=members,
                       tiers_by_code={tier.code: tier for tier in every_tier},
                       tiers_by_id={tier.id: tier for tier in every_tier})


@bp.get("/outbox")
@staff_required(*roles.TEAM_LEAD)
def outbox_list():
    status = request.args.get("status", "")
    messages, counts = outbox.outbox_page(status)
    return render_page("admin/outbox.html", block="results", messages=messages, counts=counts,
                       status_filter=status, statuses=OUTBOX_STATUSES)


@bp.get("/outbox/<int:message_id>")
@staff_required(*roles.TEAM_LEAD)
def outbox_message(message_id):
    message = outbox.find_message(message_id) or abort(404)
    return render_page("admin/outbox_message.html", message=message, body=outbox.readable_body(message))


@bp.post("/outbox/<int:message_id>/resend")
@staff_required(*roles.TEAM_LEAD)
def outbox_resend(message_id):
    message = outbox.find_message(message_id) or abort(404)
    try:
        outbox.resend(message)
    except ValueError:
        flash(_("This message cannot be sent again: only failed or held messages can, "
                "and only when an SMTP server is configured."), "error")
        return redirect(url_for("admin.outbox_message", message_id=message.id), 303)
    db.session.commit()
    flash(_("The message is queued to be sent again."), "success")
    return redirect(url_for("admin.outbox_message", message_id=message.id), 303)
