"""Tickets, the member's side: My tickets, New ticket (every refusal: a clear message, 422, nothing
saved), the ticket page (clock in words, conversation without internal notes, history, score),
replying and confirming, the pictures served only to the ticket's member, linkify, and a fixed
number of queries whatever the number of tickets and messages."""

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markupsafe import Markup
from sqlalchemy import func, insert, select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.models import utcnow
from portal.presentation import linkify
from portal.tickets import services
from portal.tickets.models import Ticket, TicketAttachment, TicketMessage
from tests.factories import make_event, make_member, make_staff, make_ticket
from tests.helpers import counting_queries, csrf_token, html, login, png

HTMX = {"HX-Request": "true"}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def mei(app):
    member = make_member(name="Mei Lin", email="mei.tickets@example.com", tier="silver")
    db.session.commit()
    return member


@pytest.fixture
def mei_client(client, mei):
    login(client, mei.email)
    return client


def file_ticket(client, files=(), **fields):
    data = {"kind": "complaint", "subject": "Broken cup", "body": "The cup was broken.", **fields}
    data["csrf_token"] = csrf_token(client, "/tickets/new")
    if files:
        data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/tickets/new", data=data, content_type="multipart/form-data")


def ticket_of(member):
    return db.session.scalar(select(Ticket).where(Ticket.member_id == member.id).order_by(Ticket.id.desc()))


def nothing_saved():
    assert (count(Ticket), count(TicketMessage), count(TicketAttachment)) == (0, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.template == "ticket_received")) == 0


def reply(client, ticket, body="Thanks, here is more.", files=(), **kwargs):
    data = {"body": body, "csrf_token": csrf_token(client, f"/tickets/{ticket.number}")}
    if files:
        data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/tickets/{ticket.number}/reply", data=data, content_type="multipart/form-data", **kwargs)


def confirm(client, ticket):
    token = csrf_token(client, f"/tickets/{ticket.number}")
    return client.post(f"/tickets/{ticket.number}/confirm", data={"csrf_token": token})


def clock_of(page):
    return re.search(r'id="ticket-clock">([^<]*)<', page).group(1)


# ---- New ticket -----------------------------------------------------------------------------------

def test_new_ticket_form_offers_the_kinds_the_members_events_and_pictures(mei_client, mei):
    event = make_event(title="Tea tasting")
    from portal.events import services as events
    events.register(mei, event)
    make_event(title="Someone else's walk")
    db.session.commit()
    page = html(mei_client.get("/tickets/new"))
    for kind in ("Feedback", "Complaint", "Consultation"):
        assert f">{kind}</option>" in page
    assert "Tea tasting" in page and "Someone else" not in page
    assert 'accept="image/jpeg,image/png,image/webp"' in page and " multiple " in page
    assert 'enctype="multipart/form-data"' in page


def test_filing_a_ticket_with_a_picture_redirects_to_it_with_its_number_and_emails_the_member(mei_client, mei):
    response = file_ticket(mei_client, files=[("cup.png", png())])
    assert response.status_code == 303
    ticket = ticket_of(mei)
    assert re.fullmatch(r"T-\d{4}-\d{6}", ticket.number)
    assert response.headers["Location"].endswith(f"/tickets/{ticket.number}")
    assert (ticket.kind, ticket.subject, ticket.status) == ("complaint", "Broken cup", "new")
    [attachment] = db.session.scalars(select(TicketAttachment)).all()
    assert (attachment.original_name, attachment.content_type) == ("cup.png", "image/png")
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "ticket_received")) is not None
    page = html(mei_client.get(response.headers["Location"]))
    assert f"Thank you: your ticket {ticket.number} is filed" in page
    assert clock_of(page).startswith("We will reply by ")
    assert f"/tickets/{ticket.number}/files/{attachment.id}" in page


def test_control_characters_are_refused_before_any_picture_is_written(mei_client, mei):
    folder = Path(mei_client.application.config["UPLOAD_DIR"]) / services.PICTURE_FOLDER
    before = set(folder.iterdir()) if folder.exists() else set()
    response = file_ticket(mei_client, body="Broken\x00cup", files=[("cup.png", png())])
    assert response.status_code == 422 and "Write a message of 1 to 10,000 characters." in html(response)
    nothing_saved()
    assert (set(folder.iterdir()) if folder.exists() else set()) == before


