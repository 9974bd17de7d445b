"""Input that cannot be stored or sent: control characters in one-line fields, emails that cannot be
built, and ids beyond the database's integer range (on both databases: PostgreSQL raises)."""

import importlib
import pkgutil
import re
from datetime import timedelta

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

import portal
from jobs import mail as mail_jobs
from portal.extensions import db
from portal.forms import PortalForm, is_one_line, one_line
from portal.ids import MAX_ID
from portal.mail import outbox
from portal.mail.models import OutboxMessage
from tests.factories import make_member, make_reward
from tests.helpers import as_staff, csrf_token, login, post_form

MESSAGE = "Use one line of text, without line breaks or other control characters."
BAD = ["Mei\r\nBcc: evil@example.com", "Mei\nLin", "Mei\x00Lin", "Mei\tLin", "Mei\x1bLin", "Mei\x7fLin"]
HUGE = "99999999999999999999"


def html(response):
    return response.get_data(as_text=True)


# --- control characters in one-line fields --------------------------------------------------------


def all_forms():
    """Every form class in the portal's packages."""
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        importlib.import_module(module.name)
    seen, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen and sub.__module__.startswith("portal."):
                seen.add(sub)
            todo.append(sub)
    return seen


def test_every_portal_form_is_a_portal_form(app):
    forms = all_forms()
    assert len(forms) > 15
    plain = sorted(f.__qualname__ for f in forms if not issubclass(f, PortalForm))
    assert plain == [], "forms must derive from portal.forms.PortalForm"


def test_a_portal_form_adds_the_check_to_its_one_line_fields_only(app):
    from wtforms import EmailField, HiddenField, PasswordField, SearchField, StringField, TextAreaField
    from wtforms.validators import Length

    class Sample(PortalForm):
        name = StringField(validators=[Length(max=5)])
        email = EmailField()
        q = SearchField()
        notes = TextAreaField()
        password = PasswordField()
        key = HiddenField()

    with app.test_request_context():
        form = Sample(formdata=None, meta={"csrf": False})
        assert [f.name for f in form if one_line in f.validators] == ["name", "email", "q"]
        assert isinstance(form.name.validators[0], Length)  # its own validators are kept
        assert Sample.name.kwargs["validators"] == [Sample.name.kwargs["validators"][0]]  # class left alone


def test_text_areas_and_passwords_keep_their_line_breaks(app):
    from wtforms import HiddenField, PasswordField, StringField, TextAreaField
    from wtforms.fields import EmailField, SearchField

    assert is_one_line(StringField) and is_one_line(EmailField) and is_one_line(SearchField)
    assert not any(is_one_line(kind) for kind in (TextAreaField, PasswordField, HiddenField))


@pytest.mark.parametrize("bad", BAD)
def test_a_sign_up_name_with_a_control_character_gets_422(client, bad):
    response = post_form(client, "/signup", {"name": bad, "email": "sam@example.com",
                                             "password": "correct horse battery", "language": "en"})
    assert response.status_code == 422 and MESSAGE in html(response)
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_profile_name_and_phone_refuse_control_characters(client):
    member = make_member(name="Mei Lin", email="mei@example.com")
    login(client, "mei@example.com")
    for data in ({"name": "Mei\r\nLin"}, {"name": "Mei Lin", "phone": "0912\x00345678"}):
        response = post_form(client, "/profile", {"language": "en", **data})
        assert response.status_code == 422 and MESSAGE in html(response), data
    db.session.expire_all()
    assert member.name == "Mei Lin" and member.phone is None


def test_staff_reasons_reward_names_and_key_names_refuse_control_characters(client):
    member = make_member()
    reward = make_reward("Tea set", 50)
    as_staff(client, "admin")
    page = f"/admin/members/{member.id}"
    key = re.search(r'id="adjust-key" name="key" type="hidden" value="([^"]+)"', html(client.get(page))).group(1)
    attempts = [
        (f"/admin/members/{member.id}/points", {"points": "10", "reason": "Goodwill\r\nmore", "key": key}, page),
        (f"/admin/members/{member.id}/tier", {"tier": "gold", "reason": "VIP\x00"}, page),
        ("/admin/rewards/new", {"name": "Tote\nbag", "points_cost": "800", "min_tier": ""}, None),
        (f"/admin/rewards/{reward.id}", {"name": "Tea\x0bset", "points_cost": "50", "min_tier": ""}, None),
        ("/admin/api-keys", {"name": "Till\r\n2"}, None),
    ]
    for url, data, from_page in attempts:
        response = post_form(client, url, data, page=from_page)
        assert response.status_code == 422 and MESSAGE in html(response), url


