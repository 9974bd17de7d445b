"""What a member is told: account emails also become notifications with a labelled link; security
emails (reset, verification) never do, and their links stay out of the log and the outbox page."""

import logging
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.care import notifications
from portal.care.messages import Link, tell_member, without_links
from portal.care.models import Notification
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.mail.outbox import queue_email
from tests.factories import make_member, make_reward, make_staff
from tests.helpers import login, post_form


def tell(app, member, reward_name="Coffee for two", kind="account"):
    reward = make_reward(name=reward_name, name_zh="咖啡兩杯")
    with app.test_request_context():
        told = tell_member(member, "reward_voucher",
                           {"name": member.first_name, "reward": reward, "code": "ABCD-EFGH-JKMN", "points": 300},
                           kind=kind, link=Link("rewards.voucher", _l("Open my voucher"), {"redemption_id": 7}))
    db.session.commit()
    return told


def test_an_account_email_is_also_a_notification_in_the_members_language_with_a_labelled_link(app):
    mei = make_member(name="Mei Lin", email="mei@example.com", language="zh_Hant")
    told = tell(app, mei)
    [item] = notifications.latest(mei)
    assert item.subject == "您兌換「咖啡兩杯」的兌換券" and "ABCD-EFGH-JKMN" in item.body
    assert "http" not in item.body  # the raw link is in the email, not in the portal
    assert item.link == "/rewards/my/7" and item.link_label == "開啟我的兌換券"
    assert "http://localhost/rewards/my/7" in told.message.body_text
    assert notifications.unread_count(mei) == 1


def test_a_security_email_never_becomes_a_notification(app):
    mei = make_member(name="Mei Lin", email="mei@example.com")
    with app.test_request_context():
        told = tell_member(mei, "reset_password", {"name": "Mei", "link": "http://localhost/password/reset/t",
                                                   "minutes": 60}, kind="security")
    assert told.notification is None and told.message.kind == "security"
    assert notifications.unread_count(mei) == 0


def test_someone_holding_a_members_session_cannot_read_her_reset_link_in_the_portal(app, client):
    """The defect: the reset link was copied into the notifications, so a session holder could reset."""
    mei = make_member(name="Mei Lin", email="mei@example.com")
    login(client, mei.email)
    post_form(client, "/password/forgot", {"email": mei.email})
    db.session.expire_all()
    reset = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "reset_password"))
    if reset is None:  # the reset email may be decided by a job: run what was queued inline
        reset = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_email == mei.email))
    assert reset is not None and reset.kind == "security"
    page = client.get("/notifications").get_data(as_text=True)
    assert "/password/reset/" not in page and "Choose a new password" not in page
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_security_links_are_never_logged_and_held_mail_prints_them_on_the_console_in_development(
        app, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with app.test_request_context():
        queue_email("verify_email", "x@example.com", {"name": "X", "link": "http://localhost/verify/SECRET",
                                                      "hours": 24}, kind="security")
    assert "SECRET" not in caplog.text
    assert "http://localhost/verify/SECRET" in capsys.readouterr().err  # development, no SMTP: held


def test_production_prints_no_links(app, caplog, capsys, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    with app.test_request_context():
        queue_email("verify_email", "x@example.com", {"name": "X", "link": "http://localhost/verify/SECRET",
                                                      "hours": 24}, kind="security")
    assert "SECRET" not in caplog.text and "SECRET" not in capsys.readouterr().err


def test_marketing_email_respects_the_preference_but_the_portal_still_tells(app):
    mei = make_member(name="Mei Lin", email="mei@example.com", marketing_emails=False)
    told = tell(app, mei, kind="marketing")
    assert told.message is None and told.notification is not None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_emails_to_no_member_make_no_notification(app):
    with app.test_request_context():
        queue_email("verify_email", "x@example.com", {"name": "X", "link": "l", "hours": 24}, kind="security")
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_without_links_keeps_the_text_and_drops_the_urls():
    text = "Hello,\n\nYour code:\n\nhttps://x.example/a?b=1\n\nThanks"
    assert without_links(text) == "Hello,\n\nYour code:\n\nThanks"


def test_opening_the_list_marks_what_it_showed_read_and_lists_only_ones_own(app, client):
    mei = make_member(name="Mei Lin", email="mei@example.com")
    ann = make_member(name="Ann Lee", email="ann@example.com")
    tell(app, mei, "Mei only")
    tell(app, mei, "Mei again")
    tell(app, ann, "Ann secret")
    login(client, mei.email)
    home = client.get("/").get_data(as_text=True)
    assert 'aria-label="Notifications: 2 unread"' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "Mei only" in page and "Mei again" in page and "Ann secret" not in page
    assert page.count('class="new"') == 2  # marked new on the showing that reads them
    assert '<a class="button secondary" href="/rewards/my/7">Open my voucher</a>' in page
    assert not re.search(r'aria-label="Notifications: \d+ unread"', page)  # the bell on this page is clear
    assert notifications.unread_count(mei) == 0 and notifications.unread_count(ann) == 1
    again = client.get("/notifications").get_data(as_text=True)
    assert 'class="new"' not in again


def test_new_is_unread_in_chinese(app, client):
    mei = make_member(name="Mei Lin", email="mei@example.com", language="zh_Hant")
    tell(app, mei)
    login(client, mei.email)
    page = client.get("/notifications").get_data(as_text=True)
    assert '<span class="new">未讀</span>' in page and "新增" not in page


def test_the_outbox_page_redacts_a_security_emails_links(app, client):
    with app.test_request_context():
        message = queue_email("reset_password", "x@example.com",
                              {"name": "X", "link": "http://localhost/password/reset/SECRET", "minutes": 60},
                              kind="security")
    db.session.commit()
    login(client, make_staff("admin").email)
    page = client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert "SECRET" not in page and "[link removed: security email]" in page


def test_notifications_need_a_member(client, app):
    assert client.get("/notifications").status_code == 302


def test_the_bells_count_comes_with_the_member_and_is_counted_again_once_it_may_have_changed(app):
    """auth.sessions loads the member with Member.unread_notifications (one statement for both); after
    a commit the value is gone (None) and unread_count() counts again, so a page never shows it stale."""
    from portal.members.models import Member

    mei = make_member(name="Mei Lin", email="mei@example.com")
    tell(app, mei, "One")
    db.session.commit()
    loaded = db.session.scalar(select(Member).options(notifications.with_unread_count())
                               .where(Member.id == mei.id).execution_options(populate_existing=True))
    assert loaded.unread_notifications == 1 and notifications.unread_count(loaded) == 1
    tell(app, mei, "Two")
    db.session.commit()
    assert loaded.unread_notifications is None and notifications.unread_count(loaded) == 2
