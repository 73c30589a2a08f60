"""Rules of reminders, deadlines and broadcasts (pure): when a reminder is due, who an audience
is, what a broadcast may say.

Deadlines count back in calendar days ("H-3" is three days before the deadline); a reminder
whose day is not a working day comes on the working day before it, so nobody is nudged on a
Sunday or a holiday and nobody misses the warning either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from kinerja.calendar import MAX_DAYS_OFF, WorkCalendar
from kinerja.errors import RuleViolation

DEFAULT_DEADLINE_OFFSETS = (7, 3, 1, 0)
DEFAULT_CLOSING_OFFSETS = (3, 1)
MAX_BROADCAST_TEXT = 4000  # Telegram allows 4096; room for the header the bot adds
MAX_OFFSET = 60


class ReminderError(RuleViolation):
    """Bad input to a reminder, deadline, calendar or broadcast command."""


def previous_working_day(calendar: WorkCalendar, day: date) -> date:
    """The last working day strictly before `day`."""
    candidate = day - timedelta(days=1)
    for _ in range(MAX_DAYS_OFF):
        if calendar.is_working_day(candidate):
            return candidate
        candidate -= timedelta(days=1)
    raise ValueError(f"no working day within {MAX_DAYS_OFF} days before {day}")


def reminder_day(calendar: WorkCalendar, deadline: date, offset: int) -> date:
    """When the H-`offset` reminder of `deadline` goes out: that day, or the working day
    before it when it is a day off."""
    day = deadline - timedelta(days=offset)
    if calendar.is_working_day(day):
        return day
    return previous_working_day(calendar, day)


def due_offsets(
    calendar: WorkCalendar, deadline: date, offsets: Iterable[int], today: date
) -> list[int]:
    """The offsets whose reminder falls on `today` (several when days off squeeze them)."""
    if not calendar.is_working_day(today):
        return []
    return sorted(
        {offset for offset in offsets if reminder_day(calendar, deadline, offset) == today},
        reverse=True,
    )


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def previous_month(day: date) -> date:
    """The first day of the month before `day`'s."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


# --- dates typed by admins and employees ------------------------------------------------------

_DAY_RE = re.compile(
    r"^\s*(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?)\s*$"
)


def parse_day(text: str, today: date) -> date:
    """`2026-12-24`, `24/12/2026` or `24/12` (the next such date from today)."""
    match = _DAY_RE.match(text)
    if match is None:
        raise ReminderError("calendar.bad_date", {"text": text.strip()[:40]})
    iy, im, id_, d, m, y = match.groups()
    try:
        if iy is not None:
            return date(int(iy), int(im), int(id_))
        if y is not None:
            return date(int(y), int(m), int(d))
        candidate = date(today.year, int(m), int(d))
        return candidate if candidate >= today else date(today.year + 1, int(m), int(d))
    except ValueError:
        raise ReminderError("calendar.bad_date", {"text": text.strip()[:40]}) from None


def parse_offsets(text: str) -> tuple[int, ...]:
    """`7,3,1,0` (days before the deadline)."""
    try:
        values = {int(part) for part in text.replace(" ", "").split(",") if part}
    except ValueError:
        raise ReminderError("deadline.bad_offsets") from None
    if not values or any(value < 0 or value > MAX_OFFSET for value in values):
        raise ReminderError("deadline.bad_offsets")
    return tuple(sorted(values, reverse=True))


# --- audiences ---------------------------------------------------------------------------------


class AudienceKind(StrEnum):
    ALL = "all"
    UNIT = "unit"  # one unit
    UNIT_TREE = "tree"  # a unit and its sub-units
    ATASAN = "atasan"  # people with staff
    NO_ACTIVITY = "idle"  # nothing logged today
    PENDING = "pending"  # atasan with entries waiting for them


@dataclass(frozen=True, slots=True)
class Audience:
    kind: AudienceKind
    unit_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "unit_id": self.unit_id}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Audience:
        unit = data.get("unit_id")
        return cls(AudienceKind(str(data["kind"])), int(unit) if unit is not None else None)


def unit_tree(parents: Mapping[int, int | None], root: int) -> frozenset[int]:
    """`root` and every unit below it (cycle-safe)."""
    children: dict[int, list[int]] = {}
    for unit, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(unit)
    found = {root}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)


def audience_units(
    audience: Audience,
    parents: Mapping[int, int | None],
    admin_unit_id: int | None,
) -> frozenset[int] | None:
    """The units an audience is limited to (None: every unit), within the admin's scope.

    A unit admin (`admin_unit_id`) reaches only their unit and its sub-units: naming another
    unit is refused, and "everyone" means everyone in their units.
    """
    scope = unit_tree(parents, admin_unit_id) if admin_unit_id is not None else None
    if audience.kind in (AudienceKind.UNIT, AudienceKind.UNIT_TREE):
        if audience.unit_id is None or audience.unit_id not in parents:
            raise ReminderError("broadcast.unknown_unit")
        if scope is not None and audience.unit_id not in scope:
            raise ReminderError("broadcast.other_unit")
        if audience.kind is AudienceKind.UNIT:
            return frozenset({audience.unit_id})
        return unit_tree(parents, audience.unit_id)
    return scope


def check_broadcast(text: str, send_at: datetime, now: datetime) -> str:
    """The text to send, or why not: empty, over the platform's limit, scheduled in the past."""
    cleaned = text.strip()
    if not cleaned:
        raise ReminderError("broadcast.empty_text")
    if len(cleaned) > MAX_BROADCAST_TEXT:
        raise ReminderError(
            "broadcast.too_long", {"length": len(cleaned), "limit": MAX_BROADCAST_TEXT}
        )
    if send_at < now - timedelta(minutes=1):
        raise ReminderError("broadcast.in_past")
    return cleaned


_WHEN_RE = re.compile(r"^\s*(\S+)\s+(\d{1,2})[.:](\d{2})\s*$")


def parse_when(text: str, today: date) -> tuple[date, int, int]:
    """`25/11 14.00` or `2026-11-25 14:00`: a local date and time for a scheduled broadcast."""
    match = _WHEN_RE.match(text)
    if match is None:
        raise ReminderError("broadcast.bad_time")
    try:
        day = parse_day(match.group(1), today)
    except ReminderError:
        raise ReminderError("broadcast.bad_time") from None
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ReminderError("broadcast.bad_time")
    return day, hour, minute