def test_a_login_email_with_a_line_break_gets_422_not_a_lookup(client):
    response = post_form(client, "/login", {"email": "mei@example.com\r\nx", "password": "portal-demo"})
    assert response.status_code == 422


# --- emails that cannot be built ------------------------------------------------------------------


@pytest.fixture
def smtp_up(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server[0])


def queue(to_email, to_name="Mei Lin"):
    return outbox.queue_email("verify_email", to_email, {"name": "Mei", "link": "http://localhost/x", "hours": 24},
                              to_name=to_name)


@pytest.mark.parametrize(("to_email", "to_name", "reason"), [
    ("mei@example.com", "Mei\r\nBcc: evil@example.com", "The name has a line break"),
    ("mei@example.com\r\nBcc: evil@example.com", "Mei", "The address has a line break"),
    ("mei@example.com", "Mei\x1b", "The name has a line break or another control character"),
    ("not an address", "Mei", "is not an email address"),
    ("mei@example.com, evil@example.com", "", "is not an email address"),
])
def test_an_email_that_cannot_be_built_is_marked_failed_with_the_reason(
        app, smtp_up, mailbox, to_email, to_name, reason):
    message = queue(to_email, to_name)
    db.session.commit()  # the send job runs (inline here) and finds it cannot build the email
    db.session.refresh(message)
    assert message.status == "failed" and message.attempts == 1
    assert message.last_error.startswith("The email could not be built:") and reason in message.last_error
    assert mailbox.messages == []
    assert outbox.requeue_stale(older_than=timedelta(0)) == []  # never retried


def test_the_send_job_reports_failed_without_raising_so_it_is_not_retried(app, smtp_up, mailbox):
    message = queue("mei@example.com", "Mei\nLin")
    db.session.flush()
    assert mail_jobs.send_outbox_message(message.id) == "failed"
    db.session.refresh(message)
    assert message.status == "failed"


def test_a_good_email_still_goes_out(app, smtp_up, mailbox):
    message = queue("mei@example.com", "林美玲")
    db.session.commit()
    mailbox.wait_for("mei@example.com")
    db.session.refresh(message)
    assert message.status == "sent"


# --- ids beyond the database's range --------------------------------------------------------------


def test_every_int_in_a_route_is_bounded(app):
    converters = [(rule.rule, conv) for rule in app.url_map.iter_rules() for conv in rule._converters.values()
                  if isinstance(conv, IntegerConverter)]
    assert len(converters) >= 15
    assert [rule for rule, conv in converters if conv.max != MAX_ID] == []


def huge_urls(app):
    """Every route with an integer in its path, with that integer far beyond the database's range."""
    for rule in app.url_map.iter_rules():
        ints = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        if ints:
            path = rule.rule
            for name in ints:
                path = path.replace(f"<int:{name}>", HUGE)
            yield path, rule.methods - {"HEAD", "OPTIONS"}


def test_ids_beyond_the_range_in_any_path_answer_404(client, app):
    urls = list(huge_urls(app))
    assert len(urls) >= 15
    as_staff(client, "admin")
    token = csrf_token(client, "/admin/")
    for path, methods in urls:
        for method in methods:
            response = client.open(path, method=method, headers={"X-CSRFToken": token})
            # Werkzeug's matcher answers a POST whose id does not convert with 405 when a GET rule
            # shares the path; either way the id never reaches the database.
            expected = {404} if method == "GET" else {404, 405}
            assert response.status_code in expected, (method, path, response.status_code)
    response = client.get(f"/admin/rewards/{MAX_ID}")
    assert response.status_code == 404  # the largest id that fits is looked up, and not found


def test_member_urls_beyond_the_range_answer_404(client):
    make_member(email="mei@example.com")
    login(client, "mei@example.com")
    for path in (f"/rewards/{HUGE}", f"/rewards/{HUGE}/redeem", f"/rewards/my/{HUGE}", f"/rewards/{MAX_ID + 1}"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("value", [HUGE, str(MAX_ID + 1), f"-{HUGE}"])
def test_query_string_ids_beyond_the_range_answer_422(client, value):
    member = make_member(email="mei@example.com")
    login(client, "mei@example.com")
    response = client.get(f"/points?after={value}")
    assert response.status_code == 422 and "A number in the address is too large" in html(response)
    client.post("/logout", headers={"X-CSRFToken": csrf_token(client, "/")})
    as_staff(client, "admin")
    for path in (f"/admin/members/{member.id}?after={value}", f"/admin/audit?before={value}",
                 f"/admin/members?page={value}"):
        assert client.get(path).status_code == 422, path
    assert client.get(f"/admin/members/{member.id}?after={MAX_ID}").status_code == 200
    assert client.get("/admin/members?page=abc").status_code == 200  # not a number: ignored, as before
