"""Unsubscribing in one click (issue 9 item 5): the signed link, the List-Unsubscribe headers of
RFC 2369 / RFC 8058 and the footer link of emails a member may turn off, the pages, and what it
stops afterwards."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.care import birthdays, unsubscribe
from portal.care.models import Notification
from portal.events import messages as event_messages
from portal.events import services as events
from portal.extensions import db
from portal.mail import outbox
from portal.mail.models import OutboxMessage
from portal.members.models import Member
from portal.models import utcnow
from portal.surveys import services as surveys
from portal.surveys.models import Invitation, Question, Survey
from tests.factories import make_event, make_member
from tests.helpers import as_received, html, login

ONE_CLICK = {"data": "List-Unsubscribe=One-Click", "content_type": "application/x-www-form-urlencoded"}


def survey_with_a_question(title="Tea survey"):
    survey = Survey(title=title, title_zh="茶問卷")
    survey.questions = [Question(kind="rating", text="How satisfied?", position=1)]
    db.session.add(survey)
    db.session.flush()
    return survey


def survey_email(member):
    """The newest survey invitation email to `member`."""
    return db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.member_id == member.id, OutboxMessage.template == "survey_invitation")
        .order_by(OutboxMessage.id.desc()).limit(1))


def path_of(url):
    return url.split("://", 1)[1].partition("/")[1] + url.split("://", 1)[1].partition("/")[2]


def fresh(member):
    db.session.expire_all()
    return db.session.get(Member, member.id)


@pytest.fixture
def invited(app):
    """Mei, invited to a survey by email: (Mei, the email, the path of its unsubscribe link)."""
    mei = make_member(name="Mei Lin", email="mei.unsub@example.com")
    surveys.invite(mei, survey_with_a_question())
    db.session.commit()
    message = survey_email(mei)
    return mei, message, path_of(message.unsubscribe_url)


# The token


def test_the_token_names_the_member_and_the_kind_and_refuses_any_change(app):
    mei, bea = make_member(), make_member()
    token = unsubscribe.unsubscribe_token(mei, "survey")
    assert unsubscribe.read_token(token) == (mei, "survey")
    assert unsubscribe.read_token(unsubscribe.unsubscribe_token(mei, "reminder")) == (mei, "reminder")
    assert unsubscribe.unsubscribe_token(mei, "survey") != unsubscribe.unsubscribe_token(bea, "survey")
    for bad in (token + "x", token[:-2], "x" + token, "", "not-a-token", token.replace(".", "", 1)):
        assert unsubscribe.read_token(bad) is None, bad
    # Signed with another salt (a survey link) or naming a kind that cannot be turned off: refused.
    assert unsubscribe.read_token(unsubscribe._serializer().dumps([mei.id, "security"])) is None
    assert unsubscribe.read_token(unsubscribe._serializer().dumps([True, "survey"])) is None
    assert unsubscribe.read_token(unsubscribe._serializer().dumps([999999, "survey"])) is None
    invitation = surveys.invite(bea, survey_with_a_question())
    assert unsubscribe.read_token(surveys.invitation_token(invitation)) is None
    with pytest.raises(ValueError):
        unsubscribe.unsubscribe_token(mei, "account")


# The email


def test_a_survey_email_carries_the_one_click_headers_and_the_visible_link(invited):
    mei, message, path = invited
    assert message.unsubscribe_url.startswith("http") and path.startswith("/unsubscribe/")
    email = as_received(message)
    assert email["List-Unsubscribe"] == f"<{message.unsubscribe_url}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = email.get_body(("plain",)).get_content()
    assert "\n-- \nYou receive this email because survey emails are on in your profile." in text
    assert "Unsubscribe from survey emails (one click, no login needed)\n" + message.unsubscribe_url in text
    body = email.get_body(("html",)).get_content()
    assert f'<a href="{message.unsubscribe_url}"' in body and "Unsubscribe from survey emails</a>" in body
    assert "Messages about your account are always sent" not in body
    # The portal's copy of the message leaves the footer out (the member is logged in there).
    notification = db.session.scalar(select(Notification).where(Notification.member_id == mei.id))
    assert notification.template == "survey_invitation" and notification.body
    assert "Unsubscribe" not in notification.body and "survey emails are on" not in notification.body


def test_the_footer_is_in_the_members_language_and_names_the_kind(app):
    mei = make_member(language="zh_Hant")
    surveys.invite(mei, survey_with_a_question())
    message = survey_email(mei)
    assert "取消訂閱" in message.body_text and "問卷" in message.body_text.partition("\n-- \n")[2]
    assert message.unsubscribe_url in message.body_text and message.unsubscribe_url in message.body_html


def test_account_and_security_emails_have_no_unsubscribe(app):
    mei = make_member()
    with app.test_request_context():
        outbox.queue_email("verify_email", mei.email, {"name": "Mei", "link": "http://x/v", "hours": 24},
                           member=mei, kind="security")
    events.register(mei, make_event())  # the confirmation is an account email
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.member_id == mei.id)).all()
    assert sorted(m.kind for m in messages) == ["account", "security"]
    for message in messages:
        email = as_received(message)
        assert message.unsubscribe_url is None
        assert "List-Unsubscribe" not in email and "List-Unsubscribe-Post" not in email
        assert "nsubscribe" not in email.get_body(("plain",)).get_content()
        assert "nsubscribe" not in email.get_body(("html",)).get_content()
    with pytest.raises(ValueError):
        outbox.queue_email("verify_email", mei.email, {"name": "Mei", "link": "l", "hours": 24},
                           kind="account", unsubscribe_url="http://x/unsubscribe/t")


def test_every_kind_a_member_may_turn_off_has_its_own_link_and_footer(app):
    mei = make_member(birthday_month=12, birthday_day=2, tier="gold")
    registration = events.register(mei, make_event(starts_at=utcnow() + timedelta(hours=12)))
    event_messages.send_reminders([registration.id])
    birthdays.greet_birthdays(date(2026, 12, 2), [mei.id])
    found = {m.kind: m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.member_id == mei.id))}
    assert set(found) == {"account", "reminder", "marketing"}
    assert found["account"].unsubscribe_url is None
    for kind, words in {"reminder": "event reminders", "marketing": "news and offers"}.items():
        message = found[kind]
        assert unsubscribe.read_token(path_of(message.unsubscribe_url).rpartition("/")[2]) == (mei, kind)
        assert f"because {words} are on in your profile" in message.body_text
        assert f"Unsubscribe from {words} (one click, no login needed)\n{message.unsubscribe_url}" in message.body_text
        assert f"Unsubscribe from {words}</a>" in message.body_html
        assert as_received(message)["List-Unsubscribe"] == f"<{message.unsubscribe_url}>"


# The pages


def test_the_one_click_post_turns_survey_emails_off_without_login_and_again_changes_nothing(client, invited):
    mei, _message, path = invited
    response = client.post(path, **ONE_CLICK)  # no session, no CSRF token: a mailbox provider's POST
    assert response.status_code == 200
    assert "You will no longer receive survey emails." in html(response)
    assert fresh(mei).survey_emails is False
    assert fresh(mei).marketing_emails is True and fresh(mei).event_reminders is True  # only that kind
    assert client.post(path, **ONE_CLICK).status_code == 200  # a provider retrying
    assert client.get(path).status_code == 200
    assert fresh(mei).survey_emails is False
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.member_id == mei.id)).all()
    assert [(e.action, e.after) for e in entries] == [("member.unsubscribe", {"survey_emails": False})]
    assert entries[0].actor_member_id == mei.id


def test_the_visible_link_turns_it_off_at_once_in_the_members_language_and_undo_turns_it_back_on(client, app):
    mei = make_member(language="zh_Hant")
    surveys.invite(mei, survey_with_a_question())
    db.session.commit()
    path = path_of(survey_email(mei).unsubscribe_url)
    page = client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'lang="zh-Hant"' in html(page) and "您將不再收到問卷電子郵件" in html(page)
    assert fresh(mei).survey_emails is False
    assert client.get(path).status_code == 200 and fresh(mei).survey_emails is False
    # The undo is a POST protected by the token alone (the page may have been open for hours).
    undo = client.post(path + "/undo")
    assert undo.status_code == 200 and fresh(mei).survey_emails is True
    assert client.post(path + "/undo").status_code == 200 and fresh(mei).survey_emails is True
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.member_id == mei.id)
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["member.unsubscribe", "member.resubscribe"]


def test_the_page_shows_the_undo_button_and_the_profile_link_and_no_member_data(client, invited):
    mei, _message, path = invited
    page = html(client.get(path))
    assert f'action="{path}/undo"' in page and ">Undo</button>" in page
    assert 'href="/profile"' in page
    for shown in (page, html(client.post(path + "/undo"))):
        assert mei.email not in shown and "Mei" not in shown and mei.number not in shown


def test_a_tampered_or_unknown_token_gets_a_clear_page_and_a_404_and_changes_nothing(client, invited):
    mei, _message, path = invited
    token = path.rpartition("/")[2]
    for bad in (token + "x", token[:-3], "nonsense", unsubscribe._serializer().dumps([999999, "survey"])):
        for method in (client.get, client.post):
            response = method(f"/unsubscribe/{bad}", **({"data": ONE_CLICK["data"]} if method == client.post else {}))
            assert response.status_code == 404
            assert "This unsubscribe link does not work" in html(response)
        assert client.post(f"/unsubscribe/{bad}/undo").status_code == 404
    assert fresh(mei).survey_emails is True
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.like("member.%"))) == 0


def test_the_profile_shows_survey_emails_off_after_unsubscribing(client, invited):
    mei, _message, path = invited
    client.post(path, **ONE_CLICK)
    login(client, mei.email)
    page = html(client.get("/profile"))
    boxes = {re.search(r'name="(\w+)"', tag).group(1): "checked" in tag
             for tag in re.findall(r'<input[^>]*type="checkbox"[^>]*>', page)}
    assert boxes == {"marketing_emails": True, "survey_emails": False, "event_reminders": True}


# What it stops


def test_the_next_survey_and_the_reminder_leave_the_member_out(client, invited):
    mei, _message, path = invited
    first = db.session.scalar(select(Invitation).where(Invitation.member_id == mei.id))
    first.emailed_at = utcnow() - timedelta(days=10)  # the reminder is due...
    db.session.commit()
    assert first.id in surveys.reminders_due()
    client.post(path, **ONE_CLICK)
    assert first.id not in surveys.reminders_due()  # ...but not to a member who unsubscribed
    mei = fresh(mei)
    emails_before = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.member_id == mei.id))
    assert surveys.invite(mei, survey_with_a_question("Next survey")) is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.member_id == mei.id)) == emails_before
    # After an undo they are invited again.
    client.post(path + "/undo")
    assert surveys.invite(fresh(mei), survey_with_a_question("Third survey")) is not None
