"""Anti-automation: failures counted per account and address, slow-down instead of lock-out, limits
on every endpoint that sends email or checks a secret, and the client's address behind proxies."""

import json

import pytest
from flask import request
from sqlalchemy import select

from portal import create_app
from portal.auth import throttle
from portal.config import Config
from portal.extensions import db, limiter
from portal.mail.models import OutboxMessage
from portal.purchases import api_keys
from tests.factories import make_member, make_staff
from tests.helpers import csrf_token, login, post_form, test_settings

ATTACKER, OWNER = "203.0.113.9", "198.51.100.20"


@pytest.fixture
def waits(monkeypatch):
    """The slow-down's waits, recorded instead of slept."""
    seen = []
    monkeypatch.setattr(throttle, "pause", seen.append)
    return seen


@pytest.fixture
def mei(app):
    return make_member(name="Mei Lin", email="mei@example.com")


def login_from(client, address, email, password="portal-demo", **headers):
    return post_form(client, "/login", {"email": email, "password": password},
                     environ_base={"REMOTE_ADDR": address}, headers=headers)


# --- no lock-out of others ------------------------------------------------------------------------


def test_failures_from_one_address_pause_only_that_address_for_that_account(client, mei, waits):
    for _ in range(5):
        assert login_from(client, ATTACKER, "mei@example.com", "wrong password").status_code == 422
    blocked = login_from(client, ATTACKER, "mei@example.com")  # even the right password
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # The owner, from her own address, still logs in with the right password.
    assert login_from(client, OWNER, "mei@example.com").status_code == 303


def test_an_account_tried_from_many_addresses_is_slowed_down_not_locked(client, mei, waits):
    for n in range(9):
        assert login_from(client, f"203.0.113.{n + 1}", "mei@example.com", "wrong").status_code == 422
    # Nothing waited for the first five failures; then ¼ s, ½ s, 1 s, 2 s before each check.
    assert [w for w in waits if w > 0] == [0.25, 0.5, 1.0, 2.0]
    assert waits[:5] == [0, 0, 0, 0, 0]
    waits.clear()
    assert login_from(client, OWNER, "mei@example.com").status_code == 303  # the right password works
    assert waits == [4.0]


