import re

from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members.models import Member
from tests.factories import make_member
from tests.helpers import login, post_form, tampered

LINK = re.compile(r"http://localhost(/verify/[\w.\-]+)")
GOOD = {"name": "Ann Lee", "email": "Ann@Example.com", "password": "correct horse 9", "language": "en"}


def outbox(template=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return db.session.scalars(query).all()


def count_members():
    return db.session.scalar(select(func.count()).select_from(Member))


def verification_path(email):
    message = [m for m in outbox("verify_email") if m.to_email == email][-1]
    return LINK.search(message.body_text).group(1)


def test_sign_up_makes_a_pending_member_at_the_lowest_tier_and_emails_a_link(client):
    response = post_form(client, "/signup", {**GOOD, "phone": "+886 912 345 678",
                                             "birthday_month": "2", "birthday_day": "29"})
    assert response.status_code == 303 and response.headers["Location"] == "/signup/sent"
    member = db.session.scalar(select(Member).where(Member.email == "ann@example.com"))
    assert member.status == "pending" and member.tier.code == "regular"
    assert (member.birthday_month, member.birthday_day, member.phone) == (2, 29, "+886 912 345 678")
    assert member.password_hash.startswith("$argon2id$")
    [message] = outbox("verify_email")
    assert message.to_email == "ann@example.com" and message.member_id == member.id
    assert LINK.search(message.body_text) and LINK.search(message.body_html)
    assert "ann@example.com" in client.get("/signup/sent").get_data(as_text=True)


def test_sign_up_in_chinese_sends_the_email_in_chinese(client):
    post_form(client, "/signup", {**GOOD, "language": "zh_Hant"})
    [message] = outbox("verify_email")
    assert message.language == "zh_Hant"
    assert message.subject == "確認您在會員服務平台的電子郵件"
    assert "感謝您的加入" in message.body_text


def test_bad_sign_up_answers_422_with_errors_by_the_fields_and_saves_nothing(client):
    response = post_form(client, "/signup", {
        "name": "", "email": "not-an-email", "password": "password", "language": "en",
        "birthday_month": "2", "birthday_day": "30", "phone": "call me",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("name", "email", "password", "phone", "birthday_day"):
        assert f'id="{field}-error"' in html, field
    assert "This password is too common" in html
    assert "That day does not exist in that month." in html
    assert count_members() == 0 and outbox() == []


def test_sign_up_with_a_known_email_answers_the_same_and_warns_the_owner(client):
    make_member(name="Mei Lin", email="mei@example.com")
    known = post_form(client, "/signup", {**GOOD, "email": "MEI@example.com"})
    unknown = post_form(client, "/signup", {**GOOD, "email": "new@example.com"})
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    assert count_members() == 2
    [notice] = outbox("signup_exists")
    assert notice.to_email == "mei@example.com" and "/password/forgot" in notice.body_text


def test_htmx_sign_up_gets_the_form_fragment_back_with_errors(client):
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/signup").get_data(as_text=True)).group(1)
    response = client.post("/signup", data={"email": "x"}, headers={"HX-Request": "true", "X-CSRFToken": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith("<form") and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_the_verification_link_confirms_on_post_only_and_works_once(client):
    post_form(client, "/signup", GOOD)
    path = verification_path("ann@example.com")
    page = client.get(path)
    assert page.status_code == 200 and "Confirm my email" in page.get_data(as_text=True)
    assert db.session.scalar(select(Member.status)) == "pending"  # opening the link changes nothing

    response = post_form(client, path, {})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    member = db.session.scalar(select(Member))
    assert member.status == "active" and member.email_verified_at is not None

    again = client.get(path)
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    assert login(client, "ann@example.com", "correct horse 9").headers["Location"] == "/"


def test_a_tampered_link_gets_a_clear_400_page(client):
    post_form(client, "/signup", GOOD)
    path = verification_path("ann@example.com")
    response = client.get(tampered(path))
    assert response.status_code == 400
    assert "The link is not valid" in response.get_data(as_text=True)
    assert client.get("/verify/garbage").status_code == 400


def test_a_verification_link_expires_after_24_hours(client, monkeypatch):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 24 * 3600 - 5)
    post_form(client, "/signup", GOOD)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    response = client.get(verification_path("ann@example.com"))
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_the_link_error_page_speaks_the_visitors_language(client):
    response = client.get("/verify/garbage", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "這個連結無法使用" in html and 'lang="zh-Hant"' in html


def test_an_unverified_member_cannot_log_in_and_gets_a_new_link(client):
    post_form(client, "/signup", GOOD)
    response = login(client, "ann@example.com", "correct horse 9")
    assert response.status_code == 422
    assert "Please verify your email first" in response.get_data(as_text=True)
    assert len(outbox("verify_email")) == 2
    wrong = login(client, "ann@example.com", "wrong password!")
    assert "The email or password is not right." in wrong.get_data(as_text=True)
    assert len(outbox("verify_email")) == 2