def test_a_picture_named_with_a_line_break_is_served(mei_client, mei):
    ticket = make_ticket(mei, files=[("a\nb.png", png())])  # was a 500: a line break in a header
    db.session.commit()
    attachment = db.session.scalar(select(TicketAttachment))
    assert attachment.original_name == "ab.png"
    response = mei_client.get(f"/tickets/{ticket.number}/files/{attachment.id}")
    assert response.status_code == 200 and "ab.png" in response.headers["Content-Disposition"]


def test_filing_with_htmx_redirects_through_the_header(mei_client, mei):
    token = csrf_token(mei_client, "/tickets/new")
    response = mei_client.post("/tickets/new", headers=HTMX, data={
        "csrf_token": token, "kind": "feedback", "subject": "Nice", "body": "Lovely staff."})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith(f"/tickets/{ticket_of(mei).number}")


def test_a_related_event_of_the_members_is_kept_and_anothers_refused(mei_client, mei):
    from portal.events import services as events
    mine, theirs = make_event(title="Tea tasting"), make_event(title="Walk")
    events.register(mei, mine)
    db.session.commit()
    response = file_ticket(mei_client, event=str(theirs.id))
    assert response.status_code == 422
    assert "Choose one of your own events." in html(response)
    nothing_saved()
    assert file_ticket(mei_client, event=str(mine.id)).status_code == 303
    assert ticket_of(mei).event_id == mine.id
    assert "Tea tasting" in html(mei_client.get(f"/tickets/{ticket_of(mei).number}"))


BIG = 5 * 1024 * 1024 + 1


@pytest.mark.parametrize(("fields", "files", "message"), [
    ({"body": ""}, (), "Write a message of 1 to 10,000 characters."),
    ({"body": "   "}, (), "Write a message of 1 to 10,000 characters."),
    ({"body": "x" * 10_001}, (), "Write a message of 1 to 10,000 characters."),
    ({"subject": ""}, (), "Give a subject of 1 to 200 characters."),
    ({"subject": "s" * 201}, (), "Give a subject of 1 to 200 characters."),
    ({"kind": "praise"}, (), "Choose feedback, complaint or consultation."),
    ({"redemption": "999999"}, (), "Choose one of your own vouchers."),
    ({"event": "nonsense"}, (), "Choose one of your own events."),
    ({}, [("notes.png", b"just some text, not a picture")], "Attach JPEG, PNG or WebP pictures only."),
    ({}, [("huge.png", png()[:-12] + b"\0" * BIG + png()[-12:])], "Each picture must be 5 MB or smaller."),
    ({}, [("cup.jpg", png())], "content does not match its file name."),
    ({}, [(f"cup{n}.png", png()) for n in range(4)], "Attach at most 3 pictures."),
], ids=["empty", "blank", "huge", "no-subject", "long-subject", "unknown-kind", "not-my-voucher", "bad-event",
        "not-an-image", "too-large", "wrong-name", "four-files"])
def test_bad_input_shows_the_form_again_with_a_clear_message_and_saves_nothing(mei_client, mei, fields, files,
                                                                              message):
    response = file_ticket(mei_client, files=files, **fields)
    assert response.status_code == 422
    page = html(response)
    assert message in page
    assert 'aria-invalid="true"' in page
    nothing_saved()


def test_a_subject_with_a_line_break_is_refused(mei_client, mei):
    response = file_ticket(mei_client, subject="two\nlines")
    assert response.status_code == 422
    nothing_saved()


def test_filing_without_the_csrf_token_is_refused(mei_client, mei):
    response = mei_client.post("/tickets/new", data={"kind": "complaint", "subject": "x", "body": "y"})
    assert response.status_code in (400, 422)
    nothing_saved()


def test_new_tickets_are_limited_per_member(app, mei_client, mei):
    app.config["TICKET_NEW_LIMIT"] = "2 per hour"
    try:
        assert file_ticket(mei_client).status_code == 303
        assert file_ticket(mei_client).status_code == 303
        assert file_ticket(mei_client).status_code == 429
    finally:
        app.config["TICKET_NEW_LIMIT"] = "10 per hour"
    assert count(Ticket) == 2