def test_the_slow_down_stops_at_its_ceiling(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_DELAY_SECONDS", 3)
    with app.test_request_context():
        assert [throttle.delay_for(n) for n in (0, 4, 5, 6, 7, 8, 20)] == [0, 0, 0.25, 0.5, 1.0, 2.0, 3]


def test_wrong_passwords_on_unknown_emails_are_counted_like_on_real_ones(client, waits):
    for _ in range(5):
        assert login_from(client, ATTACKER, "nobody@example.com", "guess").status_code == 422
    assert login_from(client, ATTACKER, "nobody@example.com", "guess").status_code == 429


def test_twenty_failures_from_one_address_pause_it_for_every_account(client, mei, waits):
    for n in range(20):
        assert login_from(client, ATTACKER, f"guess{n}@example.com", "wrong").status_code == 422
    assert login_from(client, ATTACKER, "mei@example.com").status_code == 429
    assert login_from(client, OWNER, "mei@example.com").status_code == 303


def test_the_limits_and_window_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORTAL_LOGIN_WINDOW_SECONDS", "60")
    monkeypatch.setenv("PORTAL_LOGIN_FAILURES_PER_ACCOUNT", "3")
    monkeypatch.setenv("PORTAL_LOGIN_FAILURES_PER_ADDRESS", "9")
    monkeypatch.setenv("PORTAL_LOGIN_MAX_DELAY_SECONDS", "2.5")
    monkeypatch.setenv("PORTAL_SIGNUP_LIMIT_PER_EMAIL", "1 per day")
    monkeypatch.setenv("PORTAL_API_LIMIT_PER_KEY", "7 per second")
    config = Config()
    assert (config.LOGIN_WINDOW_SECONDS, config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
            config.LOGIN_MAX_FAILURES_PER_ADDRESS, config.LOGIN_MAX_DELAY_SECONDS) == (60, 3, 9, 2.5)
    assert (config.SIGNUP_LIMIT_PER_EMAIL, config.API_LIMIT_PER_KEY) == ("1 per day", "7 per second")


def test_the_settings_change_the_login_limits(client, mei, waits, monkeypatch):
    monkeypatch.setitem(client.application.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 2)
    for _ in range(2):
        assert login_from(client, ATTACKER, "mei@example.com", "wrong").status_code == 422
    assert login_from(client, ATTACKER, "mei@example.com").status_code == 429


# --- the client's address -------------------------------------------------------------------------


def test_a_forged_x_forwarded_for_is_ignored_without_trusted_proxies(client, mei, waits):
    assert client.application.config["PROXY_HOPS"] == 0
    for n in range(5):
        forged = {"X-Forwarded-For": f"192.0.2.{n + 1}"}
        assert login_from(client, ATTACKER, "mei@example.com", "wrong", **forged).status_code == 422
    assert login_from(client, ATTACKER, "mei@example.com", **{"X-Forwarded-For": OWNER}).status_code == 429


def test_behind_one_trusted_proxy_the_forwarded_address_is_the_clients(tmp_path):
    saved = dict(vars(limiter))  # create_app() rebinds the shared limiter: put it back after
    try:
        app = create_app(test_settings(f"sqlite:///{tmp_path}/x.db", tmp_path, PROXY_HOPS=1))
        app.add_url_rule("/_address", "address", lambda: request.remote_addr)
        client = app.test_client()
        seen = client.get("/_address", headers={"X-Forwarded-For": "192.0.2.1, 198.51.100.20"},
                          environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert seen.get_data(as_text=True) == "198.51.100.20"  # the one the proxy added, not the forged one
        plain = create_app(test_settings(f"sqlite:///{tmp_path}/y.db", tmp_path))
        plain.add_url_rule("/_address", "address", lambda: request.remote_addr)
        seen = plain.test_client().get("/_address", headers={"X-Forwarded-For": "198.51.100.20"},
                                       environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert seen.get_data(as_text=True) == "10.0.0.2"
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved)


# --- change password: per account, and wrong current passwords count as failed logins -----------


def change_password(client, current, new="a brand new secret", address=ATTACKER):
    return post_form(client, "/profile/password", {"current_password": current, "new_password": new},
                     page="/profile", environ_base={"REMOTE_ADDR": address})


def test_wrong_current_passwords_count_like_failed_logins(client, mei, waits):
    login(client, "mei@example.com")
    for _ in range(5):
        assert change_password(client, "not my password").status_code == 422
    assert change_password(client, "portal-demo").status_code == 429  # paused, even when right
    assert login_from(app_client(client), ATTACKER, "mei@example.com").status_code == 429  # login too
    db.session.expire_all()
    assert mei.session_version == 1  # the password did not change


def app_client(client):
    return client.application.test_client()


def test_password_changes_are_limited_per_account(client, mei, waits, monkeypatch):
    monkeypatch.setitem(client.application.config, "PASSWORD_CHANGE_LIMIT", "2 per hour")
    login(client, "mei@example.com")
    assert change_password(client, "portal-demo", "first new secret").status_code == 303
    assert change_password(client, "first new secret", "second new secret").status_code == 303
    assert change_password(client, "second new secret", "third new secret").status_code == 429
    other = app_client(client)  # the limit is the account's, not the browser's or the address's
    login_from(other, OWNER, "mei@example.com", "second new secret")
    assert change_password(other, "second new secret", "third new secret", address=OWNER).status_code == 429


# --- sign-up and forgotten password: per email and per address ------------------------------------


def sign_up(client, email, address=ATTACKER, password="correct horse battery"):
    return post_form(client, "/signup", {"name": "Sam Lee", "email": email, "password": password,
                                         "language": "en"}, environ_base={"REMOTE_ADDR": address})


def mails_to(email):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_email == email)).all()


