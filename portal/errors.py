"""Error pages in the visitor's language: 400, 403, 404, 405, 413, 422, 429, 500."""

import logging
import math
import time
from datetime import datetime

from flask import jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db, limiter
from portal.htmx import render_page

log = logging.getLogger("portal.errors")
PAGES = {400, 403, 404, 405, 413, 422, 429, 500}


def wants_json():
    """The JSON API answers its errors in JSON, never with an HTML page."""
    return request.path.startswith("/api/")


def retry_after(error):
    """Whole seconds until a 429 ends (from Flask-Limiter's window or the error's own), else None."""
    if error.code != 429:
        return None
    if isinstance(error, RateLimitExceeded) and limiter.current_limit is not None:
        return max(1, math.ceil(limiter.current_limit.window.reset_time - time.time()))
    seconds = getattr(error, "retry_after", None)
    if isinstance(seconds, datetime):
        seconds = (seconds - datetime.now(seconds.tzinfo)).total_seconds()
    return max(1, math.ceil(seconds)) if seconds is not None else None


def handle_http_error(error):
    wait = retry_after(error)
    headers = {"Retry-After": str(wait)} if wait else {}
    if wants_json():
        return jsonify({"message": error.description or error.name}), error.code or 500, headers
    code = error.code if error.code in PAGES else 500
    if isinstance(error, CSRFError):
        reason = "csrf"
    else:
        reason = None
    response = render_page(f"errors/{code}.html", status=error.code or 500, reason=reason, retry_after=wait)
    response.headers.update(headers)
    return response


def handle_unexpected(error):
    log.exception("unhandled error", exc_info=error)
    db.session.rollback()
    if wants_json():
        return jsonify({"message": "Something went wrong on our side. Try again later."}), 500
    try:
        return render_page("errors/500.html", status=500, reason=None, retry_after=None)
    except Exception:  # the page itself failed: answer without templates
        log.exception("the 500 page failed too")
        return render_template("errors/plain500.html"), 500


def init_app(app):
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