def test_replies_are_limited_per_member(app, mei_client, mei):
    ticket = make_ticket(mei)
    db.session.commit()
    app.config["TICKET_REPLY_LIMIT"] = "2 per hour"
    try:
        assert reply(mei_client, ticket).status_code == 303
        assert reply(mei_client, ticket).status_code == 303
        assert reply(mei_client, ticket).status_code == 429
    finally:
        app.config["TICKET_REPLY_LIMIT"] = "30 per hour"
    assert count(TicketMessage) == 3  # the first message and two replies


# ---- My tickets -------------------------------------------------------------------------------------

def test_my_tickets_lists_the_members_own_tickets_with_status_and_clock(mei_client, mei):
    staff = make_staff("service")
    new = make_ticket(mei, subject="Cold tea")
    waiting = make_ticket(mei, kind="consultation", subject="Parking?", status="waiting_on_member", staff=staff)
    resolved = make_ticket(mei, kind="feedback", subject="Great event", status="resolved", staff=staff)
    make_ticket(make_member(), subject="Someone else's")
    db.session.commit()
    page = html(mei_client.get("/tickets"))
    assert "New ticket" in page and 'href="/tickets/new"' in page
    for ticket in (new, waiting, resolved):
        assert ticket.number in page and ticket.subject in page
    assert "Someone else" not in page
    assert "Complaint" in page and "Consultation" in page and "Feedback" in page
    assert "We will reply by " in page
    assert "Waiting for your reply — our clock is paused" in page
    assert "Resolved on " in page


def test_my_tickets_without_tickets_invites_a_first_one(mei_client):
    page = html(mei_client.get("/tickets"))
    assert "You have not sent us anything yet." in page


def test_the_member_nav_lists_my_tickets(mei_client):
    page = html(mei_client.get("/"))
    assert 'href="/tickets"' in page and "My tickets" in page


def test_tickets_show_on_the_home_timeline(mei_client, mei):
    make_ticket(mei, subject="Cold tea")
    db.session.commit()
    page = html(mei_client.get("/"))
    activity = page.split('id="activity-heading"')[1].split("</section>")[0]
    assert "Made a complaint" in activity and "Cold tea" in activity


# ---- the ticket page -----------------------------------------------------------------------------

def test_the_ticket_page_shows_the_conversation_without_internal_notes(mei_client, mei):
    staff = make_staff("service", name="Pat Service")
    ticket = make_ticket(mei, body="Line one\nline two <script>alert(1)</script> https://example.com/a?b=1&c=2.")
    services.staff_reply(ticket, staff, "We are looking into it.", seen_version=ticket.version)
    services.staff_reply(ticket, staff, "SECRET internal note", internal=True, seen_version=ticket.version)
    db.session.commit()
    page = html(mei_client.get(f"/tickets/{ticket.number}"))
    assert "We are looking into it." in page and "SECRET" not in page
    assert "Member service" in page and "Pat" not in page
    assert "Line one<br>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener nofollow ugc">' in page
    assert "Complaint" in page and "In progress" in page
    assert clock_of(page).startswith("We aim to resolve it by ")
    history = page.split('id="history-heading"')[1]
    assert history.index("Received") < history.index("In progress")


def test_the_clock_says_paused_while_waiting_and_resolved_on_when_resolved(mei_client, mei):
    staff = make_staff("service")
    ticket = make_ticket(mei, status="waiting_on_member", staff=staff)
    db.session.commit()
    assert clock_of(html(mei_client.get(f"/tickets/{ticket.number}"))) \
        == "Waiting for your reply — our clock is paused"
    services.change_status(ticket, "resolved", staff=staff)
    db.session.commit()
    page = html(mei_client.get(f"/tickets/{ticket.number}"))
    assert clock_of(page).startswith("Resolved on ")
    assert "Confirm resolution" in page


def test_the_clock_reads_in_chinese(mei_client, mei):
    ticket = make_ticket(mei)
    db.session.commit()
    mei_client.post("/language", data={"language": "zh_Hant", "csrf_token": csrf_token(mei_client, "/tickets")})
    page = html(mei_client.get(f"/tickets/{ticket.number}"))
    assert "週" in clock_of(page)
    assert "We will reply" not in page


def test_replying_to_a_waiting_ticket_reopens_it(mei_client, mei):
    ticket = make_ticket(mei, status="waiting_on_member")
    db.session.commit()
    response = reply(mei_client, ticket, "Here is the receipt.", files=[("receipt.png", png())])
    assert response.status_code == 303
    db.session.refresh(ticket)
    assert ticket.status == "in_progress" and ticket.paused_at is None
    page = html(mei_client.get(response.headers["Location"]))
    assert "Your reply is sent." in page and "Here is the receipt." in page and "receipt.png" in page


