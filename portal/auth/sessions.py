"""Flask-Login wiring: one loader for members and staff; sessions end by version, age or logout."""

import time
from datetime import timedelta
from functools import cache

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import logout_user
from sqlalchemy import bindparam, delete, exists, select

from portal.auth.models import ACCOUNT_MODELS, EndedSession
from portal.extensions import db, login_manager
from portal.models import utcnow

CLOCK_SKEW_SECONDS = 300  # web processes' clocks may differ a little: a login "from the future" by less is fine
LOADED_WITH = {}  # account kind → functions giving loader options: what features read with the account


def load_with(kind, options):
    """Read `options()` (SQLAlchemy loader options) with every `kind` account a session loads, in
    the same statement: what every page shows (the member's bell) costs no statement of its own."""
    LOADED_WITH.setdefault(kind, []).append(options)
    _account_statement.cache_clear()


@cache
def _account_statement(kind):
    """The statement that loads a `kind` account by :row_id unless the login :nonce was ended. Built
    once per kind with bound parameters: building it for each request was a fifth of the cost of a
    logged-in request that does nothing else (/healthz: ~0.4 ms)."""
    model = ACCOUNT_MODELS[kind]
    ended = exists().where(EndedSession.nonce == bindparam("nonce"))
    return (select(model).options(*(options() for options in LOADED_WITH.get(kind, ())))
            .where(model.id == bindparam("row_id"), ~ended))


def parse_session_id(user_id):
    """(kind, row id, version, issued, nonce) from "kind:id:version:issued:nonce"; ValueError if malformed."""
    try:
        kind, row_id, version, issued, nonce = user_id.split(":")
        return kind, int(row_id), int(version), int(issued), nonce
    except (ValueError, AttributeError):
        raise ValueError("not a session id") from None


def session_age_limit():
    """How long a login lasts at most, remembered or not (PORTAL_REMEMBER_DAYS)."""
    return current_app.config["REMEMBER_COOKIE_DURATION"]


def load_account(user_id):
    """The member or staff user a session or remember cookie names, while that login is valid.

    It is not valid once the account's session version has moved on (password changed, "log out
    everywhere"), once it is older than PORTAL_REMEMBER_DAYS, or once it was logged out.
    """
    try:
        kind, row_id, version, issued, nonce = parse_session_id(user_id)
        statement = _account_statement(kind)
    except (ValueError, KeyError, AttributeError):
        return None
    if not -CLOCK_SKEW_SECONDS <= time.time() - issued <= session_age_limit().total_seconds():
        return None
    account = db.session.scalar(statement, {"row_id": row_id, "nonce": nonce})
    if account is None or account.session_version != version or not account.is_active:
        return None
    return account


def end_session(user_id):
    """Refuse this one session id (and the remember cookie that carries it) from now on."""
    try:
        _kind, _row_id, _version, issued, nonce = parse_session_id(user_id)
    except ValueError:
        return
    now = utcnow()
    db.session.execute(delete(EndedSession).where(EndedSession.expires_at < now))  # no longer needed
    expires = now + max(session_age_limit() - timedelta(seconds=time.time() - issued), timedelta(0))
    db.session.add(EndedSession(nonce=nonce, expires_at=expires))
    db.session.flush()


def forget_login():
    """This browser forgets the login: the session is cleared (its language kept, as no one's choice)
    and the remember cookie deleted. The caller has ended the login on the server first."""
    logout_user()
    language = session.get("lang")
    session.clear()
    session["_remember"] = "clear"  # logout_user() asked Flask-Login to delete the remember cookie: keep asking
    if language:
        session["lang"] = language


def init_login(app):
    login_manager.init_app(app)
    login_manager.user_loader(load_account)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
