"""What the member's "New ticket" form offers: their own events and vouchers (one query each)."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.events.models import Registration
from portal.extensions import db
from portal.i18n import localized
from portal.rewards.models import Redemption

LATEST = 30  # the newest few: a ticket is mostly about something recent


def event_choices(member):
    """(event id, its title) of the events the member registered for, newest first."""
    registrations = db.session.scalars(
        select(Registration).where(Registration.member_id == member.id).options(joinedload(Registration.event))
        .order_by(Registration.registered_at.desc(), Registration.id.desc()).limit(LATEST)).all()
    return [(r.event_id, localized(r.event, "title")) for r in registrations]


def voucher_choices(member):
    """(redemption id, the reward's name and voucher code) of the member's vouchers, newest first."""
    redemptions = db.session.scalars(
        select(Redemption).where(Redemption.member_id == member.id).options(joinedload(Redemption.reward))
        .order_by(Redemption.created_at.desc(), Redemption.id.desc()).limit(LATEST)).all()
    return [(r.id, f"{localized(r.reward, 'name')} ({r.voucher_code})") for r in redemptions]


def own_event(member, event_id):
    """The event `event_id` if the member registered for it, else None."""
    if not event_id:
        return None
    registration = db.session.scalar(select(Registration).where(
        Registration.member_id == member.id, Registration.event_id == event_id).options(
        joinedload(Registration.event)))
    return registration.event if registration is not None else None


def own_redemption(member, redemption_id):
    """The member's redemption `redemption_id`, else None."""
    if not redemption_id:
        return None
    return db.session.scalar(select(Redemption).where(Redemption.id == redemption_id,
                                                      Redemption.member_id == member.id))