@pytest.mark.parametrize(("body", "files", "message"), [
    ("", (), "Write a message of 1 to 10,000 characters."),
    ("x" * 10_001, (), "Write a message of 1 to 10,000 characters."),
    ("ok", [("a.png", b"not a picture")], "Attach JPEG, PNG or WebP pictures only."),
    ("ok", [(f"a{n}.png", png()) for n in range(4)], "Attach at most 3 pictures."),
], ids=["empty", "huge", "not-an-image", "four-files"])
def test_a_bad_reply_is_refused_and_nothing_saved(mei_client, mei, body, files, message):
    ticket = make_ticket(mei, status="waiting_on_member")
    db.session.commit()
    before = (count(TicketMessage), count(TicketAttachment))
    response = reply(mei_client, ticket, body, files=files)
    assert response.status_code == 422
    assert message in html(response)
    assert (count(TicketMessage), count(TicketAttachment)) == before
    db.session.refresh(ticket)
    assert ticket.status == "waiting_on_member"


def test_confirming_a_resolution_closes_the_ticket_and_a_closed_one_has_no_reply_form(mei_client, mei):
    ticket = make_ticket(mei, status="resolved")
    db.session.commit()
    response = confirm(mei_client, ticket)
    assert response.status_code == 303
    db.session.refresh(ticket)
    assert ticket.status == "closed"
    page = html(mei_client.get(f"/tickets/{ticket.number}"))
    assert "is closed" in page and "Send reply" not in page and "Confirm resolution" not in page
    assert clock_of(page).startswith("Closed on ")
    response = reply(mei_client, ticket, "One more thing") if False else None
    token = csrf_token(mei_client, "/tickets")
    response = mei_client.post(f"/tickets/{ticket.number}/reply", data={"csrf_token": token, "body": "More"})
    assert response.status_code == 422
    assert "This ticket is closed." in html(response)


def test_confirming_an_unresolved_ticket_changes_nothing(mei_client, mei):
    ticket = make_ticket(mei, status="in_progress")
    db.session.commit()
    response = confirm(mei_client, ticket)
    assert response.status_code == 303
    db.session.refresh(ticket)
    assert ticket.status == "in_progress"


def test_the_satisfaction_score_shows_when_it_came_back(mei_client, mei):
    from werkzeug.datastructures import MultiDict

    from portal.surveys import services as surveys
    from portal.surveys.models import Invitation, Survey
    ticket = make_ticket(mei, status="resolved")
    survey = db.session.scalar(select(Survey).where(Survey.trigger == "ticket_resolved"))
    invitation = db.session.scalar(select(Invitation).where(Invitation.member_id == mei.id))
    rating = next(q for q in survey.questions if q.kind == "rating")
    surveys.submit(invitation, surveys.read_answers(survey, MultiDict({f"q{rating.id}": "9"})))
    db.session.commit()
    assert "Your rating of our help: 9." in html(mei_client.get(f"/tickets/{ticket.number}"))


# ---- whose ticket, whose pictures ------------------------------------------------------------------

def test_the_ticket_and_its_pictures_are_the_members_alone(client, mei):
    ticket = make_ticket(mei, files=[("cup.png", png())])
    other_ticket = make_ticket(mei, subject="Second", files=[("tea.png", png())])
    attachment = db.session.scalar(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id))
    other_attachment = db.session.scalar(select(TicketAttachment).where(TicketAttachment.ticket_id == other_ticket.id))
    make_member(email="ann.tickets@example.com")
    db.session.commit()
    url = f"/tickets/{ticket.number}/files/{attachment.id}"

    login(client, mei.email)
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == png()
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "cup.png" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # another ticket's attachment through this ticket's URL
    assert client.get(f"/tickets/{ticket.number}/files/{other_attachment.id}").status_code == 404
    assert client.get(f"/tickets/{ticket.number}/files/999999").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(client, "ann.tickets@example.com")
    for path in (f"/tickets/{ticket.number}", url, f"/tickets/{ticket.number}/reply"):
        response = client.get(path) if not path.endswith("reply") else client.post(
            path, data={"csrf_token": csrf_token(client, "/tickets"), "body": "hi"})
        assert response.status_code == 404, path
    assert client.post(f"/tickets/{ticket.number}/confirm",
                       data={"csrf_token": csrf_token(client, "/tickets")}).status_code == 404
    assert client.get("/tickets/T-2099-999999").status_code == 404


