"""The outbox: every email is stored, in the member's language, then sent once (jobs run inline here)."""

import email
import email.policy
import email.utils
import logging
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select, update

from jobs.queues import enqueue_after_commit
from portal.extensions import db
from portal.mail import outbox
from portal.mail.models import OutboxMessage
from portal.models import utcnow
from tests import services
from tests.factories import make_member

LINK = "http://localhost/verify/a-signed-token"
SEND_JOB = "jobs.mail.send_outbox_message"


@pytest.fixture
def smtp_up(app, smtp_server, monkeypatch):
    """Point the app at the test SMTP server."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server[0])


@pytest.fixture
def smtp_down(app, monkeypatch):
    """Point the app at a port where nothing listens."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", services.free_port())


@pytest.fixture
def logs(caplog, monkeypatch):
    """caplog, with the portal's loggers enabled again.

    migrations/env.py calls fileConfig(), which disables every logger that exists when the
    migrations run in this process (the `migrated_app` fixture runs them).
    """
    for name in ("portal.mail", "jobs"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.INFO)
    return caplog


def queue_verification(member=None, email=None, language="en", name="Mei Lin"):
    if member is not None:
        email, language, name = member.email, member.language, member.name
    return outbox.queue_email("verify_email", email, {"name": name, "link": LINK, "hours": 24},
                              language=language, to_name=name, member=member)


def reload(message):
    db.session.refresh(message)
    return message


def test_without_smtp_mail_is_held_in_the_members_language_and_the_console_shows_the_link(app, logs, capsys):
    member = make_member(name="林美玲", language="zh_Hant")
    message = queue_verification(member)
    db.session.commit()

    message = reload(message)
    assert (message.status, message.attempts, message.member_id) == ("held", 0, member.id)
    assert message.subject == "確認您在會員服務平台的電子郵件"
    assert "感謝您的加入" in message.body_text and LINK in message.body_text
    assert "確認我的電子郵件" in message.body_html and LINK in message.body_html
    assert 'lang="zh-Hant"' in message.body_html
    english = queue_verification(email="ann@example.com", language="en")
    assert english.subject == "Confirm your email for the Member Portal"
    assert "Thank you for joining" in english.body_text

    [record] = [r for r in logs.records if r.name == "portal.mail" and f"#{message.id}" in r.getMessage()]
    assert LINK not in record.getMessage()  # links never go to the log
    printed = capsys.readouterr().err  # held mail in development prints its link on the console
    assert LINK in printed and member.email in printed


def test_with_smtp_the_message_is_sent_once_the_transaction_commits(app, smtp_up, mailbox):
    member = make_member(name="林美玲", language="zh_Hant")
    message = queue_verification(member)
    assert message.status == "queued"
    assert mailbox.messages == []  # nothing leaves before the commit

    db.session.commit()
    [email] = mailbox.wait_for(member.email)
    assert email["To"] == f"林美玲 <{member.email}>"
    assert email["Subject"] == "確認您在會員服務平台的電子郵件"
    assert email["Message-ID"] == message.message_id
    assert email.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in email.iter_parts()] == ["text/plain", "text/html"]
    assert LINK in services.text_of(email) and "感謝您的加入" in services.text_of(email)
    assert LINK in services.html_of(email)
    message = reload(message)
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, None)
    assert message.sent_at is not None


def test_sending_a_message_again_never_sends_a_second_email(app, smtp_up, mailbox):
    message = queue_verification(email="ann@example.com")
    db.session.commit()
    mailbox.wait_for("ann@example.com")

    assert outbox.send_message(message.id) == "skipped"
    enqueue_after_commit(SEND_JOB, message.id)  # a second job for the same row
    db.session.commit()
    assert outbox.claim(message.id) is False
    assert len(mailbox.to("ann@example.com")) == 1
    assert reload(message).attempts == 1


def test_only_one_sender_can_claim_a_message(app, smtp_up, mailbox):
    message = queue_verification(email="ann@example.com")
    assert outbox.claim(message.id) is True
    assert outbox.claim(message.id) is False
    message = reload(message)
    assert (message.status, message.attempts) == ("sending", 1)
    assert message.claimed_at is not None

    db.session.commit()  # the job that queue_email enqueued finds it claimed by someone else
    assert mailbox.to("ann@example.com") == []


