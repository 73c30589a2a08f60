"""Daily activity entries: written by their owner, read back as `ActivityView`s."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Any

from sqlalchemy import CursorResult, bindparam, delete, func, insert, select, update

from kinerja.activities import ActivityView, Status
from storage.database import Db
from storage.hot import Hot
from storage.models import Activity, Rhk


def _view_query() -> Any:
    return select(
        Activity.id,
        Activity.employee_id,
        Activity.work_date,
        Activity.start_time,
        Activity.end_time,
        Activity.minutes,
        Activity.description,
        Activity.rhk_id,
        Rhk.number.label("rhk_number"),
        Rhk.title.label("rhk_title"),
        Activity.quantity,
        Activity.quantity_unit,
        Activity.evidence,
        Activity.status,
        Activity.decision_note,
    ).outerjoin(Rhk, Rhk.id == Activity.rhk_id)


def _view(row: Any) -> ActivityView:
    return ActivityView(
        id=row.id,
        employee_id=row.employee_id,
        work_date=row.work_date,
        start=row.start_time,
        end=row.end_time,
        minutes=row.minutes,
        description=row.description,
        rhk_id=row.rhk_id,
        rhk_number=row.rhk_number,
        rhk_title=row.rhk_title,
        quantity=row.quantity,
        quantity_unit=row.quantity_unit,
        evidence=row.evidence,
        status=Status(row.status),
        decision_note=row.decision_note,
    )


_ADD = Hot(insert(Activity).returning(Activity.id))
_GET = _view_query().where(Activity.id == bindparam("activity_id"))
_DAY = Hot(
    select(Activity.id, Activity.start_time, Activity.end_time, Activity.minutes).where(
        Activity.employee_id == bindparam("employee_id"), Activity.work_date == bindparam("day")
    )
)


class ActivityRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def add(self, employee_id: int, fields: Mapping[str, object]) -> int:
        (row,) = await self._session.fetch(_ADD, {"employee_id": employee_id, **fields})
        return int(row.id)

    async def change(self, activity_id: int, fields: Mapping[str, object]) -> None:
        await self._session.execute(
            update(Activity)
            .where(Activity.id == activity_id)
            .values(**fields, updated_at=func.now())
        )

    async def remove(self, activity_id: int) -> bool:
        """Delete unless approved (approved entries are locked); True if it was deleted."""
        result = await self._session.execute(
            delete(Activity).where(
                Activity.id == activity_id, Activity.status != Status.APPROVED.value
            )
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def waiting_of(self, employee_id: int) -> list[tuple[int, date]]:
        """(id, work date) of the employee's entries awaiting a decision."""
        rows = await self._session.execute(
            select(Activity.id, Activity.work_date)
            .where(
                Activity.employee_id == employee_id,
                Activity.status == Status.SUBMITTED.value,
            )
            .order_by(Activity.id)
        )
        return [(int(row.id), row.work_date) for row in rows]

    async def get(self, activity_id: int) -> ActivityView | None:
        row = (await self._session.execute(_GET, {"activity_id": activity_id})).one_or_none()
        return _view(row) if row else None

    async def between(self, employee_id: int, first: date, last: date) -> list[ActivityView]:
        rows = await self._session.execute(
            _view_query()
            .where(
                Activity.employee_id == employee_id,
                Activity.work_date >= first,
                Activity.work_date <= last,
            )
            .order_by(Activity.work_date, Activity.start_time, Activity.id)
        )
        return [_view(row) for row in rows]

    async def day_usage(
        self, employee_id: int, day: date, exclude_id: int | None = None
    ) -> tuple[list[tuple[time, time]], int]:
        """The day's timed ranges and the minutes of its untimed entries (for overlap rules)."""
        ranges: list[tuple[time, time]] = []
        untimed = 0
        rows = await self._session.fetch(_DAY, {"employee_id": employee_id, "day": day})
        for entry_id, start, end, minutes in rows:
            if entry_id == exclude_id:
                continue
            if start is not None and end is not None:
                ranges.append((start, end))
            else:
                untimed += minutes
        return ranges, untimed
