"""What the members' events pages read: the upcoming events with their places and the member's own
registration, and one event as its page shows it. Each in a fixed number of queries, whatever the
number of events and registrations (the registrations are counted by the database, never loaded)."""

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from portal.events import services
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.members.models import Tier
from portal.models import utcnow

FILTERS = ("online", "offline", "my_tier")


@dataclass(frozen=True)
class EventView:
    """An event as a member sees it: its counts, the member's registration (or None), why they
    cannot register (or None), why they cannot cancel (or None) and, on the waitlist, their place."""

    event: object
    counts: services.Counts
    registration: object = None
    refusal: services.Refusal | None = None
    cancel_refusal: services.Refusal | None = None
    position: int | None = None

    @property
    def places_left(self):
        return self.counts.places_left(self.event)

    @property
    def status(self):
        """The member's registration status, or None when they hold none."""
        if self.registration is None or self.registration.status == "cancelled":
            return None
        return self.registration.status

    @property
    def over(self):
        return self.event.ends_at <= utcnow()


def upcoming(member, show=None, now=None, after_id=None, limit=20):
    """A page of the published events that have not ended, soonest first (by start, then id), as
    EventViews, and whether there are more: (views, more?). `show` is "online", "offline", "my_tier"
    (open to the member's tier) or None for all; `after_id`, the last event of the previous page: the
    page starts after its (starts_at, id), so two events at the same time are neither repeated nor
    skipped. An unknown or draft `after_id` gives an empty page. Three queries."""
    now = now or utcnow()
    query = (select(Event).options(joinedload(Event.min_tier))
             .where(Event.status == "published", Event.ends_at > now))
    if show == "online":
        query = query.where(Event.online.is_(True))
    elif show == "offline":
        query = query.where(Event.online.is_(False))
    elif show == "my_tier":
        open_tiers = select(Tier.id).where(Tier.rank <= member.tier.rank)
        query = query.where(or_(Event.min_tier_id.is_(None), Event.min_tier_id.in_(open_tiers)))
    if after_id:
        # the cursor's start, read in the same statement; any event members can see (a cancelled or
        # ended one keeps its place), never a draft
        cursor = (select(Event.starts_at).where(Event.id == after_id, Event.status != "draft")
                  .scalar_subquery())
        query = query.where(or_(Event.starts_at > cursor, and_(Event.starts_at == cursor, Event.id > after_id)))
    rows = db.session.scalars(query.order_by(Event.starts_at, Event.id).limit(limit + 1)).unique().all()
    events, more = rows[:limit], len(rows) > limit
    counts = services.counts_for(events)
    mine = {}
    if events:
        mine = {row.event_id: row for row in db.session.scalars(select(Registration).where(
            Registration.member_id == member.id, Registration.event_id.in_([event.id for event in events])))}
    return [EventView(event, counts[event.id], mine.get(event.id),
                      services.why_not(event, member, mine.get(event.id), now)) for event in events], more


def event_view(member, event_id, now=None):
    """The event's page for `member`, or None when members cannot see it (a draft, or no such event)."""
    now = now or utcnow()
    event = db.session.scalar(select(Event).options(joinedload(Event.min_tier))
                              .where(Event.id == event_id, Event.status != "draft"))
    if event is None:
        return None
    registration = services.registration_of(member, event)
    return EventView(
        event, services.counts(event), registration, services.why_not(event, member, registration, now),
        services.why_not_cancel(event, registration, now) if registration is not None else None,
        services.waitlist_position(registration) if registration is not None else None,
    )


def my_registration(member, event_id):
    """The member's own registration for a visible event (any status), or None."""
    return db.session.scalar(
        select(Registration).join(Registration.event)
        .options(joinedload(Registration.event))
        .where(Registration.event_id == event_id, Registration.member_id == member.id, Event.status != "draft"))
