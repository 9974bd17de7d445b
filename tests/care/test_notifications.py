import re

from sqlalchemy import func, select

from portal.care import notifications
from portal.care.models import Notification
from portal.extensions import db
from portal.mail.outbox import queue_email
from tests.conftest import login, post_form
from tests.factories import make_member


def email(app, member, link="http://localhost/x"):
    with app.test_request_context():
        queue_email("verify_email", member.email, {"name": member.first_name, "link": link, "hours": 24},
                    language=member.language, to_name=member.name, member=member)
    db.session.commit()


def test_every_email_to_a_member_is_also_a_notification_in_their_language(app):
    mei = make_member(name="Mei Lin", email="mei@example.com", language="zh_Hant")
    email(app, mei)
    [item] = notifications.latest(mei)
    assert item.subject == "確認您在會員服務平台的電子郵件" and "http://localhost/x" in item.body
    assert notifications.unread_count(mei) == 1


def test_emails_to_no_member_make_no_notification(app):
    with app.test_request_context():
        queue_email("verify_email", "x@example.com", {"name": "X", "link": "l", "hours": 24})
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_the_bell_counts_unread_and_the_page_lists_only_ones_own(app, client):
    mei = make_member(name="Mei Lin", email="mei@example.com")
    ann = make_member(name="Ann Lee", email="ann@example.com")
    email(app, mei, "http://localhost/mei-only")
    email(app, mei, "http://localhost/mei-again")
    email(app, ann, "http://localhost/ann-secret")
    login(client, mei.email)
    home = client.get("/").get_data(as_text=True)
    assert 'aria-label="Notifications: 2 unread"' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "mei-only" in page and "mei-again" in page and "ann-secret" not in page
    assert page.count('class="new"') == 2


def test_mark_all_read_is_a_post_and_clears_only_ones_own(app, client):
    mei = make_member(name="Mei Lin", email="mei@example.com")
    ann = make_member(name="Ann Lee", email="ann@example.com")
    email(app, mei)
    email(app, ann)
    login(client, mei.email)
    assert client.get("/notifications/read").status_code == 405
    response = post_form(client, "/notifications/read", {}, page="/notifications")
    assert response.status_code == 303 and response.headers["Location"] == "/notifications"
    assert notifications.unread_count(mei) == 0 and notifications.unread_count(ann) == 1
    html = client.get("/").get_data(as_text=True)
    assert not re.search(r'aria-label="Notifications: \d+ unread"', html)


def test_notifications_need_a_member(client, app):
    assert client.get("/notifications").status_code == 302
