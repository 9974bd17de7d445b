"""Staff pages for purchases: recording one on the member page, the CSV import (preview, then
import) and the point-of-sale API keys."""

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import roles
from portal.auth.access import staff_required
from portal.extensions import db
from portal.htmx import render_page
from portal.members import records, staff_page
from portal.presentation import money
from portal.purchases import api_keys, imports, services
from portal.purchases.forms import ApiKeyForm, ImportPurchasesForm, RecordPurchaseForm, UploadPurchasesForm
from portal.purchases.models import ApiKey

bp = Blueprint("purchases_admin", __name__)


# --- a purchase recorded on the member page -------------------------------------------------------


def _purchase_form(member, form):
    """The "Record a purchase" form beside "Adjust points", for an active member."""
    return {"purchase_form": form or RecordPurchaseForm(formdata=None)} if member.is_active else None


staff_page.add_part("actions", "record_purchase", "purchases/_record_purchase.html", _purchase_form)


@bp.post("/members/<int:member_id>/purchases")
@staff_required(*roles.MEMBERS_WRITE)
def record_purchase(member_id):
    member = records.member_for_staff(member_id) or abort(404)
    form = RecordPurchaseForm()
    if form.validate():
        try:
            purchase, created = services.record_purchase(
                member, form.amount.parsed, form.purchased_at(), form.reference.data, "staff", actor=current_user)
        except services.PurchaseError as error:
            db.session.rollback()
            form.field_for(error.field).errors.append(error.message)
        else:
            db.session.commit()
            amount = money(purchase.amount)
            if not created:
                notice = _("This purchase (%(reference)s) was already recorded: nothing was added.",
                           reference=purchase.reference)
            elif purchase.points:
                notice = _("Recorded a purchase of %(amount)s: %(points)s points. The balance is now %(balance)s.",
                           amount=amount, points=format_number(purchase.points),
                           balance=format_number(member.points_balance))
            else:
                notice = _("Recorded a purchase of %(amount)s: too small to earn points.", amount=amount)
            return staff_page.changed(member, notice, "points")
    return staff_page.member_page(member, part_forms={"record_purchase": form}, status=422, block="live")


# --- the CSV import --------------------------------------------------------------------------------


def _import_page(form=None, status=200, **context):
    return render_page("purchases/import.html", status=status, form=form or UploadPurchasesForm(formdata=None),
                       preview=None, points=None, import_form=None, notice=None, filename="", **context)


def _preview_page(preview, token, status=200, notice=None, filename=""):
    import_form = ImportPurchasesForm(formdata=None, token=token, fingerprint=preview.fingerprint)
    row_points = imports.points_by_row(preview)
    return render_page("purchases/import.html", status=status, form=UploadPurchasesForm(formdata=None),
                       preview=preview, points=sum(row_points), import_form=import_form, notice=notice,
                       good_rows=list(zip(preview.good, row_points, strict=True)), filename=filename)


@bp.get("/imports/purchases")
@staff_required(*roles.IMPORTS)
def import_purchases():
    return _import_page()


@bp.post("/imports/purchases")
@staff_required(*roles.IMPORTS)
def preview_purchases():
    """Step 1: read and check the file; show every bad row and what would be imported."""
    form = UploadPurchasesForm()
    if not form.validate():
        return _import_page(form, status=422)
    data = form.file.data.read()
    try:
        preview = imports.check_rows(imports.read_csv(data))
    except imports.ImportFileError as error:
        form.file.errors.append(str(error))
        return _import_page(form, status=422)
    token = imports.keep_upload(data, current_user) if preview.good else ""
    return _preview_page(preview, token, filename=form.file.data.filename)


@bp.post("/imports/purchases/import")
@staff_required(*roles.IMPORTS)
def confirm_import():
    """Step 2: check the kept file again and import its good rows in one transaction, or nothing."""
    form = ImportPurchasesForm()
    if not form.validate():
        abort(400)
    data = imports.load_upload(form.token.data, current_user)
    if data is None:
        upload = UploadPurchasesForm(formdata=None)
        upload.file.errors = [_("This preview has expired or was already imported: upload the file again.")]
        return _import_page(upload, status=409)
    preview = imports.check_rows(imports.read_csv(data))
    if preview.fingerprint != form.fingerprint.data:
        return _preview_page(preview, form.token.data, status=409, notice=_(
            "The purchases changed since the preview (some may have been recorded meanwhile). "
            "Nothing was imported: check this preview and import again."))
    try:
        purchases = imports.import_rows(preview, current_user)
    except services.PurchaseError:
        db.session.rollback()  # nothing half-written: the whole file or none of it
        preview = imports.check_rows(imports.read_csv(data))
        return _preview_page(preview, form.token.data, status=409, notice=_(
            "A purchase could not be recorded, so nothing was imported: check this preview and import again."))
    db.session.commit()
    imports.discard_upload(form.token.data, current_user)
    flash(_("Imported %(count)s purchases worth %(total)s: %(points)s points.",
            count=format_number(len(purchases)), total=money(preview.total),
            points=format_number(sum(p.points for p in purchases))), "success")
    return redirect(url_for("purchases_admin.import_purchases"), 303)


# --- API keys ------------------------------------------------------------------------------------


def _keys_page(form=None, new_key=None, status=200):
    return render_page("purchases/api_keys.html", status=status, form=form or ApiKeyForm(formdata=None),
                       keys=api_keys.all_api_keys(), new_key=new_key)


@bp.get("/api-keys")
@staff_required(*roles.TEAM_LEAD)
def api_key_list():
    return _keys_page()


@bp.post("/api-keys")
@staff_required(*roles.TEAM_LEAD)
def create_api_key():
    form = ApiKeyForm()
    if not form.validate():
        return _keys_page(form, status=422)
    api_key, plain = api_keys.create_api_key(form.name.data, current_user)
    db.session.commit()
    # Shown in this response only (not flashed: the session cookie is signed, not secret), so no
    # redirect after this POST; the page says to copy the key now.
    return _keys_page(new_key={"key": api_key, "plain": plain}, status=201)


@bp.post("/api-keys/<int:key_id>/revoke")
@staff_required(*roles.TEAM_LEAD)
def revoke_api_key(key_id):
    api_key = db.session.get(ApiKey, key_id) or abort(404)
    if api_key.revoked_at is None:
        api_keys.revoke_api_key(api_key, current_user)
        db.session.commit()
        flash(_("The key %(name)s (%(prefix)s…) is revoked: it no longer works.",
                name=api_key.name, prefix=api_key.prefix), "success")
    return redirect(url_for("purchases_admin.api_key_list"), 303)
