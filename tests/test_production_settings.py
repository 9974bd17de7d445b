"""PORTAL_ENV=production refuses unsafe settings, each refusal naming the variable and the fix."""

import pytest

from portal import create_app
from portal.config import Config

SAFE = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "SMTP_HOST": "smtp.example.com",
    "PORTAL_BASE_URL": "https://members.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
CLEARED = ("PORTAL_SECRET_KEY", "PORTAL_SECURE_COOKIES", "PORTAL_ARGON2_MEMORY_KIB", "PORTAL_REMEMBER_DAYS")


@pytest.fixture
def production(monkeypatch):
    """Set the environment of a safe production deployment; tests then make one setting unsafe."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def refusal():
    with pytest.raises(RuntimeError) as raised:
        Config().check()
    return str(raised.value)


def test_safe_production_settings_pass(production):
    config = Config()
    config.check()
    assert config.production_problems() == []
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE


def test_development_accepts_what_production_refuses(production):
    production.setenv("PORTAL_ENV", "development")
    production.delenv("SMTP_HOST")
    production.delenv("REDIS_URL")
    Config().check()  # no error: held mail and inline jobs are fine on a laptop


def test_a_missing_or_weak_secret_key_is_refused(production):
    production.delenv("SECRET_KEY")
    assert "SECRET_KEY: set a random string of 32 characters" in refusal()
    production.setenv("SECRET_KEY", "short")
    assert "SECRET_KEY" in refusal()


def test_cookies_without_secure_are_refused(production):
    production.setenv("PORTAL_SECURE_COOKIES", "0")
    assert "PORTAL_SECURE_COOKIES: remove it or set it to 1" in refusal()


def test_argon2_memory_below_46_mib_is_refused(production):
    production.setenv("PORTAL_ARGON2_MEMORY_KIB", "19456")
    assert "PORTAL_ARGON2_MEMORY_KIB: set 47104 (46 MiB) or more." in refusal()
    production.setenv("PORTAL_ARGON2_MEMORY_KIB", "47104")
    Config().check()


def test_remember_me_over_30_days_is_refused(production):
    production.setenv("PORTAL_REMEMBER_DAYS", "31")
    assert "PORTAL_REMEMBER_DAYS: set a number of days from 1 to 30." in refusal()
    production.setenv("PORTAL_REMEMBER_DAYS", "30")
    Config().check()


def test_no_smtp_host_is_refused(production):
    production.delenv("SMTP_HOST")
    assert "SMTP_HOST: set the mail server" in refusal()


def test_the_default_base_url_is_refused(production):
    production.delenv("PORTAL_BASE_URL")
    assert "PORTAL_BASE_URL: set the portal's public address" in refusal()
    production.setenv("PORTAL_BASE_URL", "http://127.0.0.1:5000/")
    assert "PORTAL_BASE_URL" in refusal()


def test_no_redis_is_refused(production):
    production.delenv("REDIS_URL")
    assert "REDIS_URL: set the Redis server" in refusal()


def test_every_problem_is_listed_at_once(production):
    for name in ("SMTP_HOST", "REDIS_URL", "PORTAL_BASE_URL"):
        production.delenv(name)
    message = refusal()
    assert all(name in message for name in ("SMTP_HOST", "REDIS_URL", "PORTAL_BASE_URL"))


def test_create_app_refuses_to_start(production, tmp_path):
    production.delenv("SMTP_HOST")
    with pytest.raises(RuntimeError, match="SMTP_HOST"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
