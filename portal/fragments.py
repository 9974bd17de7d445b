"""Parts of the layout that depend on nothing but the language and the page (the member
navigation: nine links, their labels and which one is current): rendered once per app, language
and endpoint, then reused as they are. Rendering the navigation was ~8 % of a member page's CPU
(nine url_for() calls, nine translations, a macro per link, on every page).

Nothing here is a member's data, so nothing can show to the wrong member, and a new deployment
starts with an empty store. With templates reloading (debug), every request renders afresh.
"""

from flask import current_app, render_template, request
from markupsafe import Markup

from portal.i18n import current_language


def kept_fragment(template):
    """`template` rendered for this request's language and endpoint, kept for the next such request.
    Only for templates that read nothing but `request.endpoint`, `_()` and `url_for()`."""
    app = current_app._get_current_object()
    if app.jinja_env.auto_reload:
        return Markup(render_template(template))  # noqa: S704 (our own template, rendered with autoescape)
    kept = app.extensions.setdefault("portal_fragments", {})
    key = (template, current_language(), request.endpoint, request.script_root)
    fragment = kept.get(key)
    if fragment is None:
        fragment = kept[key] = Markup(render_template(template))  # noqa: S704 (as above)
    return fragment


def init_app(app):
    app.jinja_env.globals["kept_fragment"] = kept_fragment