def test_a_savepoint_released_inside_the_transaction_is_not_its_commit(app, smtp_up, mailbox):
    """A SAVEPOINT (begin_nested, as surveys' invite() makes) released: the email still waits for the commit."""
    queue_verification(email="ann@example.com")
    with db.session.begin_nested():
        make_member(name="Bea")
    assert mailbox.to("ann@example.com") == []
    db.session.commit()
    assert len(mailbox.wait_for("ann@example.com")) == 1


def test_a_rolled_back_transaction_sends_nothing(app, smtp_up, mailbox):
    queue_verification(email="ann@example.com")
    db.session.rollback()
    db.session.commit()  # the forgotten job does not run on a later commit either
    assert mailbox.to("ann@example.com") == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_failed_send_that_will_be_retried_goes_back_to_the_queue(app, smtp_down, mailbox):
    message = queue_verification(email="ann@example.com")
    with pytest.raises(ConnectionRefusedError):
        outbox.send_message(message.id, final_attempt=False)
    db.session.flush()  # what the job commits, so that the job system can retry
    message = reload(message)
    assert (message.status, message.attempts) == ("queued", 1)
    assert "ConnectionRefusedError" in message.last_error


def test_the_last_failed_attempt_marks_it_failed_then_resend_sends_it(
        app, smtp_down, smtp_server, mailbox, monkeypatch):
    message = queue_verification(email="ann@example.com")
    with pytest.raises(ConnectionRefusedError):
        outbox.send_message(message.id, final_attempt=True)
    db.session.commit()  # as the job does; the job from queue_email then finds it failed
    message = reload(message)
    assert (message.status, message.attempts) == ("failed", 1)
    assert "ConnectionRefusedError" in message.last_error

    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server[0])
    outbox.resend(message)
    assert (message.status, message.last_error) == ("queued", None)
    assert mailbox.to("ann@example.com") == []
    db.session.commit()
    assert len(mailbox.to("ann@example.com")) == 1
    message = reload(message)
    assert (message.status, message.attempts) == ("sent", 2)


def test_an_inline_send_that_fails_does_not_break_the_commit(app, smtp_down, logs):
    message = queue_verification(email="ann@example.com")
    db.session.commit()  # without Redis there are no retries: the first failure is final
    message = reload(message)
    assert (message.status, message.attempts) == ("failed", 1)
    assert "ConnectionRefusedError" in message.last_error
    assert any("inline job" in r.getMessage() for r in logs.records if r.name == "jobs")


def test_resend_refuses_a_message_that_was_sent(app, smtp_up, mailbox):
    message = queue_verification(email="ann@example.com")
    db.session.commit()
    assert reload(message).status == "sent"
    with pytest.raises(ValueError):
        outbox.resend(message)
    db.session.commit()
    assert len(mailbox.to("ann@example.com")) == 1


def test_resend_refuses_when_no_smtp_server_is_configured(app):
    message = queue_verification(email="ann@example.com")
    with pytest.raises(ValueError):
        outbox.resend(message)
    assert reload(message).status == "held"


def test_requeue_stale_gives_back_what_a_dead_sender_left_and_sends_it(app, smtp_up, mailbox):
    stuck = queue_verification(email="stuck@example.com")
    busy = queue_verification(email="busy@example.com")
    assert outbox.claim(stuck.id) and outbox.claim(busy.id)  # both senders then die
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == stuck.id)
                       .values(claimed_at=utcnow() - timedelta(hours=2)))
    lost = OutboxMessage(template="verify_email", to_email="lost@example.com", language="en",
                         subject="Hello", body_text="Hello", body_html="<p>Hello</p>", status="queued",
                         created_at=utcnow() - timedelta(hours=2))  # its job never reached Redis
    db.session.add(lost)
    db.session.commit()
    assert mailbox.messages == []

    assert sorted(outbox.requeue_stale()) == sorted([stuck.id, lost.id])
    assert reload(stuck).status == "queued"
    assert reload(busy).status == "sending"  # just claimed: its sender may still be at it
    db.session.commit()
    assert len(mailbox.to("stuck@example.com")) == 1 and len(mailbox.to("lost@example.com")) == 1
    assert mailbox.to("busy@example.com") == []
    assert (reload(stuck).status, reload(stuck).attempts) == ("sent", 2)
    assert reload(lost).status == "sent"



