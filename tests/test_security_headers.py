import re

import pytest

from tests.factories import make_member
from tests.helpers import csrf_token, login, post_form


@pytest.mark.parametrize("path", ["/login", "/signup", "/does-not-exist"])
def test_every_page_sends_the_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script(client):
    html = client.get("/signup").get_data(as_text=True)
    assert "<script>" not in html and "onclick" not in html and " style=" not in html
    assert re.search(r'src="/static/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js"', html)  # fingerprinted


def test_pages_that_answer_htmx_differently_vary_on_hx_request(client):
    full = client.get("/signup")
    partial = client.get("/signup", headers={"HX-Request": "true"})
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in partial.headers["Vary"]
    assert "<html" in full.get_data(as_text=True) and "<html" not in partial.get_data(as_text=True)
    boosted = client.get("/signup", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_the_csrf_token_is_in_hx_headers_for_htmx_requests(client):
    html = client.get("/login").get_data(as_text=True)
    token = csrf_token(client, "/login")
    assert '"X-CSRFToken": "' in html
    assert token.split(".")[0] in html


def test_oversized_bodies_get_413(client):
    response = client.post("/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "That is too large" in response.get_data(as_text=True)


def test_unknown_routes_get_the_404_page_in_both_languages(client):
    english = client.get("/nowhere")
    chinese = client.get("/nowhere", headers={"Accept-Language": "zh-Hant-TW"})
    assert english.status_code == chinese.status_code == 404
    assert "Page not found" in english.get_data(as_text=True)
    assert "找不到頁面" in chinese.get_data(as_text=True)


def test_a_failure_inside_a_view_gets_the_500_page_and_rolls_back(client, app, monkeypatch):
    import portal.members.views as views

    make_member(email="mei@example.com")
    login(client, "mei@example.com")

    def broken(**_):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "render_page", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)


def test_error_pages_speak_chinese_too(client):
    member = make_member(email="mei@example.com", language="zh_Hant")
    login(client, member.email)
    forbidden = client.get("/admin/")
    assert forbidden.status_code == 403 and "您沒有權限查看此頁面" in forbidden.get_data(as_text=True)
    not_allowed = client.get("/logout")
    assert not_allowed.status_code == 405 and "此處無法執行這個動作" in not_allowed.get_data(as_text=True)
    too_large = client.post("/profile", data={"name": "x" * (2 * 1024 * 1024)})
    assert too_large.status_code == 413 and "內容太大" in too_large.get_data(as_text=True)
    no_csrf = client.post("/profile", data={"name": "x"})
    assert no_csrf.status_code == 400 and "表單已過期" in no_csrf.get_data(as_text=True)


def test_the_429_page_speaks_chinese(client):
    make_member(email="mei@example.com", language="zh_Hant")
    for _ in range(5):
        login(client, "mei@example.com", "wrong password")
    blocked = post_form(client, "/login", {"email": "mei@example.com", "password": "portal-demo"},
                        headers={"Accept-Language": "zh-TW"})
    assert blocked.status_code == 429 and "嘗試次數過多" in blocked.get_data(as_text=True)
