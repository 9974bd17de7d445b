"""Flask-Login wiring: one loader for members and staff, sessions that a version bump ends."""

from flask_babel import lazy_gettext as _l

from portal.auth.models import ACCOUNT_MODELS
from portal.extensions import db, login_manager


def load_account(user_id):
    """The member or staff user named by a session id "kind:id:version", if still valid."""
    try:
        kind, row_id, version = user_id.split(":")
        model = ACCOUNT_MODELS[kind]
        row_id, version = int(row_id), int(version)
    except (ValueError, KeyError, AttributeError):
        return None
    account = db.session.get(model, row_id)
    if account is None or account.session_version != version or not account.is_active:
        return None
    return account


def init_login(app):
    login_manager.init_app(app)
    login_manager.user_loader(load_account)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
