import re

from itsdangerous import TimestampSigner
from sqlalchemy import select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.factories import make_member, make_staff
from tests.helpers import csrf_token, login, post_form

LINK = re.compile(r"http://localhost(/password/reset/[\w.\-]+)")


def reset_mails():
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "reset_password")).all()


def ask_reset(client, email):
    return post_form(client, "/password/forgot", {"email": email})


def test_known_and_unknown_emails_get_the_same_answer_and_only_the_known_gets_mail(client, app):
    make_member(email="mei@example.com")
    known, unknown = ask_reset(client, "mei@example.com"), ask_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"] == "/password/forgot/sent"
    [mail] = reset_mails()
    assert mail.to_email == "mei@example.com" and LINK.search(mail.body_text)


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(client, app):
    member = make_member(email="mei@example.com")
    other_device = app.test_client()
    login(other_device, "mei@example.com")
    assert other_device.get("/").status_code == 200

    ask_reset(client, "mei@example.com")
    path = LINK.search(reset_mails()[0].body_text).group(1)
    page = client.get(path)
    assert page.status_code == 200 and "mei@example.com" in page.get_data(as_text=True)
    response = post_form(client, path, {"password": "a brand new secret"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"

    assert other_device.get("/").status_code == 302  # logged out there too
    assert login(client, "mei@example.com", "portal-demo").status_code == 422
    assert login(client, "mei@example.com", "a brand new secret").status_code == 303
    assert member.session_version == 2  # moved once, by the reset; logging in does not move it

    used = client.get(path)
    assert used.status_code == 400 and "already been used" in used.get_data(as_text=True)


def test_a_weak_new_password_is_refused_with_422(client, app):
    make_member(email="mei@example.com")
    ask_reset(client, "mei@example.com")
    path = LINK.search(reset_mails()[0].body_text).group(1)
    response = post_form(client, path, {"password": "123456789"})
    assert response.status_code == 422 and 'id="password-error"' in response.get_data(as_text=True)
    assert login(client, "mei@example.com", "portal-demo").status_code == 303


def test_a_reset_link_expires_after_an_hour(client, app, monkeypatch):
    make_member(email="mei@example.com")
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 3601)
    ask_reset(client, "mei@example.com")
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    response = client.get(LINK.search(reset_mails()[0].body_text).group(1))
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert app.config["RESET_LINK_MAX_AGE"] <= 3600


def test_staff_can_reset_their_password_too(client, app):
    make_staff("operations", email="ops@example.com")
    ask_reset(client, "ops@example.com")
    path = LINK.search(reset_mails()[0].body_text).group(1)
    post_form(client, path, {"password": "another good secret"})
    assert login(client, "ops@example.com", "another good secret").headers["Location"] == "/admin/"


def test_the_reset_link_of_a_verification_purpose_is_refused(client, app):
    """A token signed for one purpose does not work for another."""
    post_form(client, "/signup", {"name": "Ann", "email": "ann@example.com", "password": "correct horse 9",
                                  "language": "en"})
    verify = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "verify_email"))
    token = re.search(r"/verify/([\w.\-]+)", verify.body_text).group(1)
    assert client.get(f"/password/reset/{token}").status_code == 400
    assert csrf_token(client, "/login")


def test_a_bad_email_on_the_forgotten_password_form_gets_422_and_sends_nothing(client, app):
    response = post_form(client, "/password/forgot", {"email": "not an email"})
    assert response.status_code == 422 and 'id="email-error"' in response.get_data(as_text=True)
    assert reset_mails() == []


def test_the_request_does_the_same_work_for_known_and_unknown_emails(client, app, monkeypatch):
    """No enumeration by timing: the request queues one job either way and the job decides."""
    from jobs import accounts, queues
    from tests.helpers import counting_queries

    make_member(email="mei@example.com")
    make_staff("service", email="pat@example.com")
    db.session.commit()
    queued = []
    monkeypatch.setattr(queues, "run_or_enqueue", lambda func, args, *rest: queued.append((func, args)))
    work = {}
    for email in ("mei@example.com", "pat@example.com", "nobody@example.com", "NOBODY2@example.com"):
        token = csrf_token(client, "/password/forgot")
        with counting_queries() as statements:
            response = client.post("/password/forgot", data={"csrf_token": token, "email": email})
        assert response.status_code == 303
        work[email] = statements
    assert work["mei@example.com"] == work["pat@example.com"] == work["nobody@example.com"] == \
        work["NOBODY2@example.com"]
    assert [func for func, _ in queued] == ["jobs.accounts.send_password_reset"] * 4
    assert [args[0] for _, args in queued] == ["mei@example.com", "pat@example.com", "nobody@example.com",
                                               "nobody2@example.com"]
    assert reset_mails() == []  # nothing sent yet: the job decides

    for _, args in queued:
        accounts.send_password_reset(*args)
    assert sorted(mail.to_email for mail in reset_mails()) == ["mei@example.com", "pat@example.com"]
