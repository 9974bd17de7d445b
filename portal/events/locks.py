"""The locks of events and registrations, in their one order: the event row, then its
registrations, then the member (the ledger locks it). Every writer of registrations takes them
here — the services and the jobs that tell members — so no two transactions wait on each other in
a circle (PostgreSQL would abort one; SQLite's writers take turns anyway)."""

from sqlalchemy import select

from portal.events.models import Event, Registration
from portal.extensions import db


def lock_event(event_id):
    """Lock the event's row for the rest of the transaction and return it, reloaded."""
    db.session.flush()
    return db.session.execute(
        select(Event).where(Event.id == event_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def locked_registration(event_id, member_id):
    """The member's registration for the event, locked and reloaded (the event's lock is held), or None."""
    return db.session.scalar(
        select(Registration).where(Registration.event_id == event_id, Registration.member_id == member_id)
        .with_for_update().execution_options(populate_existing=True)
    )


def locked_registrations(registration_ids):
    """The registrations `registration_ids`, each locked after its event (events in id order, then
    their registrations in id order); yields (event, registration)."""
    pairs = db.session.execute(
        select(Registration.event_id, Registration.id).where(Registration.id.in_(registration_ids))
        .order_by(Registration.event_id, Registration.id)
    ).all() if registration_ids else []
    event = None
    for event_id, registration_id in pairs:
        if event is None or event.id != event_id:
            event = lock_event(event_id)
        registration = db.session.scalar(
            select(Registration).where(Registration.id == registration_id).with_for_update()
            .execution_options(populate_existing=True))
        yield event, registration