def test_a_tickets_picture_is_out_of_reach_of_the_public_pictures_route(client, mei):
    ticket = make_ticket(mei, files=[("cup.png", png())])
    attachment = db.session.scalar(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id))
    db.session.commit()
    stored = attachment.stored_name
    assert not (Path(client.application.config["UPLOAD_DIR"]) / stored).exists()
    assert (Path(client.application.config["UPLOAD_DIR"]) / services.PICTURE_FOLDER / stored).read_bytes() == png()
    assert client.get(f"/pictures/{stored}").status_code == 404  # logged out
    login(client, mei.email)
    assert client.get(f"/pictures/{stored}").status_code == 404  # even for its member: only the tickets route
    assert client.get(f"/pictures/{services.PICTURE_FOLDER}/{stored}").status_code == 404
    assert client.get(f"/tickets/{ticket.number}/files/{attachment.id}").data == png()


def test_staff_cannot_use_the_members_routes(client, mei):
    ticket = make_ticket(mei, files=[("cup.png", png())])
    attachment = db.session.scalar(select(TicketAttachment))
    db.session.commit()
    staff = make_staff("service")
    db.session.commit()
    login(client, staff.email)
    for path in (f"/tickets/{ticket.number}", f"/tickets/{ticket.number}/files/{attachment.id}", "/tickets"):
        response = client.get(path)
        assert response.status_code in (302, 303, 403, 404), path
        assert response.data != png()


def test_logged_out_visitors_go_to_log_in(client, mei):
    ticket = make_ticket(mei)
    db.session.commit()
    for path in ("/tickets", "/tickets/new", f"/tickets/{ticket.number}"):
        response = client.get(path)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


# ---- linkify ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("plain", "plain"),
    ("a\nb", "a<br>\nb"),
    ("a\r\nb", "a<br>\nb"),
    ("<b>bold</b> & co", "&lt;b&gt;bold&lt;/b&gt; &amp; co"),
    ("see https://example.com/x.", 'see <a href="https://example.com/x" rel="noopener nofollow ugc">'
                                   "https://example.com/x</a>."),
    ("(http://example.com)", '(<a href="http://example.com" rel="noopener nofollow ugc">http://example.com</a>)'),
    ("https://e.com/?a=1&b=2", '<a href="https://e.com/?a=1&amp;b=2" rel="noopener nofollow ugc">'
                               "https://e.com/?a=1&amp;b=2</a>"),
    ('https://e.com/"onmouseover="alert(1)', '<a href="https://e.com/" rel="noopener nofollow ugc">'
                                              'https://e.com/</a>&#34;onmouseover=&#34;alert(1)'),
    ("https://e.com/<script>alert(1)</script>", '<a href="https://e.com/" rel="noopener nofollow ugc">'
                                                "https://e.com/</a>&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("javascript:alert(1)", "javascript:alert(1)"),
    ("data:text/html,<script>x</script>", "data:text/html,&lt;script&gt;x&lt;/script&gt;"),
    ("https://", "https://"),
    ("網址 https://example.com/路。謝謝", '網址 <a href="https://example.com/路" rel="noopener nofollow ugc">'
                                      "https://example.com/路</a>。謝謝"),
])
def test_linkify_escapes_keeps_line_breaks_and_links_safely(app, text, expected):
    result = linkify(text)
    assert isinstance(result, Markup)
    assert str(result) == expected


def test_linkify_of_markup_input_escapes_it_still(app):
    assert "<script>" not in str(linkify("<script>x</script>")) and str(linkify(None)) == ""


# ---- a fixed number of queries ----------------------------------------------------------------------

def add_messages(ticket, member, count_, staff=None):
    now = utcnow()
    db.session.execute(insert(TicketMessage), [
        {"ticket_id": ticket.id, "member_id": None if staff and n % 2 else member.id,
         "staff_id": staff.id if staff and n % 2 else None, "internal": False, "body": f"Message {n}",
         "created_at": now + timedelta(seconds=n), "version": ticket.version}
        for n in range(count_)
    ])
    db.session.commit()


def page_queries(client, path, **kwargs):
    with counting_queries() as statements:
        response = client.get(path, **kwargs)
    assert response.status_code == 200
    return statements


