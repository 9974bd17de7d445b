"""POST /api/v1/purchases: a point-of-sale system records a purchase with an API key.

JSON in, JSON out; no session and no CSRF token (the bearer key is the credential, and a browser
cannot send it across sites). Errors say which field is wrong and why.
"""

import hashlib
import json
from decimal import Decimal

from flask import Blueprint, current_app, jsonify, request
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from portal.extensions import csrf, db, limiter
from portal.purchases import api_keys, services

bp = Blueprint("api", __name__)
csrf.exempt(bp)
FIELDS = ("member", "amount", "purchased_at", "reference")


class ApiError(Exception):
    def __init__(self, status, message, errors=(), headers=None):
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, list(errors), headers or {}


@bp.errorhandler(ApiError)
def api_error(error):
    body = {"message": str(error.message)}
    if error.errors:
        body["errors"] = error.errors
    return jsonify(body), error.status, error.headers


def _key_of_caller():
    """The API key the request presents (hashed; valid or not), for the per-key limit."""
    return "api-key:" + hashlib.sha256(request.headers.get("Authorization", "").encode()).hexdigest()


def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, plain = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="portal"'}
    if scheme.lower() != "bearer" or not plain.strip():
        raise ApiError(401, "Send the API key in the header Authorization: Bearer <key>.", headers=challenge)
    api_key = api_keys.authenticate(plain.strip())
    if api_key is None:
        raise ApiError(401, "The API key is not valid or has been revoked.",
                       headers={"WWW-Authenticate": 'Bearer realm="portal", error="invalid_token"'})
    db.session.commit()  # last_used_at, kept even when the request itself is refused below
    return api_key


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _body():
    if not request.is_json:
        raise ApiError(415, "Send the purchase as JSON, with the header Content-Type: application/json.")
    try:
        data = json.loads(request.get_data(as_text=False) or b"", parse_float=Decimal,
                          parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ApiError(422, "The body is not valid JSON.", [
            {"field": None, "message": f"{error.msg} (line {error.lineno}, column {error.colno})."}]) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(422, "The body is not valid JSON.", [{"field": None, "message": str(error)}]) from None
    if not isinstance(data, dict):
        raise ApiError(422, "The body must be a JSON object.", [
            {"field": None, "message": "Send an object with member, amount, purchased_at and reference."}])
    return data


def _fields(data):
    """(member, amount, purchased_at, reference), or ApiError 422 listing every field at fault."""
    errors, values = [], {}
    for name in sorted(set(data) - set(FIELDS)):
        errors.append({"field": name, "message": "This field is not part of a purchase."})
    readers = {
        "member": services.find_member,
        "amount": services.parse_amount,
        "purchased_at": services.parse_purchased_at,
        "reference": services.clean_reference,
    }
    for name, read in readers.items():
        value = data.get(name)
        if name != "amount" and value is not None and not isinstance(value, str):
            errors.append({"field": name, "message": "This field must be a string."})
            continue
        try:
            values[name] = read(value)
        except services.PurchaseError as error:
            errors.append({"field": name, "message": str(error.message)})
    if "member" in values:
        try:
            services.check_member(values["member"])
        except services.PurchaseError as error:
            errors.append({"field": "member", "message": str(error.message)})
    if "purchased_at" in values:
        try:
            services.check_purchased_at(values["purchased_at"])
        except services.PurchaseError as error:
            errors.append({"field": "purchased_at", "message": str(error.message)})
    if errors:
        raise ApiError(422, "The purchase has invalid fields.", errors)
    return values["member"], values["amount"], values["purchased_at"], values["reference"]


def _purchase_body(purchase):
    member = purchase.member
    return {
        "id": purchase.id,
        "reference": purchase.reference,
        "member": member.number,
        "amount": str(purchase.amount),
        "purchased_at": purchase.purchased_at.isoformat(),
        "points": purchase.points,
        "balance": member.points_balance,
    }


@bp.post("/purchases")
@limiter.limit(lambda: current_app.config["API_LIMIT_PER_KEY"], key_func=_key_of_caller)
@limiter.limit(lambda: current_app.config["API_LIMIT_PER_ADDRESS"])
def create_purchase():
    """Record a purchase: 201 when new, 200 when the reference was already recorded for the same
    purchase, 409 when it was recorded for a different one, 422 for bad fields, 401 without a key."""
    with force_locale("en"):  # the API speaks English, whatever the caller's Accept-Language
        api_key = _authenticate()
        member, amount, purchased_at, reference = _fields(_body())
        for attempt in (1, 2):
            try:
                purchase, created = services.record_purchase(member, amount, purchased_at, reference, "api",
                                                             api_key=api_key)
                db.session.commit()
                break
            except services.ReferenceConflict as error:
                db.session.rollback()
                message = str(error.message)
                raise ApiError(409, message, [{"field": "reference", "message": message}]) from None
            except services.PurchaseError as error:
                db.session.rollback()
                raise ApiError(422, "The purchase has invalid fields.",
                               [{"field": error.field, "message": str(error.message)}]) from None
            except IntegrityError:
                # Another request recorded this reference (for another member) at the same moment:
                # look again, and answer as for a reference recorded earlier.
                db.session.rollback()
                if attempt == 2:
                    raise
        return jsonify(_purchase_body(purchase)), 201 if created else 200
