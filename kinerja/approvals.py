"""Rules for an atasan's verification of daily activities: who may decide, what, and when.

Pure functions over plain values, so every authorisation rule is a table test. The service in
`kinerja.services.approvals` loads the facts (the entry, its owner's current atasan, active
delegations) and applies these rules on the server for every press.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from kinerja.activities import Status, open_period_start
from kinerja.errors import RuleViolation

NOTE_MIN = 3
NOTE_MAX = 500
# Reasons offered as buttons for Revisi/Tolak (catalog keys `approval.reason.<code>`).
COMMON_REASONS = ("detail", "evidence", "time", "rhk")

APPROVAL_ERROR_CODES = (
    "approval.own_entry",
    "approval.not_your_team",
    "approval.already_decided",
    "approval.closed_period",
    "approval.note_short",
    "approval.note_long",
    "approval.missing",
    "approval.owner_inactive",
    "approval.delegate_self",
    "approval.delegate_inactive",
    "approval.delegate_dates",
    "approval.period_format",
    "approval.period_long",
    "approval.period_past",
)


class Decision(StrEnum):
    """What an atasan can do with a submitted entry; the value is the callback code."""

    APPROVE = "ok"
    REVISE = "rv"
    REJECT = "no"

    @property
    def outcome(self) -> Status:
        return {
            Decision.APPROVE: Status.APPROVED,
            Decision.REVISE: Status.REVISION,
            Decision.REJECT: Status.REJECTED,
        }[self]

    @property
    def needs_note(self) -> bool:
        """Sending back or rejecting must say why: the employee has to know what to fix."""
        return self is not Decision.APPROVE


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """One submitted entry as an approver sees it on a card or in a list."""

    id: int
    owner_id: int
    owner_name: str
    owner_nip: str
    work_date: date
    start: time | None
    end: time | None
    minutes: int
    description: str
    rhk_number: int | None
    rhk_title: str | None
    quantity: Decimal | None
    quantity_unit: str | None
    evidence: dict[str, str] | None
    status: Status
    on_time: bool | None
    submitted_at: datetime | None
    decided_at: datetime | None
    decided_by_name: str | None
    decision_note: str | None


@dataclass(frozen=True, slots=True)
class HistoryItem:
    at: datetime
    action: str
    actor_name: str | None
    note: str | None


class ApprovalError(RuleViolation):
    """A decision that may not be made; the code names the reason shown to the presser."""


class ApprovalMode(StrEnum):
    """How an atasan hears about new entries: a card each, or one digest a day."""

    INSTANT = "instant"
    DIGEST = "digest"


@dataclass(frozen=True, slots=True)
class Delegation:
    """A Plt/Plh: `delegate_id` decides for `delegator_id` from `starts` to `ends` inclusive."""

    delegator_id: int
    delegate_id: int
    starts: date
    ends: date

    def active_on(self, day: date) -> bool:
        return self.starts <= day <= self.ends


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """What the rules need to know about an entry and its owner, loaded by the service."""

    activity_id: int
    owner_id: int
    owner_active: bool
    owner_supervisor_id: int | None
    status: Status
    work_date: date


def approvers_of(
    supervisor_id: int | None, delegations: Iterable[Delegation], today: date
) -> frozenset[int]:
    """Everyone who may decide for an employee whose current atasan is `supervisor_id`."""
    if supervisor_id is None:
        return frozenset()
    delegates = {
        d.delegate_id
        for d in delegations
        if d.delegator_id == supervisor_id and d.active_on(today)
    }
    return frozenset({supervisor_id, *delegates})


def check_may_decide(
    decider_id: int,
    entry: EntryFacts,
    delegations: Iterable[Delegation],
    today: date,
    cutoff_day: int,
) -> None:
    """Raise `ApprovalError` unless `decider_id` may decide `entry` now.

    The order decides which reason the presser hears: identity first (own entry, not their
    team), so a forged payload learns nothing about the entry's state.
    """
    if entry.owner_id == decider_id:
        raise ApprovalError("approval.own_entry")
    if decider_id not in approvers_of(entry.owner_supervisor_id, delegations, today):
        raise ApprovalError("approval.not_your_team")
    if not entry.owner_active:
        raise ApprovalError("approval.owner_inactive")
    if entry.status is not Status.SUBMITTED:
        raise ApprovalError("approval.already_decided", {"status": entry.status.value})
    open_from = open_period_start(today, cutoff_day)
    if entry.work_date < open_from:
        raise ApprovalError("approval.closed_period", {"open_from": f"{open_from:%d/%m/%Y}"})


def clean_note(decision: Decision, note: str | None) -> str | None:
    """The note to store: required (3..500 characters) for Revisi and Tolak, optional else."""
    text = " ".join((note or "").split())
    if not text:
        if decision.needs_note:
            raise ApprovalError("approval.note_short", {"min": NOTE_MIN})
        return None
    if len(text) < NOTE_MIN:
        raise ApprovalError("approval.note_short", {"min": NOTE_MIN})
    if len(text) > NOTE_MAX:
        raise ApprovalError("approval.note_long", {"max": NOTE_MAX})
    return text


def working_days_between(first: date, last: date, is_working_day: Callable[[date], bool]) -> int:
    """Working days after `first` up to and including `last` (0 when `last <= first`)."""
    count = 0
    day = first + timedelta(days=1)
    while day <= last:
        if is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return count


def needs_escalation(
    submitted_on: date,
    today: date,
    after_working_days: int,
    is_working_day: Callable[[date], bool],
) -> bool:
    """Pending longer than `after_working_days` working days: remind the atasan's atasan."""
    if after_working_days <= 0:
        return False
    return working_days_between(submitted_on, today, is_working_day) > after_working_days


