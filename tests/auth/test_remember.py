"""Remember me expires on the server; logout ends this login, "log out everywhere" ends them all."""

import time
from datetime import timedelta

import pytest
from flask_login.utils import decode_cookie, encode_cookie

from portal.auth.sessions import parse_session_id
from tests.factories import make_member
from tests.helpers import csrf_token, login, post_form

DAY = 86400


@pytest.fixture
def mei(app):
    return make_member(name="Mei Lin", email="mei@example.com")


def remembered_login(client, email="mei@example.com", password="portal-demo"):
    response = post_form(client, "/login", {"email": email, "password": password, "remember": "y"})
    assert response.status_code == 303
    return client.get_cookie("remember_token").value


def only_the_remember_cookie(client, value):
    """The browser closed (no session cookie) and came back with `value` as its remember cookie."""
    client.delete_cookie("session")
    client.set_cookie("remember_token", value)


def aged(app, cookie, days):
    """The same remember cookie, as if it had been issued `days` ago (signed with the app's key)."""
    with app.test_request_context():
        kind, row_id, version, issued, nonce = parse_session_id(decode_cookie(cookie))
        return encode_cookie(f"{kind}:{row_id}:{version}:{issued - int(days * DAY)}:{nonce}")


def test_the_remember_cookie_carries_its_issue_time(client, mei):
    before = int(time.time())
    cookie = remembered_login(client)
    with client.application.test_request_context():
        kind, row_id, version, issued, nonce = parse_session_id(decode_cookie(cookie))
    assert (kind, row_id, version) == ("member", mei.id, mei.session_version)
    assert before <= issued <= time.time() and len(nonce) == 16


def test_the_server_refuses_a_remember_cookie_older_than_the_setting(client, app, mei):
    cookie = remembered_login(client)
    only_the_remember_cookie(client, aged(app, cookie, 29))
    assert client.get("/").status_code == 200  # 29 days old: still good
    client.post("/logout", headers={"X-CSRFToken": csrf_token(client, "/")})  # ends the 29-day one
    cookie = remembered_login(client)
    only_the_remember_cookie(client, aged(app, cookie, 30.01))
    assert client.get("/").status_code == 302  # a copied cookie does not work for ever


def test_a_shorter_remember_setting_is_enforced_on_the_server(client, app, mei, monkeypatch):
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_DURATION", timedelta(days=7))
    cookie = remembered_login(client)
    only_the_remember_cookie(client, aged(app, cookie, 6))
    assert client.get("/").status_code == 200
    only_the_remember_cookie(client, aged(app, cookie, 7.01))
    assert client.get("/").status_code == 302


def test_a_tampered_issue_time_is_refused(client, app, mei):
    cookie = remembered_login(client)
    payload, _, digest = cookie.rpartition("|")
    kind, row_id, version, issued, nonce = payload.split(":")
    forged = f"{kind}:{row_id}:{version}:{int(time.time()) + 10 * DAY}:{nonce}|{digest}"
    only_the_remember_cookie(client, forged)
    assert client.get("/").status_code == 302


def test_a_password_change_ends_every_remember_cookie(client, app, mei):
    phone = app.test_client()
    phone_cookie = remembered_login(phone)
    login(client, "mei@example.com")
    response = post_form(client, "/profile/password",
                         {"current_password": "portal-demo", "new_password": "a brand new secret"}, page="/profile")
    assert response.status_code == 303
    only_the_remember_cookie(phone, phone_cookie)
    assert phone.get("/").status_code == 302
    assert client.get("/").status_code == 200  # the browser that changed it stays logged in


def test_log_out_everywhere_ends_every_session_and_remember_cookie(client, app, mei):
    phone = app.test_client()
    phone_cookie = remembered_login(phone)
    laptop = app.test_client()
    login(laptop, "mei@example.com")
    login(client, "mei@example.com")
    page = client.get("/profile").get_data(as_text=True)
    assert 'action="/profile/sessions/end"' in page and "Log out everywhere" in page

    response = post_form(client, "/profile/sessions/end", {}, page="/profile")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "You are logged out everywhere" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert laptop.get("/").status_code == 302
    only_the_remember_cookie(phone, phone_cookie)
    assert phone.get("/").status_code == 302
    assert login(client, "mei@example.com").status_code == 303  # she can log in again


def test_log_out_everywhere_is_a_post_with_csrf(client, mei):
    login(client, "mei@example.com")
    assert client.get("/profile/sessions/end").status_code == 405
    assert client.post("/profile/sessions/end").status_code == 400
    assert client.get("/").status_code == 200


def test_logout_ends_this_browsers_session_and_remember_cookie_but_not_the_others(client, app, mei):
    laptop = app.test_client()
    login(laptop, "mei@example.com")
    cookie = remembered_login(client)
    stolen_session = client.get_cookie("session").value
    client.post("/logout", headers={"X-CSRFToken": csrf_token(client, "/")})
    assert client.get_cookie("remember_token") is None  # the browser forgets it...
    client.set_cookie("session", stolen_session)
    assert client.get("/").status_code == 302  # ...and the server refuses a copy of either
    only_the_remember_cookie(client, cookie)
    assert client.get("/").status_code == 302
    assert laptop.get("/").status_code == 200  # her other login goes on


def test_the_login_page_says_how_long_remember_me_lasts(client, app, monkeypatch):
    assert "Remember me for 30 days" in client.get("/login").get_data(as_text=True)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_DURATION", timedelta(days=7))
    assert "Remember me for 7 days" in client.get("/login").get_data(as_text=True)
    assert "記住我 7 天" in client.get("/login", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