def test_the_ticket_page_runs_the_same_queries_with_2_and_200_messages(mei_client, mei):
    staff = make_staff("service")
    few = make_ticket(mei, subject="Few", files=[("a.png", png())])
    many = make_ticket(mei, subject="Many", files=[("b.png", png())])
    services.staff_reply(few, staff, "Hello", seen_version=few.version)
    db.session.commit()
    add_messages(many, mei, 199, staff=staff)
    first, second = page_queries(mei_client, f"/tickets/{few.number}"), page_queries(mei_client,
                                                                                     f"/tickets/{many.number}")
    assert len(first) == len(second), "\n".join(second)


def test_my_tickets_runs_the_same_queries_with_10_and_200_tickets(mei_client, mei):
    for n in range(10):
        make_ticket(mei, subject=f"Ticket {n}")
    db.session.commit()
    cursor = services.member_tickets(mei, limit=3)[0][-1].id
    few = page_queries(mei_client, "/tickets")
    few_more = page_queries(mei_client, f"/tickets?after={cursor}", headers=HTMX)
    for n in range(190):
        make_ticket(mei, subject=f"More {n}")
    db.session.commit()
    many = page_queries(mei_client, "/tickets")
    many_more = page_queries(mei_client, f"/tickets?after={cursor}", headers=HTMX)
    assert html(mei_client.get("/tickets")).count('class="entry"') == 20  # a page at a time
    assert len(few) == len(many), "\n".join(many)
    # as many as the page: the partial shows no bell, but the bell's count comes with the member anyway
    assert len(few_more) == len(many_more) == len(few) == 2, "\n".join(many_more)


# ---- due_time: "Tue 14:00" in the programme's time zone and the reader's language --------------------

@pytest.mark.parametrize(("language", "moment", "expected"), [
    ("en", datetime(2026, 12, 8, 6, 0, tzinfo=UTC), "Tue 14:00"),  # 14:00 in Taipei
    ("en", datetime(2026, 12, 2, 16, 30, tzinfo=UTC), "Thu 00:30"),  # the next day there
    ("en", datetime(2026, 12, 20, 6, 0, tzinfo=UTC), "Sun 20 Dec 14:00"),  # further off: with its day
    ("zh_Hant", datetime(2026, 12, 8, 6, 0, tzinfo=UTC), "週二 14:00"),
])
def test_due_time_reads_as_a_weekday_and_time(app, language, moment, expected):
    from portal.presentation import due_time

    now = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wed 12:00 in Taipei
    with app.test_request_context(headers={"Accept-Language": language.replace("_", "-")}):
        from flask_babel import force_locale
        with force_locale(language):
            assert due_time(moment, now) == expected


# ---- My tickets, 20 at a time: "Load more" (issue 11) --------------------------------------------

def subjects(page):
    """The tickets' subjects in the order shown (repeats kept)."""
    return re.findall(r'<a class="entry" href="/tickets/[^"]+">\s*<span class="what">\s*<strong>([^<]+)</strong>', page)


def more_link(page):
    found = re.search(r'<a id="load-more-link" class="button" href="([^"]+)" hx-get="\1" hx-target="#tickets-list" '
                      r'hx-swap="beforeend"\s+hx-select="#tickets-list > li" hx-select-oob="#load-more">Load more</a>',
                      page)
    return found and found.group(1).replace("&amp;", "&")


def bulk_tickets(member, moments, label):
    """One ticket per moment for `member`, inserted in bulk in the order given."""
    db.session.execute(insert(Ticket), [
        {"number": f"T-{label}-{member.id}-{n:04d}", "member_id": member.id, "kind": "feedback",
         "subject": f"{label} {n:02d}", "status": "new", "priority": False, "first_response_due_at": at,
         "resolution_due_at": at, "resolution_hours": 48, "version": 1, "created_at": at, "updated_at": at}
        for n, at in enumerate(moments)])


