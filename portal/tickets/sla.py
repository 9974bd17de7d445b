"""The SLA clocks of a ticket, in calendar hours (plain UTC arithmetic): the due times when it is
filed, pausing while it waits on the member, and what the clock shows. Pure functions: no database.
"""

from dataclasses import dataclass
from datetime import timedelta

CLOCK_STATES = ("reply_due", "resolution_due", "paused", "resolved", "closed")


@dataclass(frozen=True)
class Targets:
    """The SLA settings in hours (config TICKET_*), read once when a ticket is filed."""

    first_response_hours: float = 24
    complaint_hours: float = 24
    resolution_hours: float = 48
    priority_factor: float = 0.5
    due_soon_hours: float = 2

    @classmethod
    def from_config(cls, config):
        return cls(config["TICKET_FIRST_RESPONSE_HOURS"], config["TICKET_COMPLAINT_HOURS"],
                   config["TICKET_RESOLUTION_HOURS"], config["TICKET_PRIORITY_FACTOR"],
                   config["TICKET_DUE_SOON_HOURS"])


def resolution_hours(kind, priority, targets):
    """The hours to resolve a ticket of `kind` (halved, by the factor, for priority members)."""
    hours = targets.complaint_hours if kind == "complaint" else targets.resolution_hours
    return hours * (targets.priority_factor if priority else 1)


def due_times(kind, priority, start, targets):
    """(first_response_due_at, resolution_due_at) of a ticket of `kind` filed at `start`."""
    factor = targets.priority_factor if priority else 1
    return (start + timedelta(hours=targets.first_response_hours * factor),
            start + timedelta(hours=resolution_hours(kind, priority, targets)))


def restart_resolution(ticket, now):
    """A reopened ticket's resolution clock starts again from `now` with the hours it got when it was
    filed (ticket.resolution_hours: a change of the settings since does not touch it)."""
    ticket.paused_at = None
    ticket.resolution_due_at = now + timedelta(hours=ticket.resolution_hours)


def pause(ticket, now):
    """Stop the resolution clock at `now` (waiting on the member); pausing twice keeps the first moment."""
    if ticket.paused_at is None:
        ticket.paused_at = now


def resume(ticket, now):
    """Start the resolution clock again: its due time moves later by exactly the time it was paused."""
    if ticket.paused_at is not None:
        ticket.resolution_due_at = ticket.resolution_due_at + (now - ticket.paused_at)
        ticket.paused_at = None


@dataclass(frozen=True)
class Clock:
    """What a ticket's clock shows: `state` (CLOCK_STATES), the running due time (or, resolved/closed,
    when that happened), whether it has passed, whether it passes within the due-soon hours."""

    state: str
    due_at: object
    breached: bool = False
    due_soon: bool = False


def running_due_at(ticket):
    """The due time of the clock that runs: the first response until it was given, then the resolution."""
    if ticket.first_responded_at is None:
        return ticket.first_response_due_at
    return ticket.resolution_due_at


def clock(ticket, now, due_soon_hours=2):
    """The ticket's clock at `now`."""
    if ticket.status == "closed":
        return Clock("closed", ticket.closed_at)
    if ticket.status == "resolved":
        return Clock("resolved", ticket.resolved_at)
    if ticket.paused_at is not None or ticket.status == "waiting_on_member":
        return Clock("paused", None)
    due_at = running_due_at(ticket)
    state = "reply_due" if ticket.first_responded_at is None else "resolution_due"
    breached = due_at <= now
    return Clock(state, due_at, breached, not breached and due_at <= now + timedelta(hours=due_soon_hours))
