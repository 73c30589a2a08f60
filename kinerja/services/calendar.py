"""Building a unit's working-day calendar and reading leave, from what admins recorded."""

from __future__ import annotations

from datetime import date, timedelta

from kinerja.calendar import WorkCalendar, build_calendar
from kinerja.people import Person
from storage.uow import UnitOfWork


async def calendar_for(
    uow: UnitOfWork, first: date, last: date, *, six_day_week: bool = False
) -> WorkCalendar:
    """The calendar covering `first`..`last` (packaged holidays of those years + corrections)."""
    years = range(first.year, last.year + 1)
    # Corrections of whole years, so `next_working_day` near a year's end sees the next one.
    corrections = await uow.calendar.corrections(date(first.year, 1, 1), date(last.year, 12, 31))
    return build_calendar(years, corrections, six_day_week=six_day_week)


async def calendar_of(uow: UnitOfWork, person: Person, around: date) -> WorkCalendar:
    """The person's unit calendar for the year around `around` (and its neighbours' edges)."""
    return await calendar_for(
        uow,
        around - timedelta(days=45),
        around + timedelta(days=45),
        six_day_week=person.six_day_week,
    )


async def leave_days(
    uow: UnitOfWork, person: Person, first: date, last: date, calendar: WorkCalendar
) -> set[date]:
    """The person's working days within `first`..`last` covered by leave (credited days)."""
    days: set[date] = set()
    for _id, starts, ends, _note in await uow.calendar.leaves_of(person.id, first, last):
        day = max(starts, first)
        while day <= min(ends, last):
            if calendar.is_working_day(day):
                days.add(day)
            day += timedelta(days=1)
    return days