@pytest.fixture
def filed(mei):
    """Mei's 45 tickets: 10 a day apart, 25 filed at one moment (across the first page's end), 10
    older; inserted oldest first, then the rest, so that ids do not follow the times. Another
    member's tickets are filed at the same moments. The expected order: newest first, then by id."""
    now = utcnow()
    other = make_member(name="Bea Other", email="bea.tickets@example.com")
    bulk_tickets(mei, [now - timedelta(days=60 + n) for n in range(10)], "Old")
    bulk_tickets(mei, [now - timedelta(days=30)] * 25, "Same")
    bulk_tickets(mei, [now - timedelta(days=n, hours=1) for n in range(10)], "Recent")
    bulk_tickets(other, [now - timedelta(days=30)] * 5 + [now - timedelta(days=n) for n in range(30)], "Theirs")
    db.session.commit()
    order = db.session.scalars(select(Ticket.subject).where(Ticket.member_id == mei.id)
                               .order_by(Ticket.created_at.desc(), Ticket.id.desc())).all()
    assert len(order) == 45
    return order, other


def test_my_tickets_shows_20_and_load_more_appends_the_rest_in_order(mei_client, filed):
    order, _other = filed
    page = html(mei_client.get("/tickets"))
    assert subjects(page) == order[:20] and "Back to the newest" not in page
    seen, link = subjects(page), more_link(page)
    while link:
        fragment = mei_client.get(link, headers=HTMX)
        assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
        text = html(fragment)
        assert "<html" not in text and text.strip().startswith('<div id="my-tickets">')
        seen += subjects(text)
        link = more_link(text)
    assert seen == order  # the same order, none twice, none left out, none of Bea's
    assert re.search(r'<div id="load-more" class="load-more">\s*</div>', text)


def test_my_tickets_load_more_without_javascript_opens_the_next_20_with_a_way_back(mei_client, filed):
    order, _other = filed
    page = html(mei_client.get(more_link(html(mei_client.get("/tickets")))))
    assert page.startswith("<!doctype html>") and "<nav" in page
    assert subjects(page) == order[20:40] and more_link(page)
    assert '<p class="notice">Older tickets. <a class="more" href="/tickets">Back to the newest</a></p>' in page


def test_my_tickets_after_another_members_ticket_shows_nothing_of_theirs(mei_client, filed):
    _order, other = filed
    theirs = services.member_tickets(other, limit=8)[0]
    for ticket in (theirs[0], theirs[-1]):
        for headers in ({}, HTMX):
            response = mei_client.get(f"/tickets?after={ticket.id}", headers=headers)
            page = html(response)
            assert response.status_code == 200 and subjects(page) == []
            assert "No older tickets." in page and "Theirs" not in page and "Bea" not in page
            assert more_link(page) is None


def test_my_tickets_bad_cursors_give_the_first_page_an_empty_one_or_422(mei_client, filed):
    order, _other = filed
    assert subjects(html(mei_client.get("/tickets?after=not-a-number"))) == order[:20]  # ignored
    assert subjects(html(mei_client.get("/tickets?after=0"))) == order[:20]
    for after in (999_999, -3):
        assert subjects(html(mei_client.get(f"/tickets?after={after}", headers=HTMX))) == []
    assert mei_client.get("/tickets?after=99999999999999999999").status_code == 422


def test_my_tickets_with_none_after_the_cursor_says_so(mei_client, mei):
    only = make_ticket(mei, subject="Only one")
    db.session.commit()
    page = html(mei_client.get("/tickets"))
    assert subjects(page) == ["Only one"] and more_link(page) is None
    assert "No older tickets." in html(mei_client.get(f"/tickets?after={only.id}"))


def test_my_tickets_and_events_paging_in_zh_hant(mei_client, filed):
    mei_client.post("/language", data={"language": "zh_Hant", "csrf_token": csrf_token(mei_client, "/tickets")})
    first = html(mei_client.get("/tickets"))
    assert ">載入更多</a>" in first
    later = html(mei_client.get(re.search(r'id="load-more-link" class="button" href="([^"]+)"', first).group(1)))
    assert '較早的客服紀錄。 <a class="more" href="/tickets">回到最新</a>' in later
    assert "沒有更早的客服紀錄。" in html(mei_client.get("/tickets?after=999999"))
    for n in range(21):
        make_event(f"Event {n}", starts_in=timedelta(days=1 + n))
    db.session.commit()
    events = html(mei_client.get("/events"))
    later = html(mei_client.get(re.search(r'id="load-more-link" class="button" href="([^"]+)"', events).group(1)))
    assert '較晚的活動。 <a class="more" href="/events">回到最近的活動</a>' in later
    assert "沒有更晚的活動。" in html(mei_client.get("/events?after=999999"))
