"""Configuration: one class with safe defaults, then PORTAL_*, DATABASE_URL, REDIS_URL, SMTP_*."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from portal.dates import DEFAULT_ZONE

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
WEAK_SECRETS = {"", "dev", "change-me", "changeme", "secret"}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_REMEMBER_DAYS = 30
MIN_ARGON2_MEMORY_KIB = 46 * 1024  # OWASP's lowest recommended argon2id memory with t = 1


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _flag(name, default=False):
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(url):
    """Normalise a DATABASE_URL so PostgreSQL goes through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _dev_secret_key(instance_dir):
    """A random key kept under instance/ so development sessions survive a restart."""
    path = Path(instance_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Defaults that are safe to run; the environment overrides them."""

    def __init__(self):
        self.PORTAL_ENV = _env("PORTAL_ENV", "development")
        production = self.PORTAL_ENV == "production"
        instance_dir = Path(_env("PORTAL_INSTANCE_DIR", str(INSTANCE_DIR)))
        self.INSTANCE_DIR = str(instance_dir)

        self.SECRET_KEY = _env("SECRET_KEY") or _env("PORTAL_SECRET_KEY")
        if not self.SECRET_KEY and not production:
            self.SECRET_KEY = _dev_secret_key(instance_dir)

        self.SQLALCHEMY_DATABASE_URI = database_url(
            _env("DATABASE_URL", f"sqlite:///{instance_dir / 'portal.db'}")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = _env("REDIS_URL")

        self.SMTP_HOST = _env("SMTP_HOST")
        self.SMTP_PORT = int(_env("SMTP_PORT", "25"))
        self.SMTP_USERNAME = _env("SMTP_USERNAME")
        self.SMTP_PASSWORD = _env("SMTP_PASSWORD")
        self.SMTP_STARTTLS = _flag("SMTP_STARTTLS")
        self.SMTP_TIMEOUT = int(_env("SMTP_TIMEOUT", "20"))
        self.MAIL_FROM = _env("PORTAL_MAIL_FROM", "Member Portal <no-reply@portal.example>")
        # Seconds to wait before each retry of a failed send; the last failure marks it failed.
        self.MAIL_RETRY_INTERVALS = [
            int(s) for s in _env("PORTAL_MAIL_RETRY_INTERVALS", "30,120,600,1800").split(",")
        ]

        # Members per batch of a survey dispatch: a commit, and one SMTP connection, per batch.
        self.SURVEY_BATCH_SIZE = int(_env("PORTAL_SURVEY_BATCH_SIZE", "500"))

        # Tickets' SLA targets in calendar hours (half for members with priority_support), stored on
        # each ticket when it is filed: a change applies to new tickets only.
        self.TICKET_FIRST_RESPONSE_HOURS = float(_env("PORTAL_TICKET_FIRST_RESPONSE_HOURS", "24"))
        self.TICKET_COMPLAINT_HOURS = float(_env("PORTAL_TICKET_COMPLAINT_HOURS", "24"))
        self.TICKET_RESOLUTION_HOURS = float(_env("PORTAL_TICKET_RESOLUTION_HOURS", "48"))  # consultation, feedback
        self.TICKET_PRIORITY_FACTOR = float(_env("PORTAL_TICKET_PRIORITY_FACTOR", "0.5"))
        self.TICKET_AUTO_CLOSE_DAYS = int(_env("PORTAL_TICKET_AUTO_CLOSE_DAYS", "7"))
        self.TICKET_DUE_SOON_HOURS = float(_env("PORTAL_TICKET_DUE_SOON_HOURS", "2"))
        self.TICKET_ATTACHMENT_BYTES = int(_env("PORTAL_TICKET_ATTACHMENT_BYTES", str(5 * 1024 * 1024)))

        self.POINTS_EXPIRY_MONTHS = int(_env("PORTAL_POINTS_EXPIRY_MONTHS", "24"))
        self.QUALIFYING_MONTHS = 12  # tiers follow the qualifying points of the last 12 months
        self.MAX_ADJUSTMENT = 1_000_000
        # Points per currency unit spent, before the tier multiplier: floor(amount × rate × multiplier).
        self.POINTS_PER_CURRENCY_UNIT = _env("PORTAL_POINTS_PER_CURRENCY_UNIT", "1")
        self.MAX_PURCHASE_AMOUNT = 1_000_000
        self.UPLOAD_DIR = str(instance_dir / "uploads")
        # Where the fingerprinted static files and their .br/.gz copies are written at start
        # (portal/assets.py); None: instance/static.
        self.ASSETS_DIR = _env("PORTAL_ASSETS_DIR")
        self.MAX_PICTURE_BYTES = 2 * 1024 * 1024

        # The site's address in email links; by default where `make run` serves it (PORT, 5000).
        self.BASE_URL = _env("PORTAL_BASE_URL", f"http://127.0.0.1:{_env('PORT', '5000')}")
        self.PROGRAMME_NAME = _env("PORTAL_PROGRAMME_NAME", "Member Portal")
        self.DEFAULT_TIMEZONE = _env("PORTAL_TIMEZONE", DEFAULT_ZONE)

        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _flag("PORTAL_SECURE_COOKIES", production)
        # The remember cookie's id carries its issue time: the server refuses it after this many days.
        # At most 30 days anywhere (production refuses a longer setting outright, naming it).
        remember_days = int(_env("PORTAL_REMEMBER_DAYS", str(MAX_REMEMBER_DAYS)))
        self.REMEMBER_COOKIE_DURATION = timedelta(days=remember_days if production else min(remember_days,
                                                                                           MAX_REMEMBER_DAYS))
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

        self.MAX_CONTENT_LENGTH = int(_env("PORTAL_MAX_CONTENT_LENGTH", str(1024 * 1024)))
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

        self.VERIFY_LINK_MAX_AGE = int(_env("PORTAL_VERIFY_LINK_SECONDS", str(24 * 3600)))
        self.RESET_LINK_MAX_AGE = int(_env("PORTAL_RESET_LINK_SECONDS", str(3600)))

        # Argon2id, OWASP's first recommended setting: m = 46 MiB, t = 1, p = 1.
        self.ARGON2_MEMORY_KIB = int(_env("PORTAL_ARGON2_MEMORY_KIB", "47104"))
        self.ARGON2_TIME_COST = int(_env("PORTAL_ARGON2_TIME_COST", "1"))
        self.ARGON2_PARALLELISM = 1

        # Reverse proxies in front of the portal whose X-Forwarded-For is trusted (0: none, the
        # connection's address is the client's; a forged header changes nothing).
        self.PROXY_HOPS = int(_env("PORTAL_PROXY_HOPS", "0"))
        # Login failures (and wrong current passwords) within the window: an account from one
        # address is refused after the first limit, an address after the second; an account
        # attacked from many addresses is slowed down (each further try waits longer), never locked.
        self.LOGIN_WINDOW_SECONDS = int(_env("PORTAL_LOGIN_WINDOW_SECONDS", "900"))
        self.LOGIN_MAX_FAILURES_PER_ACCOUNT = int(_env("PORTAL_LOGIN_FAILURES_PER_ACCOUNT", "5"))
        self.LOGIN_MAX_FAILURES_PER_ADDRESS = int(_env("PORTAL_LOGIN_FAILURES_PER_ADDRESS", "20"))
        self.LOGIN_MAX_DELAY_SECONDS = float(_env("PORTAL_LOGIN_MAX_DELAY_SECONDS", "8"))
        # Emails and secrets (Flask-Limiter rate strings, e.g. "3 per hour"); a sign-up or reset
        # counts when it is accepted, every POS API request counts.
        self.SIGNUP_LIMIT_PER_EMAIL = _env("PORTAL_SIGNUP_LIMIT_PER_EMAIL", "3 per hour")
        self.SIGNUP_LIMIT_PER_ADDRESS = _env("PORTAL_SIGNUP_LIMIT_PER_ADDRESS", "10 per hour")
        self.RESET_LIMIT_PER_EMAIL = _env("PORTAL_RESET_LIMIT_PER_EMAIL", "3 per hour")
        self.RESET_LIMIT_PER_ADDRESS = _env("PORTAL_RESET_LIMIT_PER_ADDRESS", "10 per hour")
        self.PASSWORD_CHANGE_LIMIT = _env("PORTAL_PASSWORD_CHANGE_LIMIT", "10 per hour")
        self.TICKET_NEW_LIMIT = _env("PORTAL_TICKET_NEW_LIMIT", "10 per hour")  # new tickets per member
        self.TICKET_REPLY_LIMIT = _env("PORTAL_TICKET_REPLY_LIMIT", "30 per hour")  # member replies per member
        self.API_LIMIT_PER_KEY = _env("PORTAL_API_LIMIT_PER_KEY", "120 per minute")
        self.API_LIMIT_PER_ADDRESS = _env("PORTAL_API_LIMIT_PER_ADDRESS", "300 per minute")
        # None: Redis when REDIS_URL answers, else memory (decided in create_app).
        self.RATELIMIT_STORAGE_URI = _env("PORTAL_RATELIMIT_STORAGE_URI")
        self.RATELIMIT_HEADERS_ENABLED = False
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down mid-run: count in memory
        # Staff two-factor sign-in: "required" (staff must enrol before /admin) or "optional".
        self.STAFF_2FA = _env("PORTAL_STAFF_2FA", "required" if production else "optional").strip().lower()
        self.TWO_FACTOR_PENDING_SECONDS = 300  # the time between the password and the code

        self.LANGUAGES = {"en": "English", "zh_Hant": "中文"}
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_DEFAULT_TIMEZONE = "UTC"
        self.BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent / "translations")

        self.JOBS_INLINE = False  # decided in create_app: True when Redis does not answer

    def check(self):
        """Refuse to run in production with settings that would be unsafe there."""
        if self.STAFF_2FA not in ("required", "optional"):
            raise RuntimeError('PORTAL_STAFF_2FA must be "required" or "optional".')
        if self.PORTAL_ENV != "production":
            return
        problems = self.production_problems()
        if problems:
            raise RuntimeError("PORTAL_ENV=production refuses unsafe settings:\n- " + "\n- ".join(problems))

    def production_problems(self):
        """Each unsafe setting, as the variable to change and how."""
        problems = []
        key = self.SECRET_KEY or ""
        if key.lower() in WEAK_SECRETS or len(key) < 32:
            problems.append("SECRET_KEY: set a random string of 32 characters or more.")
        if not (self.SESSION_COOKIE_SECURE and self.REMEMBER_COOKIE_SECURE):
            problems.append("PORTAL_SECURE_COOKIES: remove it or set it to 1; cookies must be sent "
                            "over HTTPS only.")
        if self.ARGON2_MEMORY_KIB < MIN_ARGON2_MEMORY_KIB:
            problems.append(f"PORTAL_ARGON2_MEMORY_KIB: set {MIN_ARGON2_MEMORY_KIB} (46 MiB) or more.")
        if not timedelta(0) < self.REMEMBER_COOKIE_DURATION <= timedelta(days=MAX_REMEMBER_DAYS):
            problems.append(f"PORTAL_REMEMBER_DAYS: set a number of days from 1 to {MAX_REMEMBER_DAYS}.")
        if not self.SMTP_HOST:
            problems.append("SMTP_HOST: set the mail server that sends the portal's emails.")
        if not self.BASE_URL or urlsplit(self.BASE_URL).hostname in LOOPBACK_HOSTS:  # the default, or any local one
            problems.append("PORTAL_BASE_URL: set the portal's public address, e.g. https://members.example.com.")
        if not self.REDIS_URL:
            problems.append("REDIS_URL: set the Redis server (jobs, and rate limits shared by every "
                            "web process), e.g. redis://127.0.0.1:6379/0.")
        if self.STAFF_2FA != "required":
            problems.append('PORTAL_STAFF_2FA: remove it or set it to "required"; staff sign in with two factors.')
        return problems
