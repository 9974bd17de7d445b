"""Response headers, safe redirects and the CSRF token for htmx."""

from urllib.parse import urlsplit

from flask import current_app, request

from portal.htmx import add_vary

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)


def safe_next(target):
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def from_this_site():
    """False when the request says it comes from another site (its Origin, else its Referer): a
    check for forms that take no CSRF token. A request that says nothing (or "null", as a page with
    Referrer-Policy: no-referrer sends) passes: what protects such a form is its own secret."""
    said = request.headers.get("Origin")
    if not said or said == "null":
        said = request.headers.get("Referer")
    if not said:
        return True
    ours = {request.host, urlsplit(current_app.config.get("BASE_URL") or "").netloc} - {""}
    return urlsplit(said).netloc in ours


def security_headers(response):
    """The headers every response carries."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app):
    app.after_request(security_headers)
    app.after_request(add_vary)
