"""The member portal: create_app() configures the app, binds extensions, registers blueprints."""

import logging
from pathlib import Path

from flask import Flask
from jinja2 import StrictUndefined
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import Config
from portal.extensions import babel, csrf, db, limiter, migrate
from portal.extensions import htmx as htmx_extension


def create_app(config=None):
    """Build the app; `config` is a dict of settings that win over the environment."""
    # The application-factory pattern: features are imported when an app is built, so that
    # `import portal.extensions` (as jobs/ and the worker do) does not pull in every view.
    from jobs.queues import init_jobs
    from portal import assets, cli, compression, errors, fragments, i18n, ids, presentation, security, sqlite
    from portal.admin.views import bp as admin_bp
    from portal.api.views import bp as api_bp
    from portal.auth.admin import bp as staff_bp
    from portal.auth.roles import STAFF_AREAS
    from portal.auth.sessions import init_login
    from portal.auth.views import bp as auth_bp
    from portal.care.views import bp as care_bp
    from portal.events import member_page as _registrations_on_the_member_page  # noqa: F401 (adds its part)
    from portal.events.admin import bp as events_admin_bp
    from portal.events.timeline import register as register_events_activity
    from portal.events.views import bp as events_bp
    from portal.health import bp as health_bp
    from portal.members.admin import bp as members_admin_bp
    from portal.members.views import bp as members_bp
    from portal.purchases.admin import bp as purchases_admin_bp
    from portal.rewards import member_page as _redemptions_on_the_member_page  # noqa: F401 (adds its part)
    from portal.rewards.admin import admin_bp as rewards_admin_bp
    from portal.rewards.timeline import register as register_rewards_activity
    from portal.rewards.views import bp as rewards_bp
    from portal.surveys.admin import bp as surveys_admin_bp
    from portal.surveys.admin_results import bp as surveys_results_bp
    from portal.surveys.admin_send import bp as surveys_send_bp
    from portal.surveys.automatic import register as register_survey_triggers
    from portal.surveys.timeline import register as register_surveys_activity
    from portal.surveys.views import bp as surveys_bp
    from portal.tickets import member_page as _tickets_on_the_member_page  # noqa: F401 (adds its part)
    from portal.tickets.admin import bp as tickets_admin_bp
    from portal.tickets.timeline import register as register_tickets_activity
    from portal.tickets.views import bp as tickets_bp
    from portal.uploads.views import bp as uploads_bp

    settings = Config()
    for key, value in (config or {}).items():
        setattr(settings, key, value)
    if "UPLOAD_DIR" not in (config or {}):
        settings.UPLOAD_DIR = str(Path(settings.INSTANCE_DIR) / "uploads")  # follows an overridden instance dir
    settings.check()
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_path=settings.INSTANCE_DIR)
    app.config.from_object(settings)
    ids.init_app(app)
    if settings.PROXY_HOPS:
        # Behind N trusted proxies: the client's address is the Nth from the right in X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.PROXY_HOPS, x_proto=settings.PROXY_HOPS)
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.add_extension("jinja2.ext.do")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    db.init_app(app)
    sqlite.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    htmx_extension.init_app(app)
    init_jobs(app)
    if not app.config["RATELIMIT_STORAGE_URI"]:
        redis_up = not app.config["JOBS_INLINE"]
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] if redis_up else "memory://"
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    init_login(app)
    compression.init_app(app)  # before security: after_request runs last-registered first, so it compresses last
    security.init_app(app)
    i18n.init_app(app)
    presentation.init_app(app)
    fragments.init_app(app)
    app.jinja_env.globals["staff_areas"] = STAFF_AREAS  # the staff navigation and home read who sees what

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(care_bp)
    app.register_blueprint(rewards_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(uploads_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(tickets_bp)
    app.register_blueprint(rewards_admin_bp, url_prefix="/admin/rewards")
    app.register_blueprint(events_admin_bp, url_prefix="/admin/events")
    app.register_blueprint(surveys_admin_bp, url_prefix="/admin/surveys")
    app.register_blueprint(surveys_results_bp, url_prefix="/admin/surveys")
    app.register_blueprint(surveys_send_bp, url_prefix="/admin/surveys")
    app.register_blueprint(tickets_admin_bp, url_prefix="/admin/tickets")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(staff_bp, url_prefix="/admin")
    app.register_blueprint(members_admin_bp, url_prefix="/admin")
    app.register_blueprint(purchases_admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    register_rewards_activity()  # the timeline and the ledger's reasons, which members cannot import
    register_events_activity()
    register_surveys_activity()
    register_tickets_activity()
    register_survey_triggers()  # the after-event surveys, sent when staff check a member in
    errors.init_app(app)
    cli.init_app(app)
    assets.init_app(app)  # fingerprinted static files, served by WhiteNoise in front of the app
    return app