def test_sign_ups_are_limited_per_email(client, monkeypatch):
    monkeypatch.setitem(client.application.config, "SIGNUP_LIMIT_PER_EMAIL", "2 per hour")
    assert sign_up(client, "sam@example.com", password="123").status_code == 422  # refused forms do not count
    for n in range(2):
        assert sign_up(client, "sam@example.com", address=f"192.0.2.{n}").status_code == 303
    blocked = sign_up(client, "SAM@example.com", address="192.0.2.99")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert len(mails_to("sam@example.com")) == 2  # a verification email, then "you already have an account"


def test_sign_ups_are_limited_per_address(client, monkeypatch):
    monkeypatch.setitem(client.application.config, "SIGNUP_LIMIT_PER_ADDRESS", "3 per hour")
    for n in range(3):
        assert sign_up(client, f"sam{n}@example.com").status_code == 303
    assert sign_up(client, "sam9@example.com").status_code == 429
    assert sign_up(client, "sam9@example.com", address=OWNER).status_code == 303
    assert mails_to("sam9@example.com")


def ask_reset(client, email, address=ATTACKER):
    return post_form(client, "/password/forgot", {"email": email}, environ_base={"REMOTE_ADDR": address})


def test_reset_requests_are_limited_per_email(client, mei, monkeypatch):
    monkeypatch.setitem(client.application.config, "RESET_LIMIT_PER_EMAIL", "2 per hour")
    assert ask_reset(client, "not an email").status_code == 422
    for n in range(2):
        assert ask_reset(client, "mei@example.com", address=f"192.0.2.{n}").status_code == 303
    assert ask_reset(client, "Mei@Example.com", address="192.0.2.99").status_code == 429
    assert len(mails_to("mei@example.com")) == 2


def test_reset_requests_are_limited_per_address(client, mei, monkeypatch):
    monkeypatch.setitem(client.application.config, "RESET_LIMIT_PER_ADDRESS", "3 per hour")
    for n in range(3):
        assert ask_reset(client, f"nobody{n}@example.com").status_code == 303
    assert ask_reset(client, "mei@example.com").status_code == 429
    assert mails_to("mei@example.com") == []
    assert ask_reset(client, "mei@example.com", address=OWNER).status_code == 303
    assert len(mails_to("mei@example.com")) == 1


# --- the POS API: per key and per address, 429 JSON with Retry-After -----------------------------


@pytest.fixture
def api_key(app):
    _, plain = api_keys.create_api_key("Till 1", make_staff("admin"))
    db.session.commit()
    return plain


def api_post(client, plain, address=ATTACKER):
    return client.post("/api/v1/purchases", data=json.dumps({}), content_type="application/json",
                       headers={"Authorization": f"Bearer {plain}"}, environ_base={"REMOTE_ADDR": address})


def test_the_api_is_limited_per_key_with_a_json_429_and_retry_after(client, api_key, monkeypatch):
    monkeypatch.setitem(client.application.config, "API_LIMIT_PER_KEY", "2 per minute")
    for n in range(2):
        assert api_post(client, api_key, address=f"192.0.2.{n}").status_code == 422  # bad body, good key
    blocked = api_post(client, api_key, address="192.0.2.99")
    assert blocked.status_code == 429 and blocked.is_json
    assert set(blocked.get_json()) == {"message"}
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    assert api_post(client, "another-key", address="192.0.2.99").status_code == 401  # other keys go on


def test_the_api_is_limited_per_address_whatever_the_key(client, api_key, monkeypatch):
    monkeypatch.setitem(client.application.config, "API_LIMIT_PER_ADDRESS", "3 per minute")
    for n in range(3):
        assert api_post(client, f"guess-{n}").status_code == 401
    blocked = api_post(client, api_key)
    assert blocked.status_code == 429 and blocked.is_json and "Retry-After" in blocked.headers
    assert api_post(client, api_key, address=OWNER).status_code == 422


def test_the_login_page_stays_usable_for_get_requests_while_paused(client, mei, waits):
    for _ in range(5):
        login_from(client, ATTACKER, "mei@example.com", "wrong")
    assert client.get("/login", environ_base={"REMOTE_ADDR": ATTACKER}).status_code == 200
    assert csrf_token(client)