@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_a_mail_merge_gives_what_rendering_each_email_gives(app, language):
    merge = outbox.MailMerge("verify_email", fields=("name", "to_name", "link"))
    for name, link in (("Mei <b>&amp;</b> \"Lin\"", LINK + "?a=1&b=<2>"), ("陳美玲", LINK + "/2"), ("", LINK)):
        context = {"to_name": name, "name": name, "link": link, "hours": 24}
        assert merge.render(context, language) == outbox.render_message("verify_email", context, language)
    unsubscribe = "http://localhost/unsubscribe/a&b"
    context = {"to_name": "Ann", "name": "Ann", "link": LINK, "hours": 48}
    assert (outbox.MailMerge("verify_email", kind="survey", fields=("name", "to_name", "link"))
            .render(context, language, unsubscribe)
            == outbox.render_message("verify_email", context, language, kind="survey", unsubscribe_url=unsubscribe))
    assert len(merge._rendered) == 1  # rendered once for the three recipients


def test_a_mail_merge_renders_again_when_a_shared_value_changes(app):
    merge = outbox.MailMerge("verify_email", fields=("name", "to_name", "link"))
    for hours in (24, 48):
        context = {"to_name": "Ann", "name": "Ann", "link": LINK, "hours": hours}
        assert merge.render(context, "en") == outbox.render_message("verify_email", context, "en")
    assert len(merge._rendered) == 2


def test_queue_email_refuses_a_merge_of_another_message(app):
    with pytest.raises(ValueError):
        outbox.queue_email("verify_email", "a@example.com", {"name": "A", "link": LINK, "hours": 24},
                           merge=outbox.MailMerge("password_reset"))


def test_an_email_keeps_long_headers_on_one_line_and_encodes_what_is_not_ascii(app):
    mei = make_member(name="陳美玲 " + "長" * 40, email="mei.headers@example.com", language="zh_Hant")
    message = queue_verification(mei)
    message.subject = "確認 " * 40
    message.unsubscribe_url = "http://localhost/unsubscribe/" + "x" * 150
    raw = outbox.build_email(message).as_bytes(policy=outbox.SMTP_LINES)
    assert b"\r\nList-Unsubscribe: <http://localhost/unsubscribe/" + b"x" * 150 + b">\r\n" in raw
    assert raw.isascii() and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    encoded_words = [word for line in raw.split(b"\r\n") for word in line.split() if word.startswith(b"=?")]
    assert encoded_words and all(len(word) <= 75 for word in encoded_words)  # RFC 2047
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)

    def decoded(header):  # as RFC 2047 reads them (Python's modern parser puts spaces between the words)
        return str(make_header(decode_header(parsed[header])))

    assert decoded("Subject") == message.subject and decoded("To") == f"{mei.name} <{mei.email}>"
    assert parsed["List-Unsubscribe"] == f"<{message.unsubscribe_url}>"


def test_an_address_in_another_script_goes_as_punycode_and_one_that_cannot_fails_alone(app, smtp_up, mailbox):
    idn = outbox.queue_email("verify_email", "mei@例え.jp", {"name": "Mei", "link": LINK, "hours": 24},
                             to_name="Mei Lin")
    local = outbox.queue_email("verify_email", "美玲@example.com", {"name": "Mei", "link": LINK, "hours": 24},
                               to_name="Mei Lin")
    db.session.commit()
    assert reload(idn).status == "sent"
    [received] = mailbox.to("mei@xn--r8jz45g.jp")
    assert received["To"].addresses[0].domain == "xn--r8jz45g.jp"
    assert reload(local).status == "failed" and "SMTPUTF8" in local.last_error


def test_a_from_name_in_chinese_keeps_its_address_readable_and_every_email_has_a_date(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FROM", "會員服務 <portal@example.com>")
    raw = outbox.build_email(queue_verification(email="mei@example.com")).as_bytes(policy=outbox.SMTP_LINES)
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert parsed["From"].endswith(" <portal@example.com>")
    assert str(make_header(decode_header(parsed["From"]))) == "會員服務 <portal@example.com>"
    assert email.utils.parsedate_to_datetime(parsed["Date"]).tzinfo is not None
    assert outbox.envelope_sender() == "portal@example.com"
