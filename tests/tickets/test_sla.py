"""The SLA clock (portal/tickets/sla.py), pure: due times by kind and priority, pausing and resuming
across midnight and month ends, several pauses, a reopened ticket, what the clock shows."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.tickets import sla

TARGETS = sla.Targets(first_response_hours=24, complaint_hours=24, resolution_hours=48, priority_factor=0.5,
                      due_soon_hours=2)


def at(*parts):
    return datetime(*parts, tzinfo=UTC)


@dataclass
class FakeTicket:
    kind: str = "consultation"
    priority: bool = False
    status: str = "in_progress"
    first_response_due_at: datetime = None
    resolution_due_at: datetime = None
    resolution_hours: float = None
    first_responded_at: datetime = None
    paused_at: datetime = None
    resolved_at: datetime = None
    closed_at: datetime = None


START = at(2026, 3, 2, 9)


def filed(kind="consultation", priority=False, start=START, targets=TARGETS):
    first, resolution = sla.due_times(kind, priority, start, targets)
    return FakeTicket(kind=kind, priority=priority, first_response_due_at=first, resolution_due_at=resolution,
                      resolution_hours=sla.resolution_hours(kind, priority, targets))


def test_due_times_by_kind_in_calendar_hours():
    start = at(2026, 3, 2, 9)
    assert sla.due_times("complaint", False, start, TARGETS) == (at(2026, 3, 3, 9), at(2026, 3, 3, 9))
    assert sla.due_times("consultation", False, start, TARGETS) == (at(2026, 3, 3, 9), at(2026, 3, 4, 9))
    assert sla.due_times("feedback", False, start, TARGETS) == (at(2026, 3, 3, 9), at(2026, 3, 4, 9))
    # A Saturday counts like any day: calendar hours.
    assert sla.due_times("complaint", False, at(2026, 3, 7, 9), TARGETS)[1] == at(2026, 3, 8, 9)


def test_a_priority_member_gets_half_the_times():
    start = at(2026, 3, 2, 9)
    assert sla.due_times("complaint", True, start, TARGETS) == (at(2026, 3, 2, 21), at(2026, 3, 2, 21))
    assert sla.due_times("consultation", True, start, TARGETS) == (at(2026, 3, 2, 21), at(2026, 3, 3, 9))


def test_pause_and_resume_across_midnight_moves_the_due_time_by_exactly_the_pause():
    ticket = filed()
    due = ticket.resolution_due_at
    sla.pause(ticket, at(2026, 3, 2, 22, 15))
    assert sla.clock(ticket, at(2026, 3, 3, 1)).state == "paused"
    sla.resume(ticket, at(2026, 3, 3, 1, 45, 30))
    assert ticket.paused_at is None
    assert ticket.resolution_due_at == due + timedelta(hours=3, minutes=30, seconds=30)


def test_pause_and_resume_across_month_and_year_ends():
    ticket = filed(start=at(2026, 1, 31, 10))
    assert ticket.resolution_due_at == at(2026, 2, 2, 10)
    sla.pause(ticket, at(2026, 1, 31, 23))
    sla.resume(ticket, at(2026, 2, 1, 2))  # into February: 3 hours
    assert ticket.resolution_due_at == at(2026, 2, 2, 13)
    leap = filed(start=at(2028, 2, 28, 12))
    sla.pause(leap, at(2028, 2, 28, 20))
    sla.resume(leap, at(2028, 3, 1, 8))  # over 29 February: 36 hours
    assert leap.resolution_due_at == at(2028, 3, 1, 12) + timedelta(hours=36)
    new_year = filed(kind="complaint", start=at(2026, 12, 31, 12))
    sla.pause(new_year, at(2026, 12, 31, 20))
    sla.resume(new_year, at(2027, 1, 1, 4))
    assert new_year.resolution_due_at == at(2027, 1, 1, 20)


def test_several_pauses_accumulate_and_a_second_pause_keeps_the_first_moment():
    ticket = filed()
    due = ticket.resolution_due_at
    sla.pause(ticket, at(2026, 3, 2, 10))
    sla.pause(ticket, at(2026, 3, 2, 11))  # already paused: the first moment counts
    sla.resume(ticket, at(2026, 3, 2, 12))
    sla.resume(ticket, at(2026, 3, 2, 13))  # not paused: nothing moves
    sla.pause(ticket, at(2026, 3, 3, 8))
    sla.resume(ticket, at(2026, 3, 3, 8, 30))
    assert ticket.resolution_due_at == due + timedelta(hours=2, minutes=30)


def test_a_reopened_ticket_restarts_its_resolution_clock_from_now():
    ticket = filed(kind="complaint", priority=True)
    ticket.paused_at = at(2026, 3, 2, 12)
    sla.restart_resolution(ticket, at(2026, 3, 10, 9))
    assert ticket.paused_at is None
    assert ticket.resolution_due_at == at(2026, 3, 10, 21)  # 12 hours: still a priority complaint


def test_a_changed_setting_applies_to_tickets_filed_after_it():
    before = filed(kind="complaint")
    faster = sla.Targets(first_response_hours=8, complaint_hours=12, resolution_hours=24, priority_factor=0.5)
    after = filed(kind="complaint", targets=faster)
    assert (before.first_response_due_at, before.resolution_due_at) == (at(2026, 3, 3, 9), at(2026, 3, 3, 9))
    assert (after.first_response_due_at, after.resolution_due_at) == (at(2026, 3, 2, 17), at(2026, 3, 2, 21))
    # The stored due times are what the clock reads: the older ticket keeps its own.
    assert sla.clock(before, at(2026, 3, 2, 18)).due_at == at(2026, 3, 3, 9)
    # Reopened after the change, each restarts with the hours it got when filed, not today's setting.
    assert (before.resolution_hours, after.resolution_hours) == (24, 12)
    sla.restart_resolution(before, at(2026, 3, 10, 9))
    sla.restart_resolution(after, at(2026, 3, 10, 9))
    assert (before.resolution_due_at, after.resolution_due_at) == (at(2026, 3, 11, 9), at(2026, 3, 10, 21))


def test_the_clock_shows_the_running_due_time_breached_and_due_soon():
    ticket = filed(kind="complaint")
    shown = sla.clock(ticket, at(2026, 3, 2, 10))
    assert shown == sla.Clock("reply_due", at(2026, 3, 3, 9), breached=False, due_soon=False)
    assert sla.clock(ticket, at(2026, 3, 3, 7, 30)).due_soon
    late = sla.clock(ticket, at(2026, 3, 3, 9))
    assert late.breached and not late.due_soon
    ticket.first_responded_at = at(2026, 3, 2, 11)
    ticket.resolution_due_at = at(2026, 3, 4, 9)
    assert sla.clock(ticket, at(2026, 3, 3, 10)) == sla.Clock("resolution_due", at(2026, 3, 4, 9))
    ticket.status, ticket.paused_at = "waiting_on_member", at(2026, 3, 3, 10)
    assert sla.clock(ticket, at(2026, 3, 9)) == sla.Clock("paused", None)
    ticket.status, ticket.paused_at, ticket.resolved_at = "resolved", None, at(2026, 3, 3, 12)
    assert sla.clock(ticket, at(2026, 3, 9)) == sla.Clock("resolved", at(2026, 3, 3, 12))
    ticket.status, ticket.closed_at = "closed", at(2026, 3, 10)
    assert sla.clock(ticket, at(2026, 3, 11)).state == "closed"
