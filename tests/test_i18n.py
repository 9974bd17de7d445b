import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.factories import make_member
from tests.helpers import login, post_form

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "portal/translations/zh_Hant/LC_MESSAGES/messages.po"


def test_every_user_visible_string_has_a_chinese_translation(tmp_path):
    """Extract the messages from the code now and check each is translated in zh-Hant."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-o", str(pot), "--no-location", "--omit-header", "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f)
    translated = {
        m.id for m in catalogue
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }  # a plural message counts only when every plural form is translated
    missing = sorted(str(m) for m in wanted - translated)
    assert not missing, "untranslated in zh_Hant (run `make extract-messages`):\n" + "\n".join(missing)
    assert len(wanted) > 100


@pytest.mark.parametrize(("header", "lang", "text"), [
    ("zh-TW,zh;q=0.9,en;q=0.5", 'lang="zh-Hant"', "登入"),
    ("zh-HK", 'lang="zh-Hant"', "登入"),
    ("en-GB,en;q=0.8", 'lang="en"', "Log in"),
    ("fr-FR", 'lang="en"', "Log in"),
])
def test_the_browser_language_chooses_for_a_visitor(client, header, lang, text):
    html = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert lang in html and f">{text}</button>" in html


def test_the_footer_switcher_changes_the_language_and_a_member_keeps_it(client, app):
    member = make_member(name="Mei Lin", email="mei@example.com")
    response = post_form(client, "/language", {"language": "zh_Hant", "next": "/login"}, page="/login")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert 'lang="zh-Hant"' in client.get("/login").get_data(as_text=True)

    login(client, "mei@example.com")
    post_form(client, "/language", {"language": "zh_Hant", "next": "/"}, page="/")
    assert member.language == "zh_Hant"
    assert "Mei，您好" in client.get("/").get_data(as_text=True)

    fresh = app.test_client()  # another browser, English by default, logs in: Chinese follows her
    assert 'lang="en"' in fresh.get("/login").get_data(as_text=True)
    login(fresh, "mei@example.com")
    assert 'lang="zh-Hant"' in fresh.get("/").get_data(as_text=True)


def test_the_switcher_refuses_to_redirect_off_site_and_ignores_unknown_languages(client):
    response = post_form(client, "/language", {"language": "xx", "next": "https://evil.example/"}, page="/login")
    assert response.headers["Location"] == "/"
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


def test_a_get_request_cannot_switch_the_language(client):
    assert client.get("/language?language=zh_Hant").status_code == 405


def test_tier_names_and_benefits_are_shown_in_chinese(client, app):
    make_member(name="Mei Lin", email="mei@example.com", tier="gold", language="zh_Hant")
    login(client, "mei@example.com")
    html = client.get("/").get_data(as_text=True)
    assert "金牌會員" in html and "優先服務" in html


def test_a_language_chosen_before_login_is_kept_by_the_member_but_not_passed_on(client, app):
    mei = make_member(name="Mei Lin", email="mei@example.com")
    ann = make_member(name="Ann Lee", email="ann@example.com")
    post_form(client, "/language", {"language": "zh_Hant", "next": "/login"}, page="/login")
    login(client, "mei@example.com")
    assert mei.language == "zh_Hant"
    post_form(client, "/logout", {}, page="/")
    assert 'lang="zh-Hant"' in client.get("/login").get_data(as_text=True)
    login(client, "ann@example.com")  # the next person on this browser chose nothing
    assert ann.language == "en" and 'lang="en"' in client.get("/").get_data(as_text=True)


def test_templates_gettext_escapes_its_variables_and_takes_any_variable_name(plain_app):
    from flask import render_template_string
    from flask_babel import force_locale

    page = ("{{ _('Resolved %(when)s', when='<b>&') }}|{{ gettext('Search') }}|"
            "{% trans count=n, num='<i>' %}{{ num }} place left{% pluralize %}{{ num }} places left{% endtrans %}")
    assert render_template_string(page, n=2) == "Resolved &lt;b&gt;&amp;|Search|&lt;i&gt; places left"
    with force_locale("zh_Hant"):
        assert render_template_string(page, n=1).startswith("&lt;b&gt;&amp; 已解決|搜尋|")
    assert render_template_string("{{ _('100%% sure') }}") == "100% sure"  # always %-formatted, as Jinja's


def test_templates_translate_with_the_requests_translations_kept_until_its_locale_changes(plain_app):
    from flask import render_template_string, session
    from flask_babel import force_locale, gettext, lazy_gettext, refresh

    from portal.i18n import translations

    first = translations()
    assert translations() is first  # kept for the request: looked up once
    page = "{{ _('Points') }} {{ ngettext('Remember me for %(num)d day', 'Remember me for %(num)d days', 2) }}"
    assert render_template_string(page) == "Points Remember me for 2 days"
    with force_locale("zh_Hant"):
        assert translations() is not first
        assert render_template_string(page) == "積分 記住我 2 天"
    assert render_template_string(page) == "Points Remember me for 2 days"
    session["lang"] = "zh_Hant"  # as the language switcher does
    refresh()  # Flask-Babel chooses the locale again: the translations follow
    assert render_template_string(page) == "積分 記住我 2 天"
    assert gettext("Points") == str(lazy_gettext("Points")) == "積分"  # Python's strings share them


def test_dates_and_points_follow_the_readers_language_and_the_programmes_time_zone(plain_app):
    from datetime import UTC, date, datetime

    from flask import session
    from flask_babel import refresh

    from portal.presentation import calendar_date, signed_points

    new_year_in_taipei = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 01:00 on 1 January in Taipei
    assert calendar_date(date(2026, 12, 31)) == "31 Dec 2026"
    assert calendar_date(new_year_in_taipei) == "1 Jan 2027"
    assert calendar_date(new_year_in_taipei.replace(tzinfo=None)) == "1 Jan 2027"  # naive: UTC
    assert (signed_points(1200), signed_points(-120), signed_points(0)) == ("+1,200", "\u2212120", "0")
    session["lang"] = "zh_Hant"
    refresh()
    assert calendar_date(date(2026, 12, 31)) == "2026年12月31日"
    assert signed_points(12000) == "+12,000"
