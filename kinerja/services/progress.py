"""`/capaian`: an employee's progress against their SKP and the month's minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kinerja.people import Person, local_now
from kinerja.progress import (
    ChartSeries,
    MonthMinutes,
    RhkProgress,
    cumulative,
    month_bounds,
    month_minutes,
    percent,
)
from kinerja.services.calendar import calendar_for, leave_days
from storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ProgressReport:
    year: int
    today: date
    rhk: tuple[RhkProgress, ...]
    month: MonthMinutes


async def progress_of(
    uow: UnitOfWork, person: Person, now: datetime, *, daily_minutes: int
) -> ProgressReport:
    today = local_now(person, now).date()
    rhk = tuple(
        RhkProgress(number, title, target, unit, approved, pending)
        for number, title, target, unit, approved, pending in await uow.performance.rhk_totals(
            person.id, today.year
        )
    )
    first, last = month_bounds(today)
    calendar = await calendar_for(uow, first, last, six_day_week=person.six_day_week)
    leave = await leave_days(uow, person, first, last, calendar)
    approved, pending = await uow.performance.month_minutes(person.id, first, last)
    month = month_minutes(
        calendar,
        today,
        today,
        leave,
        daily_minutes=daily_minutes,
        approved=approved,
        pending=pending,
    )
    return ProgressReport(today.year, today, rhk, month)


async def chart_series(
    uow: UnitOfWork, person: Person, report: ProgressReport
) -> list[ChartSeries]:
    """Cumulative approved quantities per RHK from 1 January to today, in percent of target."""
    realised = await uow.performance.approved_quantities(person.id, report.year)
    start = date(report.year, 1, 1)
    series: list[ChartSeries] = []
    for item in report.rhk:
        points = cumulative(realised.get(item.number, {}), start, report.today)
        series.append(
            ChartSeries(
                item.number,
                item.title,
                tuple((day, float(percent(total, item.target))) for day, total in points),
            )
        )
    return series
