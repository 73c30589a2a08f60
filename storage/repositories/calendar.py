"""Admins' corrections of the working-day calendar, and employees' leave."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CursorResult, delete, insert, select, update

from kinerja.calendar import CalendarEntry, DayKind
from storage.database import Db
from storage.models import CalendarDay, Leave
from storage.repositories._dialect import insert_for


class CalendarRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def corrections(self, first: date, last: date) -> list[CalendarEntry]:
        rows = await self._session.execute(
            select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)
            .where(CalendarDay.day >= first, CalendarDay.day <= last)
            .order_by(CalendarDay.day)
        )
        return [CalendarEntry(row.day, DayKind(row.kind), row.name) for row in rows]

    async def set_day(
        self, day: date, kind: DayKind, name: str, created_by_id: int | None
    ) -> None:
        """Record (or replace) the correction for `day`."""
        statement = insert_for(self._session, CalendarDay.__table__)  # type: ignore[arg-type]
        statement = statement.values(
            day=day, kind=kind.value, name=name, created_by_id=created_by_id
        ).on_conflict_do_update(
            index_elements=["day"],
            set_={"kind": kind.value, "name": name, "created_by_id": created_by_id},
        )
        await self._session.execute(statement)

    async def remove_day(self, day: date) -> bool:
        result = await self._session.execute(delete(CalendarDay).where(CalendarDay.day == day))
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    # --- leave --------------------------------------------------------------------------------

    async def add_leave(
        self, employee_id: int, starts: date, ends: date, note: str, created_by_id: int | None
    ) -> int:
        result = await self._session.execute(
            insert(Leave)
            .values(
                employee_id=employee_id,
                starts_on=starts,
                ends_on=ends,
                note=note,
                created_by_id=created_by_id,
            )
            .returning(Leave.id)
        )
        return int(result.scalar_one())

    async def cancel_leave(self, leave_id: int, employee_id: int, at: datetime) -> bool:
        result = await self._session.execute(
            update(Leave)
            .where(
                Leave.id == leave_id,
                Leave.employee_id == employee_id,
                Leave.cancelled_at.is_(None),
            )
            .values(cancelled_at=at)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def leaves_of(
        self, employee_id: int, first: date, last: date
    ) -> list[tuple[int, date, date, str]]:
        """(id, starts, ends, note) of leave overlapping `first`..`last`, not cancelled."""
        rows = await self._session.execute(
            select(Leave.id, Leave.starts_on, Leave.ends_on, Leave.note)
            .where(
                Leave.employee_id == employee_id,
                Leave.cancelled_at.is_(None),
                Leave.starts_on <= last,
                Leave.ends_on >= first,
            )
            .order_by(Leave.starts_on)
        )
        return [(int(r.id), r.starts_on, r.ends_on, r.note) for r in rows]

    async def on_leave(self, day: date) -> set[int]:
        """Employees on leave on `day` (reminder jobs skip them)."""
        rows = await self._session.scalars(
            select(Leave.employee_id).where(
                Leave.cancelled_at.is_(None), Leave.starts_on <= day, Leave.ends_on >= day
            )
        )
        return set(rows)
