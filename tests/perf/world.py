"""The world the tests of tests/perf measure (plain functions, no fixtures; the query budget test and
the EXPLAIN test share them): a member with everything a page can show (points, vouchers, an event,
a ticket, a survey link) and a staff user; history in bulk, `count` rows of each kind inserted with
one INSERT per table (executemany), as a portal that has run for years has them; and the pages."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select

from portal.audit.models import AuditEntry
from portal.care.models import Notification
from portal.events import services as events
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members import ledger
from portal.members.models import Member, PointsEntry, Tier
from portal.models import add_months, utcnow
from portal.rewards.models import Redemption
from portal.surveys import services as surveys
from portal.surveys.models import Answer, Invitation, Response
from portal.tickets.models import Ticket, TicketMessage
from tests.factories import make_event, make_member, make_reward, make_staff, make_survey, make_ticket
from tests.helpers import login

MEMBER_EMAIL = "mei.history@example.com"
STAFF_EMAIL = "pat.history@example.com"


@dataclass
class World:
    member_id: int
    member_email: str
    staff_email: str
    reward_id: int
    event_id: int
    ticket_number: str
    survey_id: int
    question_ids: list
    token: str
    staff_id: int
    ticket_id: int = 0
    after_id: int = 0


def build_world():
    """Mei (silver, with points, a voucher, an event registration, a ticket and a survey link), and
    Pat of operations. Flushed, not committed."""
    mei = make_member(name="Mei Lin", email=MEMBER_EMAIL, tier="silver", phone="+886 912 345 678")
    now = utcnow()
    for n in range(3):
        ledger.earn(mei, 500, "purchase", f"world:{n}", at=now - timedelta(days=n), reason=f"Purchase {n}")
    ledger.earn(mei, 300, "purchase", "world:expiring", at=now - timedelta(days=60),
                expires_at=now + timedelta(days=10), reason="Double points weekend")
    pat = make_staff("operations", name="Pat Operations", email=STAFF_EMAIL)
    reward = make_reward(name="Coffee for two", points_cost=100)
    make_reward(name="Tea ceremony", points_cost=900, min_tier="gold")  # a reward the member cannot redeem
    event = make_event(title="Tea tasting", capacity=50)
    make_event(title="Latte art", capacity=12, starts_in=timedelta(days=9))  # after Tea tasting
    events.register(mei, event)
    ticket = make_ticket(member=mei, status="in_progress", staff=pat)
    survey = make_survey(questions=(("rating", "How satisfied are you?"),
                                    ("single_choice", "Which shop?", ["Xinyi", "Daan"]),
                                    ("multi_choice", "What did you like?", ["Tea", "Cakes", "Staff"]),
                                    ("text", "Anything else?")), staff=pat, status="sent")
    invitation = surveys.invite(mei, survey, email=False)
    db.session.flush()
    return World(member_id=mei.id, member_email=MEMBER_EMAIL, staff_email=STAFF_EMAIL, reward_id=reward.id,
                 event_id=event.id, ticket_number=ticket.number, survey_id=survey.id,
                 question_ids=[question.id for question in survey.questions],
                 token=surveys.invitation_token(invitation), staff_id=pat.id, ticket_id=ticket.id)


def add_history(world, count, label, member_id=None):
    """`count` rows of each kind of history for the world's member (or `member_id`), oldest a few
    years back, none newer than a day: the pages' newest rows stay the world's own."""
    member_id = member_id or world.member_id
    now = utcnow()
    moments = [now - timedelta(days=1, hours=3 * n) for n in range(count)]
    tier = db.session.scalar(select(Tier.id).where(Tier.code == "silver"))
    key = f"{label}:{member_id}"

    db.session.execute(insert(PointsEntry), [
        {"member_id": member_id, "amount": 10, "kind": "purchase", "reason": f"History {n}",
         "idempotency_key": f"history:{key}:{n}", "created_at": at, "expires_at": add_months(at, 24),
         "remaining": 10, "qualifying": 10} for n, at in enumerate(moments)])
    member = db.session.get(Member, member_id)
    member.points_balance += 10 * count
    entry = db.session.scalar(select(PointsEntry.id).where(PointsEntry.idempotency_key == f"history:{key}:0"))

    db.session.execute(insert(Redemption), [
        {"member_id": member_id, "reward_id": world.reward_id, "points": 10, "points_entry_id": entry,
         "voucher_code": f"H-{key}-{n}", "idempotency_key": f"history:{key}:{n}", "status": "used",
         "created_at": at - timedelta(hours=1), "used_at": at} for n, at in enumerate(moments)])

    db.session.execute(insert(Event), [
        {"title": f"Past event {key} {n}", "starts_at": at - timedelta(days=30),
         "ends_at": at - timedelta(days=30, hours=-2),
         "capacity": 20, "status": "published", "published_at": at - timedelta(days=60), "venue": "Xinyi",
         "created_at": at - timedelta(days=60)} for n, at in enumerate(moments)])
    event_ids = db.session.scalars(select(Event.id).where(Event.title.like(f"Past event {key} %"))).all()
    db.session.execute(insert(Registration), [
        {"event_id": event_id, "member_id": member_id, "status": "confirmed", "registered_at": at - timedelta(days=40),
         "confirmed_at": at - timedelta(days=40), "checked_in_at": at - timedelta(days=30)}
        for event_id, at in zip(event_ids, moments, strict=True)])

    db.session.execute(insert(Ticket), [
        {"number": f"T-{label[:1].upper()}{member_id % 100:02d}-{n:06d}", "member_id": member_id, "kind": "feedback",
         "subject": f"History {n}", "status": "closed", "priority": False, "first_response_due_at": at,
         "resolution_due_at": at, "resolution_hours": 48, "resolved_at": at, "closed_at": at,
         "version": 2, "created_at": at, "updated_at": at} for n, at in enumerate(moments)])
    ticket_ids = db.session.scalars(select(Ticket.id).where(
        Ticket.number.like(f"T-{label[:1].upper()}{member_id % 100:02d}-%"))).all()
    db.session.execute(insert(TicketMessage), [
        {"ticket_id": ticket_id, "member_id": member_id, "body": "It was refused at the till.", "created_at": now,
         "version": 1} for ticket_id in ticket_ids])

    # Unique per member (the invitations' key includes the member), within a 32-bit integer whatever the id.
    first_about = 1_000_000 * (1 + len(label))
    db.session.execute(insert(Invitation), [
        {"survey_id": world.survey_id, "member_id": member_id, "about_type": "ticket", "about_id": first_about + n,
         "created_at": at, "expires_at": at + timedelta(days=30), "emailed_at": at, "answered_at": at}
        for n, at in enumerate(moments)])
    invitation_ids = db.session.scalars(select(Invitation.id).where(
        Invitation.about_id >= first_about, Invitation.about_id < first_about + count,
        Invitation.member_id == member_id)).all()
    db.session.execute(insert(Response), [
        {"survey_id": world.survey_id, "invitation_id": invitation_id, "tier_id": tier, "language": "en",
         "submitted_at": now} for invitation_id in invitation_ids])
    response_ids = db.session.scalars(select(Response.id).where(Response.invitation_id.in_(
        select(Invitation.id).where(Invitation.about_id >= first_about, Invitation.about_id < first_about + count,
                                    Invitation.member_id == member_id)))).all()
    rating = world.question_ids[0]
    db.session.execute(insert(Answer), [
        {"response_id": response_id, "question_id": rating, "number": n % 11}
        for n, response_id in enumerate(response_ids)])

    db.session.execute(insert(Notification), [
        {"member_id": member_id, "template": "reward_voucher", "subject": f"Your voucher {n}", "body": "A voucher.",
         "created_at": at, "read_at": at} for n, at in enumerate(moments)])
    db.session.execute(insert(AuditEntry), [
        {"created_at": at, "actor_staff_id": world.staff_id, "action": "member.points_adjusted",
         "target_type": "member", "target_id": member_id, "member_id": member_id, "before": {}, "after": {},
         "reason": "History"}
        for at in moments])
    db.session.execute(insert(OutboxMessage), [
        {"template": "reward_voucher", "kind": "account", "to_email": member.email, "member_id": member_id,
         "language": "en", "subject": f"Your voucher {n}", "body_text": "b", "body_html": "<p>b</p>", "status": "sent",
         "attempts": 1, "created_at": at, "sent_at": at} for n, at in enumerate(moments)])
    world.after_id = ledger.history(member, limit=5)[0][-1].id
    db.session.flush()


HTMX = {"HX-Request": "true"}


def member_pages(world):
    return {
        "member home": ("/", {}),
        "points": ("/points", {}),
        "points: load more (htmx)": (f"/points?after={world.after_id}", {"headers": HTMX}),
        "benefits": ("/benefits", {}),
        "rewards": ("/rewards", {}),
        "events": ("/events", {}),
        "events: load more (htmx)": (f"/events?after={world.event_id}", {"headers": HTMX}),  # Latte art
        "an event": (f"/events/{world.event_id}", {}),
        "my tickets": ("/tickets", {}),
        "my tickets: load more (htmx)": (f"/tickets?after={world.ticket_id}", {"headers": HTMX}),  # the history
        "a ticket": (f"/tickets/{world.ticket_number}", {}),
    }


def staff_pages(world):
    return {
        "staff: member search": ("/admin/members?q=lin", {}),
        "staff: member page": (f"/admin/members/{world.member_id}", {}),
        "staff: ticket queue": ("/admin/tickets/", {}),
        "staff: a ticket": (f"/admin/tickets/{world.ticket_number}", {}),
        "staff: survey results": (f"/admin/surveys/{world.survey_id}/results", {}),
    }


def visit_pages(app, world, visit):
    """visit(name, get) for every page: the member's (logged in), staff's, the survey link (no login);
    get() requests the page and checks that it answered 200."""
    survey_link = {"survey link": (f"/s/{world.token}", {})}
    for email, pages in ((world.member_email, member_pages(world)), (world.staff_email, staff_pages(world)),
                         (None, survey_link)):
        client = app.test_client()
        if email:
            login(client, email)
        for name, (path, kwargs) in pages.items():
            visit(name, lambda path=path, kwargs=kwargs, client=client, name=name: _get(client, name, path, kwargs))


def _get(client, name, path, kwargs):
    response = client.get(path, **kwargs)
    assert response.status_code == 200, f"{name}: {response.status_code}"
    return response
