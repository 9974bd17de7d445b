"""The one place that knows about htmx request and response headers (htmx-flask underneath)."""

from flask import g, redirect, render_template
from htmx_flask import make_response as hx_make_response
from htmx_flask import request
from jinja2_fragments.flask import render_block


def is_partial():
    """True for an htmx request that wants a fragment: not boosted, not a history restore."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def render_page(template, block=None, status=200, **context):
    """Render the whole page, or only `block` for a partial htmx request; always Vary: HX-Request."""
    g.varies_on_htmx = True
    if block and is_partial():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return hx_make_response(body, status)


def hx_redirect(location, status=303):
    """Redirect: a 303 for a plain or boosted request, HX-Redirect for a partial htmx request."""
    if is_partial():
        return hx_make_response("", 204, redirect=location)
    return redirect(location, status)


def add_vary(response):
    """after_request: tell caches that the body depends on HX-Request where it does."""
    if g.get("varies_on_htmx"):
        response.vary.add("HX-Request")
    return response
