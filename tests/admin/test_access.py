from urllib.parse import unquote

import pytest
from flask import url_for
from sqlalchemy import select

from portal.auth.models import ROLES
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.mail.outbox import queue_email
from tests.factories import make_member, make_staff
from tests.helpers import login, post_form


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and unquote(response.headers["Location"]).startswith("/login?next=/admin/")


def test_a_member_gets_403_in_admin(client):
    make_member(email="mei@example.com")
    login(client, "mei@example.com")
    for path in ("/admin/", "/admin/outbox"):
        response = client.get(path)
        assert response.status_code == 403
        assert "You do not have access to this page" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_role_reaches_the_admin_home(client, role):
    staff = make_staff(role, name=f"Pat {role}")
    login(client, staff.email)
    response = client.get("/admin/")
    assert response.status_code == 200 and f"Signed in as Pat {role}" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["service", "operations", "expansion"])
def test_only_admins_read_the_outbox(client, role):
    staff = make_staff(role)
    login(client, staff.email)
    assert client.get("/admin/outbox").status_code == 403
    assert client.get("/admin/outbox/1").status_code == 403
    assert client.post("/admin/outbox/1/resend").status_code in (400, 403)


def test_an_admin_reads_held_mail_in_the_outbox(client, app):
    member = make_member(name="Ann Lee", email="ann@example.com")
    with app.test_request_context():
        message = queue_email("verify_email", member.email,
                              {"name": "Ann", "link": "http://localhost/verify/abc", "hours": 24},
                              member=member, to_name=member.name, kind="security")
    db.session.commit()
    lead = make_staff("admin")
    login(client, lead.email)
    listing = client.get("/admin/outbox").get_data(as_text=True)
    assert "ann@example.com" in listing and "Held" in listing and "No SMTP server is configured" in listing
    assert "Held (1)" in client.get("/admin/outbox?status=held").get_data(as_text=True)
    page = client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert "/verify/abc" not in page  # a security email: its link is the recipient's secret
    assert "Send again" not in page  # no SMTP server configured: nothing to send with
    assert client.get("/admin/outbox/999999").status_code == 404


def test_resending_needs_an_smtp_server(client, app):
    lead = make_staff("admin")
    with app.test_request_context():
        message = queue_email("verify_email", "x@example.com", {"name": "X", "link": "l", "hours": 24})
    db.session.commit()
    login(client, lead.email)
    response = post_form(client, f"/admin/outbox/{message.id}/resend", {}, page=f"/admin/outbox/{message.id}")
    assert response.status_code == 303
    assert db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message.id)) == "held"


@pytest.mark.parametrize("role", ["admin", "service", "operations", "expansion"])
def test_the_staff_navigation_shows_each_role_the_areas_it_may_enter_and_each_opens(client, app, role):
    """The navigation reads the role tuples (portal.auth.roles): a link shown is a page that opens."""
    from portal.auth.roles import STAFF_AREAS

    login(client, make_staff(role).email)
    home = client.get("/admin/").get_data(as_text=True)
    nav = home.split('class="tabs staff"', 1)[1].split("</nav>", 1)[0]
    with app.test_request_context():
        for area in STAFF_AREAS:
            shown = f'href="{url_for(area.endpoint)}"' in nav
            assert shown == (role == "admin" or role in area.roles), (role, area.endpoint)
            assert client.get(url_for(area.endpoint)).status_code == (200 if shown else 403), area.endpoint
