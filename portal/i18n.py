"""Language and time zone choice, the footer language switcher, localised data fields."""

from flask import Blueprint, current_app, g, has_app_context, redirect, request, session, url_for
from flask_babel import Domain, get_locale
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from portal.extensions import babel, db
from portal.security import safe_next

bp = Blueprint("i18n", __name__)

# Browser language tags that mean Traditional Chinese.
HANT = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def browser_language():
    """The best supported language in Accept-Language, else English."""
    for tag, _quality in request.accept_languages:
        tag = tag.lower()
        if tag.startswith(HANT) or tag == "zh":
            return "zh_Hant"
        if tag.startswith("en"):
            return "en"
    return "en"


def select_locale():
    """The member's own setting, else the switcher's choice this session, else the browser."""
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("lang") in languages:
        return session["lang"]
    return browser_language()


def select_timezone():
    return current_app.config["DEFAULT_TIMEZONE"]


def current_language():
    """The language code of this request, as stored on accounts ("en", "zh_Hant")."""
    return str(reader_locale() or "en")


def html_lang():
    """The BCP 47 tag for <html lang>."""
    return "zh-Hant" if current_language() == "zh_Hant" else "en"


def localized(obj, field):
    """`obj.<field>_zh` in Chinese when it is filled in, else `obj.<field>`."""
    if current_language() == "zh_Hant":
        value = getattr(obj, f"{field}_zh", None)
        if value:
            return value
    return getattr(obj, field)


@bp.post("/language")
def set_language():
    """Switch language; a logged-in account keeps the choice."""
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["lang"] = language
        session["lang_chosen"] = True
        if current_user.is_authenticated:
            current_user.language = language
            db.session.commit()
    target = request.form.get("next", "")
    return redirect(safe_next(target) or url_for("members.home"), 303)


class RequestDomain(Domain):
    """Flask-Babel's message domain, with the request's translations kept on `g` for the locale
    they were made for: Flask-Babel's own look-up costs ~10 µs a string, and a page has hundreds
    (labels, lazy strings, the template's own). A refresh() or a force_locale() changes
    Flask-Babel's locale object, and so the translations are looked up again."""

    def get_translations(self):
        if not has_app_context():
            return super().get_translations()
        kept = vars(g._get_current_object())  # one context look-up instead of one per attribute
        locale = getattr(kept.get("_flask_babel"), "babel_locale", None)
        cached = kept.get("portal_translations")
        if locale is None or cached is None or cached[0] is not locale:
            found = super().get_translations()
            cached = kept["portal_translations"] = (get_locale(), found)
        return cached[1]


def translations():
    """This request's translations (kept: see RequestDomain)."""
    return babel.domain_instance.get_translations()


def reader_locale():
    """The request's babel Locale, as flask_babel.get_locale() gives it, without its look-ups once
    chosen (a page formats dozens of dates and numbers)."""
    if has_app_context():
        locale = getattr(vars(g._get_current_object()).get("_flask_babel"), "babel_locale", None)
        if locale is not None:
            return locale
    return get_locale()


@pass_context
def template_gettext(context, string, /, **variables):
    """Templates' _() and gettext(): Jinja's "newstyle" gettext (escaped, always %-formatted), reading
    the request's kept translations directly. Jinja's own goes through three context calls (the `_`
    alias, its wrapper, the function it wraps) for each of a page's 50–150 strings."""
    text = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (our catalogue's text, as in Jinja's own; % escapes the variables)
    return text % variables


@pass_context
def template_ngettext(context, singular, plural, num, /, **variables):
    """Templates' ngettext() and {% trans count=… %}{% pluralize %}, as Jinja's newstyle one."""
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (as above)
    return text % variables


def init_app(app):
    app.register_blueprint(bp)
    if not isinstance(vars(babel).get("domain_instance"), RequestDomain):  # replaces a cached_property
        babel.domain_instance = RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    # Templates' _(), ngettext() and pgettext() (Flask-Babel installs the same, uncached).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
    app.jinja_env.globals.update(localized=localized, html_lang=html_lang,
                                 current_language=current_language)
