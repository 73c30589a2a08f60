"""Rules a daily activity entry must satisfy before it is saved.

Pure functions over plain values: the caller loads the employee's other entries for the day, the
unit's clock and its working-day calendar, so every rule here can be tested with a table and no
database. Text parsing lives in ``kinerja.activity_text``; its codes are listed here too so the
catalog test covers everything a user can see from this feature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from kinerja.errors import RuleViolation

MINUTES_PER_DAY = 24 * 60
MAX_ENTRY_MINUTES = MINUTES_PER_DAY
MAX_CUTOFF_DAY = 28
# Longest plausible run of non-working days (Lebaran with cuti bersama is about ten); a calendar
# that never yields a working day within this is broken, and looping forever would hide that.
MAX_DAYS_OFF = 60

ACTIVITY_TEXT_ERROR_CODES = (
    "activity.time",
    "activity.time_range",
    "activity.end_before_start",
    "activity.duration",
    "activity.duration_too_long",
    "activity.quantity",
    "activity.date",
    "activity.rhk",
    "activity.description_short",
    "activity.description_long",
)
ACTIVITY_RULE_ERROR_CODES = (
    "activity.end_before_start",
    "activity.duration",
    "activity.duration_too_long",
    "activity.future",
    "activity.closed_period",
    "activity.overlap",
    "activity.day_full",
)
ACTIVITY_ERROR_CODES = tuple(dict.fromkeys(ACTIVITY_TEXT_ERROR_CODES + ACTIVITY_RULE_ERROR_CODES))


class ActivityRuleError(RuleViolation):
    """An entry that is well formed but cannot be recorded for that day."""


def minutes_between(start: time, end: time) -> int:
    """Whole minutes from ``start`` to ``end`` on the same day; negative when ``end`` is earlier.

    Seconds are ignored because people log activities to the minute; an entry never spans
    midnight (it is split into two entries instead), so no wrap-around is attempted.
    """
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def open_period_start(today: date, cutoff_day: int) -> date:
    """First day that may still be logged or edited.

    A month stays open until the end of day ``cutoff_day`` of the following month, giving staff
    a few days to finish the previous month before the monthly performance recap is locked.
    """
    if not 1 <= cutoff_day <= MAX_CUTOFF_DAY:
        raise ValueError(f"cutoff_day must be 1..{MAX_CUTOFF_DAY}, got {cutoff_day}")
    this_month = today.replace(day=1)
    if today.day > cutoff_day:
        return this_month
    return (this_month - timedelta(days=1)).replace(day=1)


def check_entry(
    *,
    work_date: date,
    start: time | None,
    end: time | None,
    minutes: int,
    now: datetime,
    open_from: date,
    same_day: Sequence[tuple[time, time]],
    untimed_minutes: int = 0,
) -> None:
    """Raise ``ActivityRuleError`` when the entry cannot be recorded.

    ``now`` must be aware and already in the employee's unit zone: "today" and "later today"
    are judged by the clock on the employee's wall, not the server's. ``same_day`` holds the
    time ranges of the employee's other entries that day (excluding the one being edited) and
    ``untimed_minutes`` the total of that day's entries logged as a bare duration, which can
    still fill the day although they cannot overlap anything.

    The order of the checks decides which problem the user hears about first: the entry's own
    shape, then when it happened, then how it fits with the rest of the day.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware, in the employee's unit zone")
    if (start is None) != (end is None):
        raise ValueError("start and end are given together or not at all")
    if start is not None and end is not None:
        if end <= start:
            raise ActivityRuleError("activity.end_before_start")
        if minutes != minutes_between(start, end):
            raise ValueError(f"minutes {minutes} disagree with {start}-{end}")
    if minutes <= 0:
        raise ActivityRuleError("activity.duration")
    if minutes > MAX_ENTRY_MINUTES:
        raise ActivityRuleError(
            "activity.duration_too_long", {"max_hours": MAX_ENTRY_MINUTES // 60}
        )

    _check_when(work_date, end, minutes, now, open_from)

    ranges = sorted(same_day)
    if start is not None and end is not None:
        for other_start, other_end in ranges:
            # Touching ranges (08.00-09.00 then 09.00-10.00) are back-to-back work, not overlap.
            if start < other_end and other_start < end:
                raise ActivityRuleError(
                    "activity.overlap",
                    {"start": _clock(other_start), "end": _clock(other_end)},
                )
    logged = untimed_minutes + sum(max(minutes_between(s, e), 0) for s, e in ranges)
    if logged + minutes > MINUTES_PER_DAY:
        raise ActivityRuleError(
            "activity.day_full",
            {"max_hours": MINUTES_PER_DAY // 60, "remaining": max(MINUTES_PER_DAY - logged, 0)},
        )


def _check_when(
    work_date: date, end: time | None, minutes: int, now: datetime, open_from: date
) -> None:
    today = now.date()
    if work_date > today:
        raise ActivityRuleError("activity.future")
    if work_date == today:
        elapsed = now.hour * 60 + now.minute
        if end is not None and end.hour * 60 + end.minute > elapsed:
            raise ActivityRuleError("activity.future")
        # A bare duration logged today cannot be longer than the day so far.
        if end is None and minutes > elapsed:
            raise ActivityRuleError("activity.future")
    if work_date < open_from:
        raise ActivityRuleError("activity.closed_period", {"open_from": f"{open_from:%d/%m/%Y}"})


def is_on_time(work_date: date, submitted: date, is_working_day: Callable[[date], bool]) -> bool:
    """Whether an entry was logged by the end of the next working day after the work.

    Daily logging is expected, with one working day of slack: Friday's work may wait until
    Monday, or Tuesday when Monday is a holiday. Work done on a day off gets the same slack.
    """
    if submitted <= work_date:
        return True
    deadline = work_date + timedelta(days=1)
    for _ in range(MAX_DAYS_OFF):
        if is_working_day(deadline):
            return submitted <= deadline
        deadline += timedelta(days=1)
    raise ValueError(f"no working day within {MAX_DAYS_OFF} days after {work_date}")


def _clock(value: time) -> str:
    return f"{value.hour:02d}.{value.minute:02d}"


@dataclass(frozen=True, slots=True)
class WorkPolicy:
    """The instansi's rules for daily activities (configurable; defaults follow regional practice).

    `cutoff_day`: day of the next month after which a month is locked. `daily_minutes`: the
    effective minutes expected per working day (a common model: 300).
    """

    cutoff_day: int = 5
    daily_minutes: int = 300
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    # The evaluation cycle: "monthly" or "quarterly" periods, and how many days after a
    # period's end its evaluation (and any objection) stays open.
    evaluation_period: str = "quarterly"
    evaluation_window_days: int = 30

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_weekdays


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "diajukan"
    APPROVED = "disetujui"
    REVISION = "revisi"
    REJECTED = "ditolak"

    @property
    def editable(self) -> bool:
        """Approved entries are locked: they count for the SKP and the TPP allowance."""
        return self is not Status.APPROVED


@dataclass(frozen=True, slots=True)
class ActivityView:
    """An entry as its owner sees it in lists and cards."""

    id: int
    employee_id: int
    work_date: date
    start: time | None
    end: time | None
    minutes: int
    description: str
    rhk_id: int | None
    rhk_number: int | None
    rhk_title: str | None
    quantity: Decimal | None
    quantity_unit: str | None
    evidence: Mapping[str, str] | None
    status: Status
    decision_note: str | None