def is_late_in_period(work_date: date, today: date, cutoff_day: int) -> bool:
    """Submitted for a month that has ended but is still open (before the cut-off).

    Such entries get an instant card even for an atasan on the daily digest: the month locks
    within days, and a digest could come too late.
    """
    month_start = today.replace(day=1)
    return work_date < month_start and work_date >= open_period_start(today, cutoff_day)


_PERIOD_RE = re.compile(
    r"^\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\s*"
    r"(?:-|–|s/d|sd|s\.d\.|sampai|hingga)\s*"
    r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\s*$",
    re.IGNORECASE,
)
MAX_DELEGATION_DAYS = 366


def parse_period(text: str, today: date) -> tuple[date, date]:
    """A delegation period such as ``24/11-28/11`` or ``24/11/2026 s/d 5/1/2027``.

    Without a year a date means its next occurrence (delegations are planned ahead; a start up
    to a week back is kept in this year, for a Plt already acting). The end, without a year,
    is the first such date on or after the start.
    """
    match = _PERIOD_RE.match(text)
    if match is None:
        raise ApprovalError("approval.period_format")
    d1, m1, y1, d2, m2, y2 = match.groups()
    try:
        starts = _dated(int(d1), int(m1), y1, today - timedelta(days=7))
        ends = _dated(int(d2), int(m2), y2, starts)
    except ValueError:
        raise ApprovalError("approval.period_format") from None
    if ends < starts:
        raise ApprovalError("approval.delegate_dates")
    if (ends - starts).days >= MAX_DELEGATION_DAYS:
        raise ApprovalError("approval.period_long", {"days": MAX_DELEGATION_DAYS})
    if ends < today:
        raise ApprovalError("approval.period_past")
    return starts, ends


def _dated(day: int, month: int, year: str | None, not_before: date) -> date:
    if year is not None:
        return date(int(year), month, day)
    candidate = date(not_before.year, month, day)
    return candidate if candidate >= not_before else date(not_before.year + 1, month, day)


@dataclass(frozen=True, slots=True)
class StaffStatus:
    """One staff member's day and month at a glance, for the atasan's team view.

    Minutes count every entry that is not rejected (what was logged); `approved_minutes` is what
    counts towards the requirement.
    """

    employee_id: int
    nip: str
    name: str
    today_minutes: int
    today_entries: int
    month_minutes: int
    approved_minutes: int
    pending: int
    approved: int
