"""Progress against SKP targets and the month's minutes (DESIGN.md section 3), as pure arithmetic.

Realisation counts approved entries only; entries still waiting are reported beside it, never
added in. The month's requirement is working days x minutes per day; leave (cuti) days are
credited at a full day's minutes each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from kinerja.calendar import WorkCalendar

BAR_WIDTH = 10
HUNDRED = Decimal(100)


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal:
    """`part` of `whole` in percent, one decimal, half up; 0 when `whole` is 0."""
    if not whole:
        return Decimal(0).quantize(Decimal("0.1"))
    value = Decimal(part) * HUNDRED / Decimal(whole)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def text_bar(share: Decimal, width: int = BAR_WIDTH) -> str:
    """`▓▓▓▓░░░░░░` for a percentage; past 100 % the bar is simply full."""
    filled = int(
        (min(max(share, Decimal(0)), HUNDRED) * width / HUNDRED).to_integral_value(ROUND_HALF_UP)
    )
    return "▓" * filled + "░" * (width - filled)


@dataclass(frozen=True, slots=True)
class RhkProgress:
    number: int
    title: str
    target: Decimal
    unit: str
    approved: Decimal
    pending: Decimal

    @property
    def percent(self) -> Decimal:
        return percent(self.approved, self.target)

    @property
    def bar(self) -> str:
        return text_bar(self.percent)


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One RHK's cumulative approved realisation, in percent of its yearly target."""

    number: int
    title: str
    points: tuple[tuple[date, float], ...]


@dataclass(frozen=True, slots=True)
class MonthMinutes:
    """A month's effective minutes against the requirement, as of `as_of`."""

    working_days: int  # in the whole month
    working_days_to_date: int
    leave_days: int  # working days on leave, credited
    daily_minutes: int
    approved: int
    pending: int

    @property
    def required(self) -> int:
        return self.working_days * self.daily_minutes

    @property
    def required_to_date(self) -> int:
        return self.working_days_to_date * self.daily_minutes

    @property
    def credited(self) -> int:
        return self.leave_days * self.daily_minutes

    @property
    def achieved(self) -> int:
        """Approved minutes plus the leave credit: what counts against the requirement."""
        return self.approved + self.credited

    @property
    def percent(self) -> Decimal:
        return percent(self.achieved, self.required)


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def month_minutes(
    calendar: WorkCalendar,
    month_of: date,
    as_of: date,
    leave: Iterable[date],
    *,
    daily_minutes: int,
    approved: int,
    pending: int,
) -> MonthMinutes:
    """The month containing `month_of`; `as_of` bounds "to date" (the month's end if later)."""
    first, last = month_bounds(month_of)
    days = calendar.working_days(first, last)
    to_date = sum(1 for day in days if day <= as_of)
    credited = {day for day in leave if first <= day <= last and calendar.is_working_day(day)}
    return MonthMinutes(len(days), to_date, len(credited), daily_minutes, approved, pending)


def straight_line_target(target: Decimal, day: date) -> Decimal:
    """Where a yearly target should stand on `day` if spread evenly over the year."""
    first = date(day.year, 1, 1)
    days_in_year = (date(day.year + 1, 1, 1) - first).days
    return target * Decimal((day - first).days + 1) / Decimal(days_in_year)


def cumulative(
    realised: Mapping[date, Decimal], first: date, last: date
) -> list[tuple[date, Decimal]]:
    """Running totals of quantities per day from `first` to `last` (a point per change)."""
    total = Decimal(0)
    points: list[tuple[date, Decimal]] = [(first, total)]
    for day in sorted(d for d in realised if first <= d <= last):
        total += realised[day]
        points.append((day, total))
    if points[-1][0] != last:
        points.append((last, total))
    return points
