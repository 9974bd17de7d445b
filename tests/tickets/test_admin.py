"""Tickets for staff at /admin/tickets on both databases: who may see and change them; the queue's
filters, counts, order and paging; a ticket's page (the conversation with internal notes, replies
emailed to the member, saved replies, status moves, assignment, two staff answering at once, the
member at the side); htmx fragments; attachments; a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from werkzeug.datastructures import MultiDict

from portal.demo import demo_picture
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members import ledger
from portal.models import utcnow
from portal.surveys import services as surveys
from portal.surveys.models import Invitation, Survey
from portal.tickets import services
from portal.tickets.models import OPEN_STATUSES, SavedReply, Ticket, TicketMessage
from tests.factories import make_member, make_staff, make_ticket
from tests.helpers import counting_queries, csrf_token, html, login

PNG = demo_picture((10, 20, 30), (200, 100, 50), "circle")
HX = {"HX-Request": "true"}


def fresh(client):
    """A new client of the same app (nobody logged in)."""
    return client.application.test_client()


def as_role(client, role, name=None):
    staff = make_staff(role, name=name or f"Pat {role.title()}")
    db.session.commit()
    login(client, staff.email)
    return staff


def post(client, url, data, page, **kwargs):
    token = csrf_token(client, page)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def emails(template):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                              .order_by(OutboxMessage.id)).all()


def base(ticket):
    return f"/admin/tickets/{ticket.number}"


# --- who may see and change -------------------------------------------------------------------------

@pytest.fixture
def filed(app):
    mei = make_member(name="Mei Lin", language="zh_Hant")
    ticket = make_ticket(mei, subject="Voucher refused", body="At the till.", files=[("a.png", PNG)])
    db.session.commit()
    return mei, ticket


def test_service_and_admin_change_operations_read_expansion_is_refused(client, filed):
    mei, ticket = filed
    attachment = ticket_attachment_id(ticket)
    gets = ["/admin/tickets/", "/admin/tickets/?clock=breached", base(ticket),
            f"{base(ticket)}/files/{attachment}"]
    posts = [(f"{base(ticket)}/reply", {"body": "Hi", "seen_version": str(ticket.version), "action": "note"}),
             (f"{base(ticket)}/assign", {"me": "1"}),
             (f"{base(ticket)}/status", {"to": "in_progress", "seen_version": str(ticket.version)})]

    as_role(client, "expansion")
    for url in gets:
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, "/admin/")
    for url, data in posts:
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url

    client = fresh(client)
    as_role(client, "operations")
    for url in gets:
        assert client.get(url).status_code == 200, url
    page = html(client.get(base(ticket)))
    assert "At the till." in page and "Add internal note" not in page and "Assign to me" not in page
    assert 'action="/admin/tickets/' not in page  # no forms at all
    token = csrf_token(client, "/admin/")
    for url, data in posts:
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert count(TicketMessage) == 1 and db.session.get(Ticket, ticket.id).assignee_id is None

    for role in ("service", "admin"):
        client = fresh(client)
        as_role(client, role, name=f"Writer {role}")
        page = html(client.get(base(ticket)))
        assert "Add internal note" in page and "Assign to me" in page and ">Reply<" in page


def ticket_attachment_id(ticket):
    return services.conversation(ticket, include_internal=True)[0].attachments[0].id


def test_an_attachment_is_served_to_staff_never_cached_nor_sniffed(client, filed):
    mei, ticket = filed
    as_role(client, "service")
    attachment = ticket_attachment_id(ticket)
    response = client.get(f"{base(ticket)}/files/{attachment}")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "filename" in response.headers["Content-Disposition"]
    other = make_ticket(subject="Other")
    db.session.commit()
    assert client.get(f"{base(other)}/files/{attachment}").status_code == 404
    assert client.get(f"{base(ticket)}/files/999999").status_code == 404
    assert client.get("/admin/tickets/T-2000-000001").status_code == 404


def test_the_staff_navigation_has_tickets_for_service_and_operations(client):
    for role, shown in (("service", True), ("operations", True), ("expansion", False)):
        client = fresh(client)
        as_role(client, role, name=f"Nav {role}")
        nav = html(client.get("/admin/")).split('class="tabs staff"', 1)[1].split("</nav>", 1)[0]
        assert ('href="/admin/tickets/"' in nav) == shown, role


# --- the queue ---------------------------------------------------------------------------------------

def test_the_queue_filters_with_their_counts_and_sorts_by_the_nearest_due_time(client):
    now = utcnow()
    me = as_role(client, "service", name="Sam Service")
    ada = make_staff("service", name="Ada Colleague")
    late = make_ticket(make_member(name="Late Lee"), kind="complaint", subject="Late one",
                       now=now - timedelta(hours=30))  # first reply was due 6 h ago
    soon = make_ticket(make_member(name="Soon Su"), kind="consultation", subject="Soon one",
                       now=now - timedelta(hours=22, minutes=30))  # due in 1.5 h: due soon
    make_ticket(make_member(name="Four Fu"), kind="feedback", subject="Within four",
                          now=now - timedelta(hours=21))  # due in 3 h: within 4 h, not "due soon"
    make_ticket(make_member(name="Later Lo"), kind="feedback", subject="Later one", now=now)
    make_ticket(make_member(name="Wait Wu"), subject="Waiting one", status="waiting_on_member")
    done = make_ticket(make_member(name="Done Do"), subject="Done one", status="resolved")
    services.assign(late, me, by=me)
    services.assign(soon, ada, by=me)
    db.session.commit()

    page = html(client.get("/admin/tickets/"))
    order = [m for m in re.findall(r"(Late one|Soon one|Within four|Later one|Waiting one|Done one)", page)]
    assert order == ["Late one", "Soon one", "Within four", "Later one", "Waiting one"]
    assert "Breached (1)" in text(page) and "Due within 4 h (2)" in text(page)
    assert "All open (5)" in text(page) and "Mine (1)" in text(page) and "Unassigned (3)" in text(page)
    assert "Ada Colleague (1)" in text(page) and "Complaint (2)" in text(page)
    assert "Waiting on member (1)" in text(page)
    assert " Resolved " in text(page) and "Resolved (" not in text(page)  # counts are of open tickets only
    late_row = page.split("Late one", 1)[1].split("</tr>", 1)[0]
    assert "Breached" in late_row and "Late Lee" in late_row and "Sam Service" in late_row
    soon_row = page.split("Soon one", 1)[1].split("</tr>", 1)[0]
    assert "Due soon" in soon_row and "Breached" not in soon_row
    assert "Due soon" not in page.split("Within four", 1)[1].split("</tr>", 1)[0]

    def shown(query):
        body = html(client.get(f"/admin/tickets/?{query}"))
        return [s for s in ("Late one", "Soon one", "Within four", "Later one", "Waiting one", "Done one")
                if s in body.split("<tbody>", 1)[-1]]

    assert shown("clock=breached") == ["Late one"]
    assert shown("clock=due") == ["Soon one", "Within four"]
    assert shown("assignee=me") == ["Late one"]
    assert shown(f"assignee={ada.id}") == ["Soon one"]
    assert shown("assignee=none") == ["Within four", "Later one", "Waiting one"]
    assert shown("kind=feedback") == ["Within four", "Later one"]
    assert shown("status=resolved") == ["Done one"]
    assert shown("status=waiting_on_member") == ["Waiting one"]
    assert shown("kind=feedback&clock=due") == ["Within four"]
    assert shown("kind=nonsense&status=nope&assignee=x&clock=y&page=z") == shown("")
    assert shown("assignee=99999999999999999999") == [] == shown("assignee=0")
    assert done.number in html(client.get("/admin/tickets/?status=resolved"))


def text(page):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))


def test_the_queue_is_a_fragment_for_htmx_and_pages_past_50(client):
    as_role(client, "service")
    member = make_member(name="Many Tickets")
    bulk_tickets(member, 80)
    full = client.get("/admin/tickets/")
    assert "<html" in html(full) and "Next page" in html(full)
    part = client.get("/admin/tickets/?kind=complaint", headers=HX)
    assert part.status_code == 200 and "<html" not in html(part) and 'id="queue-results"' in html(part)
    assert "HX-Request" in part.headers["Vary"]
    first = re.findall(r"T-\d{4}-9\d{5}", html(full))
    second = re.findall(r"T-\d{4}-9\d{5}", html(client.get("/admin/tickets/?page=2")))
    assert len(set(first)) == 50 and len(set(second)) == 30 and not set(first) & set(second)


def bulk_tickets(member, count, start=0):
    """`count` open tickets of `member`, inserted in bulk (in the test's transaction only)."""
    now = utcnow()
    year = now.year
    rows = [dict(number=f"T-{year}-{900000 + start + n:06d}", member_id=member.id, kind="feedback",
                 subject=f"Bulk {n}", status=OPEN_STATUSES[n % 2], priority=False,
                 first_response_due_at=now + timedelta(minutes=n), resolution_due_at=now + timedelta(hours=48),
                 running_due_at=now + timedelta(minutes=n), resolution_hours=48, version=1, created_at=now,
                 updated_at=now) for n in range(count)]
    db.session.execute(insert(Ticket), rows)
    db.session.commit()


def test_the_queue_runs_the_same_queries_with_10_and_10000_tickets(client):
    as_role(client, "service")
    make_staff("service", name="Colleague One")
    member = make_member(name="Bulk Member")
    bulk_tickets(member, 10)

    def queries(url):
        with counting_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    few = [queries(u) for u in ("/admin/tickets/", "/admin/tickets/?clock=due&kind=feedback")]
    bulk_tickets(member, 9990, start=10)
    many = [queries(u) for u in ("/admin/tickets/", "/admin/tickets/?clock=due&kind=feedback")]
    assert few == many and max(many) <= 8


# --- a ticket's page ---------------------------------------------------------------------------------

def test_a_reply_is_emailed_to_the_member_in_their_language_with_a_link_back(client, filed):
    mei, ticket = filed
    as_role(client, "service", name="Sam Service")
    response = post(client, f"{base(ticket)}/reply", {"body": "We are on it.\nSecond <b>line</b>",
                                                      "seen_version": str(ticket.version), "action": "reply"},
                    base(ticket))
    assert response.status_code == 303 and response.headers["Location"].endswith(base(ticket))
    [mail] = emails("ticket_reply")
    assert mail.to_email == mei.email and mail.language == "zh_Hant"
    assert "We are on it." in mail.body_text and f"/tickets/{ticket.number}" in mail.body_text
    page = html(client.get(base(ticket)))
    assert "Your reply is sent to the member." in page
    assert "Second &lt;b&gt;line&lt;/b&gt;" in page and "<b>line</b>" not in page
    assert db.session.get(Ticket, ticket.id).status == "in_progress"


def test_an_internal_note_emails_nobody_and_never_reaches_the_member_page(client, filed):
    mei, ticket = filed
    as_role(client, "service")
    response = post(client, f"{base(ticket)}/reply", {"body": "Secret staff note", "action": "note",
                                                      "seen_version": str(ticket.version)}, base(ticket))
    assert response.status_code == 303
    assert emails("ticket_reply") == []
    page = html(client.get(base(ticket)))
    note = page.split("Secret staff note", 1)[0].rsplit("<li", 1)[1]
    assert "internal-note" in note and "Internal note" in note
    client = fresh(client)
    login(client, mei.email)
    assert "Secret staff note" not in html(client.get(f"/tickets/{ticket.number}"))


def test_bad_replies_are_refused_with_nothing_saved(client, filed):
    mei, ticket = filed
    as_role(client, "service")
    for data, status in (({"body": "", "seen_version": str(ticket.version)}, 422),
                         ({"body": "x" * 10_001, "seen_version": str(ticket.version)}, 422),
                         ({"body": "Hi"}, 422),
                         ({"body": "Hi", "seen_version": "abc"}, 422)):
        assert post(client, f"{base(ticket)}/reply", data, base(ticket)).status_code == status, data
    assert count(TicketMessage) == 1 and emails("ticket_reply") == []


def test_a_saved_reply_fills_the_box_with_the_members_name(client, filed):
    mei, ticket = filed
    saved = SavedReply(title="Thanks", body="Dear {name}, thank you.")
    db.session.add(saved)
    db.session.commit()
    as_role(client, "service")
    page = html(client.get(base(ticket)))
    assert "Thanks" in page and 'name="saved"' in page
    full = client.get(f"{base(ticket)}?saved={saved.id}")
    assert "Dear Mei Lin, thank you.</textarea>" in html(full) and "<html" in html(full)
    part = client.get(f"{base(ticket)}?saved={saved.id}", headers=HX)
    assert "<html" not in html(part) and 'id="reply-box"' in html(part)
    assert "Dear Mei Lin, thank you.</textarea>" in html(part)
    assert client.get(f"{base(ticket)}?saved=999999").status_code == 200


def test_status_moves_and_an_illegal_one(client, filed):
    mei, ticket = filed
    as_role(client, "service")
    page = html(client.get(base(ticket)))
    assert "Waiting on member" in page and "Resolve" in page and ">Close<" not in page
    response = post(client, f"{base(ticket)}/status", {"to": "waiting_on_member",
                                                       "seen_version": str(ticket.version)}, base(ticket))
    assert response.status_code == 303
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == "waiting_on_member" and ticket.paused_at is not None
    page = html(client.get(base(ticket)))
    assert "Paused: waiting on the member" in page and "New → Waiting on member" in text(page)
    response = post(client, f"{base(ticket)}/status", {"to": "closed", "seen_version": str(ticket.version)},
                    base(ticket))
    assert response.status_code == 409
    assert "cannot move to “Closed”" in html(response)
    response = post(client, f"{base(ticket)}/status", {"to": "bogus", "seen_version": str(ticket.version)},
                    base(ticket))
    assert response.status_code == 409 and "There is no such status." in html(response)
    assert db.session.get(Ticket, ticket.id).status == "waiting_on_member"
    response = post(client, f"{base(ticket)}/status", {"to": "resolved", "seen_version": str(ticket.version)},
                    base(ticket), headers=HX)
    assert response.status_code == 200 and "<html" not in html(response)
    assert 'id="ticket-work"' in html(response) and "The ticket is now “Resolved”." in html(response)
    assert db.session.get(Ticket, ticket.id).status == "resolved"


def test_assign_to_me_and_to_a_colleague(client, filed):
    mei, ticket = filed
    me = as_role(client, "service", name="Sam Service")
    ada = make_staff("service", name="Ada Colleague")
    make_staff("operations", name="Olive Operations")
    db.session.commit()
    page = html(client.get(base(ticket)))
    assert "Ada Colleague" in page and "Olive Operations" not in page
    assert post(client, f"{base(ticket)}/assign", {"me": "1"}, base(ticket)).status_code == 303
    assert db.session.get(Ticket, ticket.id).assignee_id == me.id
    response = post(client, f"{base(ticket)}/assign", {"assignee": str(ada.id)}, base(ticket), headers=HX)
    assert response.status_code == 200 and "The ticket is assigned to Ada Colleague." in html(response)
    assert db.session.get(Ticket, ticket.id).assignee_id == ada.id
    olive = db.session.scalar(select(Ticket.id).where(Ticket.id == -1))
    assert olive is None
    bad = post(client, f"{base(ticket)}/assign", {"assignee": "999999"}, base(ticket))
    assert bad.status_code == 422 and db.session.get(Ticket, ticket.id).assignee_id == ada.id


def test_a_reply_written_against_an_older_version_warns_and_posts_nothing(client, filed):
    mei, ticket = filed
    as_role(client, "service", name="Bob Second")
    ada = make_staff("service", name="Ada First")
    seen = ticket.version
    services.staff_reply(ticket, ada, "Ada answered first.", seen_version=seen)
    db.session.commit()
    before = (count(TicketMessage), len(emails("ticket_reply")))
    for headers in ({}, HX):
        response = post(client, f"{base(ticket)}/reply", {"body": "Bob's answer", "seen_version": str(seen),
                                                          "action": "reply"}, base(ticket), headers=headers)
        page = html(response)
        assert response.status_code == 409
        assert "This ticket changed while you were writing" in page and "Ada answered first." in page
        assert "Bob&#39;s answer</textarea>" in page or "Bob's answer</textarea>" in page
        new_version = re.search(r'name="seen_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="seen_version"', page)
        assert int(new_version.group(1) or new_version.group(2)) == db.session.get(Ticket, ticket.id).version
    assert (count(TicketMessage), len(emails("ticket_reply"))) == before
    response = post(client, f"{base(ticket)}/reply", {"body": "Bob's answer", "action": "reply",
                                                      "seen_version": str(db.session.get(Ticket, ticket.id).version)},
                    base(ticket))
    assert response.status_code == 303 and count(TicketMessage) == before[0] + 1


def test_the_side_shows_tier_points_recent_tickets_and_the_score(client, filed):
    mei, ticket = filed
    ledger.earn(mei, 1234, "purchase", "test:side", reason="Test")
    older = make_ticket(mei, subject="An older one")
    db.session.commit()
    as_role(client, "operations")
    page = text(html(client.get(base(ticket))))
    assert f"Tier{db.session.get(type(mei), mei.id).tier.name}" in page.replace(" ", "")
    assert "1,234" in page and older.number in page and "Satisfaction" not in page
    assert f'href="/admin/tickets/{older.number}"' in html(client.get(base(ticket)))


def test_a_closed_ticket_takes_nothing_more(client):
    ticket = make_ticket(status="closed")
    db.session.commit()
    as_role(client, "service")
    page = html(client.get(base(ticket)))
    assert "nothing more can be added" in page and "Add internal note" not in page
    response = post(client, f"{base(ticket)}/reply", {"body": "Late", "seen_version": str(ticket.version)},
                    base(ticket))
    assert response.status_code == 409 and "This ticket is closed." in html(response)


def test_the_ticket_page_runs_the_same_queries_with_2_and_200_messages(client):
    staff = as_role(client, "service")
    member = make_member(name="Chatty Member")
    ticket = make_ticket(member)
    services.staff_reply(ticket, staff, "First answer", seen_version=ticket.version)
    db.session.commit()

    url = base(ticket)

    def queries():
        with counting_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    few = queries()
    now = utcnow()
    db.session.execute(insert(TicketMessage), [
        dict(ticket_id=ticket.id, member_id=member.id if n % 2 else None, staff_id=None if n % 2 else staff.id,
             internal=n % 3 == 0 and not n % 2, body=f"Message {n}", created_at=now, version=ticket.version)
        for n in range(198)])
    db.session.commit()
    assert count(TicketMessage, TicketMessage.ticket_id == ticket.id) == 200
    assert queries() == few <= 10


def test_the_satisfaction_score_shows_once_the_member_gave_it(client):
    staff = make_staff("service")
    mei = make_member(name="Mei Lin")
    ticket = make_ticket(mei, status="resolved", staff=staff)
    db.session.commit()
    as_role(client, "operations")
    assert "Satisfaction" not in html(client.get(base(ticket)))
    survey = db.session.scalar(select(Survey).where(Survey.trigger == "ticket_resolved"))
    invitation = db.session.scalar(select(Invitation).where(Invitation.member_id == mei.id))
    rating = next(q for q in survey.questions if q.kind == "rating")
    surveys.submit(invitation, surveys.read_answers(survey, MultiDict({f"q{rating.id}": "9"})))
    db.session.commit()
    assert "Satisfaction9outof10" in text(html(client.get(base(ticket)))).replace(" ", "")
