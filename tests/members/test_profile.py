from urllib.parse import unquote

import pytest

from tests.factories import make_member, make_staff
from tests.helpers import login, post_form

PROFILE = {"name": "Mei Lin-Chen", "phone": "+886 912 000 111", "birthday_month": "3", "birthday_day": "14",
           "birth_year": "1990", "language": "en", "survey_emails": "y"}


@pytest.fixture
def mei(app):
    return make_member(name="Mei Lin", email="mei@example.com")


def test_member_pages_need_a_login(client):
    assert client.get("/").headers["Location"] == "/login"
    for path in ("/profile", "/points"):
        response = client.get(path)
        assert response.status_code == 302 and unquote(response.headers["Location"]).startswith(f"/login?next={path}")


def test_the_navigation_reaches_every_member_page_and_no_coming_soon_page(client, mei):
    login(client, "mei@example.com")
    home = client.get("/").get_data(as_text=True)
    nav = home[home.index('<nav aria-label="Member"'):]
    nav = nav[:nav.index("</nav>")]
    for path, label in (("/", "Home"), ("/events", "Events"), ("/rewards", "Rewards"), ("/card", "Card"),
                        ("/points", "Points"), ("/benefits", "Benefits"), ("/tickets", "My tickets"),
                        ("/profile", "Profile")):
        assert f'<a href="{path}"' in nav and f">{label}</a>" in nav, label
        assert client.get(path).status_code == 200, path


def test_the_navigation_marks_where_the_member_is(client, mei):
    login(client, "mei@example.com")
    assert '<a href="/rewards" aria-current="true">' in client.get("/rewards/my").get_data(as_text=True)
    assert '<a href="/rewards" aria-current="page">' in client.get("/rewards").get_data(as_text=True)
    profile = client.get("/profile").get_data(as_text=True)
    assert '<a href="/profile" aria-current="page">' in profile and '<summary class="current">' in profile
    assert '<a href="/events" aria-current="true">' in client.get("/events/mine").get_data(as_text=True)


def test_home_shows_tier_and_its_benefits(client, mei):
    login(client, "mei@example.com")
    html = client.get("/").get_data(as_text=True)
    assert "Hello, Mei" in html and "Regular" in html and "Birthday bonus" in html and mei.number in html


def test_staff_do_not_get_member_pages(client):
    make_staff("admin", email="lead@example.com")
    login(client, "lead@example.com")
    assert client.get("/profile").status_code == 403
    assert client.get("/").headers["Location"] == "/admin/"


def test_a_member_updates_contact_details_language_and_preferences(client, mei):
    login(client, "mei@example.com")
    response = post_form(client, "/profile", {**PROFILE, "language": "zh_Hant"})
    assert response.status_code == 303
    assert (mei.name, mei.phone, mei.birthday_month, mei.birthday_day, mei.birth_year) == (
        "Mei Lin-Chen", "+886 912 000 111", 3, 14, 1990)
    assert (mei.marketing_emails, mei.survey_emails, mei.event_reminders) == (False, True, False)
    assert mei.language == "zh_Hant"
    assert "您的個人資料已儲存" in client.get("/profile").get_data(as_text=True)


def test_bad_profile_input_gets_422_and_changes_nothing(client, mei):
    login(client, "mei@example.com")
    response = post_form(client, "/profile", {**PROFILE, "name": "", "birthday_day": "",
                                              "birth_year": "1800", "language": "xx"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("name", "birthday_day", "birth_year", "language"):
        assert f'id="{field}-error"' in html, field
    assert mei.name == "Mei Lin" and mei.birthday_month is None and mei.language == "en"


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(client, app, mei):
    other = app.test_client()
    login(other, "mei@example.com")
    login(client, "mei@example.com")
    response = post_form(client, "/profile/password",
                         {"current_password": "portal-demo", "new_password": "fresh and long secret"},
                         page="/profile")
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert login(other, "mei@example.com", "fresh and long secret").status_code == 303


def test_changing_the_password_needs_the_current_one(client, mei):
    login(client, "mei@example.com")
    response = post_form(client, "/profile/password",
                         {"current_password": "wrong one", "new_password": "fresh and long secret"},
                         page="/profile")
    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)
    assert login(client.application.test_client(), "mei@example.com").status_code == 303
