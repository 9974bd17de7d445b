"""Error pages in the visitor's language: 400, 403, 404, 405, 413, 429, 500."""

import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db
from portal.htmx import render_page

log = logging.getLogger("portal.errors")
PAGES = {400, 403, 404, 405, 413, 429, 500}


def wants_json():
    """The JSON API answers its errors in JSON, never with an HTML page."""
    return request.path.startswith("/api/")


def handle_http_error(error):
    if wants_json():
        return jsonify({"message": error.description or error.name}), error.code or 500
    code = error.code if error.code in PAGES else 500
    if isinstance(error, CSRFError):
        reason = "csrf"
    else:
        reason = None
    return render_page(f"errors/{code}.html", status=error.code or 500, reason=reason)


def handle_unexpected(error):
    log.exception("unhandled error", exc_info=error)
    db.session.rollback()
    if wants_json():
        return jsonify({"message": "Something went wrong on our side. Try again later."}), 500
    try:
        return render_page("errors/500.html", status=500, reason=None)
    except Exception:  # the page itself failed: answer without templates
        log.exception("the 500 page failed too")
        return render_template("errors/plain500.html"), 500


def init_app(app):
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
