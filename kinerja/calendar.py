"""The working-day calendar (DESIGN.md section 3): which days count, per unit.

Monday to Friday, or Monday to Saturday for units on a six-day week; minus national holidays
and cuti bersama, which the `holidays` package publishes for Indonesia (its "public" and
"government" categories), corrected by what admins record: an extra day off (a Keppres issued
after the package, a local holiday) or a packaged day that is in fact worked. Pure: the service
in `kinerja.services.calendar` loads the admins' corrections and builds one of these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

import holidays

MON_FRI = frozenset(range(5))
MON_SAT = frozenset(range(6))
# Longest plausible run of days off (Lebaran with cuti bersama is about ten days).
MAX_DAYS_OFF = 60


class DayKind(StrEnum):
    """What an admin records for a date."""

    DAY_OFF = "libur"  # not worked: cuti bersama, a local holiday
    WORKED = "masuk"  # worked although the packaged calendar says otherwise


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    day: date
    kind: DayKind
    name: str


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working days for one unit over the years it was built for."""

    working_weekdays: frozenset[int] = MON_FRI
    days_off: Mapping[date, str] = field(default_factory=lambda: MappingProxyType({}))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_weekdays and day not in self.days_off

    def day_off_name(self, day: date) -> str | None:
        """The holiday's name, or None (a weekend has no name)."""
        return self.days_off.get(day)

    def working_days(self, first: date, last: date) -> list[date]:
        days: list[date] = []
        day = first
        while day <= last:
            if self.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def next_working_day(self, after: date) -> date:
        day = after + timedelta(days=1)
        for _ in range(MAX_DAYS_OFF):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"no working day within {MAX_DAYS_OFF} days after {after}")


@lru_cache(maxsize=16)
def official_days_off(year: int) -> Mapping[date, str]:
    """National holidays and cuti bersama of `year`, named in Bahasa Indonesia."""
    published = holidays.country_holidays(
        "ID", years=year, categories=("public", "government"), language="id"
    )
    return MappingProxyType({day: str(name) for day, name in sorted(published.items())})


def build_calendar(
    years: Iterable[int], corrections: Iterable[CalendarEntry], *, six_day_week: bool = False
) -> WorkCalendar:
    """The calendar for `years`: packaged days off, then the admins' corrections on top."""
    days_off: dict[date, str] = {}
    for year in sorted(set(years)):
        days_off.update(official_days_off(year))
    for entry in corrections:
        if entry.kind is DayKind.DAY_OFF:
            days_off[entry.day] = entry.name
        else:
            days_off.pop(entry.day, None)
    weekdays = MON_SAT if six_day_week else MON_FRI
    return WorkCalendar(weekdays, MappingProxyType(days_off))
