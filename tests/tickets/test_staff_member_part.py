"""The member's tickets on the staff member page: number, subject, status and due or resolved time,
linked to the staff ticket page only when it exists and the reader may read tickets; a fixed number
of queries for 2 and for 50 tickets (both databases)."""

from datetime import timedelta

from flask_login import login_user

from portal.extensions import db
from portal.models import utcnow
from portal.tickets import member_page
from tests.factories import make_member, make_staff, make_ticket
from tests.helpers import counting_queries, html, login


def staff_in(client, role):
    staff = make_staff(role, name=f"Pat {role.title()}")
    db.session.commit()
    login(client, staff.email)
    return staff


def section_of(page):
    return page[page.index('id="member-tickets"'):page.index('id="points"')]


def test_the_member_page_lists_the_members_tickets_with_their_clocks(client):
    now = utcnow()
    mei, other = make_member(name="Mei Lin"), make_member(name="Someone Else")
    late = make_ticket(mei, subject="Charged twice", now=now - timedelta(hours=30))
    waiting = make_ticket(mei, kind="consultation", subject="Voucher question", status="waiting_on_member",
                          now=now - timedelta(hours=3))
    done = make_ticket(mei, kind="feedback", subject="Loved the tasting", status="resolved",
                       now=now - timedelta(hours=5))
    soon = make_ticket(mei, kind="feedback", subject="Dark mode", now=now - timedelta(hours=1))
    make_ticket(other, subject="Not Mei's")
    staff_in(client, "service")
    section = section_of(html(client.get(f"/admin/members/{mei.id}")))
    assert "Not Mei&#39;s" not in section and "Not Mei's" not in section
    for ticket in (late, waiting, done, soon):
        assert ticket.number in section
    assert section.index(soon.number) < section.index(done.number) < section.index(late.number)  # newest first
    assert "Waiting on member" in section and "Paused: waiting on the member" in section
    assert "Resolved " in section and "Breached" in section and "Reply due" in section
    assert section.count("Breached") == 1  # only the late complaint


def test_each_ticket_links_to_the_staff_ticket_page_once_it_exists(client):
    mei = make_member()
    ticket = make_ticket(mei)
    staff_in(client, "service")
    section = section_of(html(client.get(f"/admin/members/{mei.id}")))
    if "tickets_admin.ticket" in client.application.view_functions:
        assert f'href="/admin/tickets/{ticket.number}"' in section
    else:  # the staff ticket pages are not there yet: plain numbers, and the page still renders
        assert "/admin/tickets/" not in section and ticket.number in section


def test_the_link_is_built_only_for_an_existing_endpoint_and_a_reader_of_tickets(client, monkeypatch):
    staff = staff_in(client, "expansion")
    with client.application.test_request_context():
        login_user(staff)
        monkeypatch.setattr(member_page, "url_for", lambda endpoint, **values: f"<{endpoint} {values['number']}>")
        monkeypatch.delitem(client.application.view_functions, "tickets_admin.ticket", raising=False)
        assert member_page.ticket_link() is None  # no staff ticket page
        monkeypatch.setitem(client.application.view_functions, "tickets_admin.ticket", lambda number: "")
        assert member_page.ticket_link() is None  # expansion staff do not read tickets
        staff.role = "operations"
        assert member_page.ticket_link()("T-2026-000001") == "<tickets_admin.ticket T-2026-000001>"


def test_the_part_runs_the_same_queries_for_2_and_50_tickets(client):
    few_member, many_member = make_member(), make_member()
    statuses = ("new", "in_progress", "waiting_on_member", "resolved", "closed")
    staff = make_staff("service")
    for n in range(2):
        make_ticket(few_member, subject=f"Few {n}", status=statuses[n], staff=staff)
    for n in range(50):
        make_ticket(many_member, subject=f"Many {n}", status=statuses[n % len(statuses)], staff=staff)
    staff_in(client, "service")
    client.get(f"/admin/members/{few_member.id}")  # warm up the session and the caches
    with counting_queries() as few:
        page = html(client.get(f"/admin/members/{few_member.id}"))
    assert "Few 1" in page
    with counting_queries() as many:
        page = html(client.get(f"/admin/members/{many_member.id}"))
    assert "Many 49" in page and "Many 0" in page and "The latest 50 tickets." not in page
    assert len(many) == len(few), (len(few), len(many))
    assert len([s for s in few if "FROM tickets" in s]) == 1
    make_ticket(many_member, subject="Many 50")
    db.session.commit()
    with counting_queries() as more:
        page = html(client.get(f"/admin/members/{many_member.id}"))
    assert "Many 50" in page and "Many 0" not in page and "The latest 50 tickets." in page
    assert len(more) == len(few)


def test_the_part_speaks_chinese(client):
    mei = make_member()
    make_ticket(mei, status="waiting_on_member")
    staff = make_staff("service", language="zh_Hant")
    db.session.commit()
    login(client, staff.email)
    section = section_of(html(client.get(f"/admin/members/{mei.id}")))
    assert "工單" in section and "Paused" not in section and "Number" not in section


def test_expansion_staff_do_not_see_the_members_tickets(client):
    mei = make_member()
    ticket = make_ticket(mei, subject="Charged twice")
    staff_in(client, "expansion")
    page = html(client.get(f"/admin/members/{mei.id}"))
    assert 'id="points"' in page  # the member page itself shows
    assert 'id="member-tickets"' not in page and ticket.number not in page and "Charged twice" not in page
