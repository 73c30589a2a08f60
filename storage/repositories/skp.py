"""RHK of the employees' SKPs: what the chat lists, and the set-based writes an import needs."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Table, delete, func, insert, select, tuple_

from kinerja.skp import RhkItem
from kinerja.skp_review import CommentItem
from storage.database import Db
from storage.models import Activity, Employee, Rhk, SkpComment
from storage.repositories._bulk import insert_many, update_by_id

CHUNK = 5_000
# Each (employee, year) pair is two bind parameters; stay well inside every driver's limit.
PAIR_CHUNK = 2_000


@dataclass(frozen=True, slots=True)
class RhkRecord:
    """A stored RHK with its owner and year, as the import compares it."""

    id: int
    employee_id: int
    year: int
    number: int
    title: str
    indicator: str
    target: Decimal
    unit: str


_ITEM_COLUMNS = (Rhk.id, Rhk.number, Rhk.title, Rhk.indicator, Rhk.target, Rhk.unit)
_COMMENT_COLUMNS = (
    SkpComment.id,
    SkpComment.employee_id,
    SkpComment.year,
    SkpComment.rhk_number,
    SkpComment.author_id,
    Employee.name,
    SkpComment.text,
    SkpComment.created_at,
)


class RhkRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    # --- what the chat reads -------------------------------------------------------------------

    async def for_employee(self, employee_id: int, year: int) -> list[RhkItem]:
        rows = await self._session.execute(
            select(*_ITEM_COLUMNS)
            .where(Rhk.employee_id == employee_id, Rhk.year == year)
            .order_by(Rhk.number)
        )
        return [RhkItem(*row) for row in rows]

    async def get(self, rhk_id: int) -> RhkItem | None:
        row = (
            await self._session.execute(select(*_ITEM_COLUMNS).where(Rhk.id == rhk_id))
        ).one_or_none()
        return RhkItem(*row) if row else None

    # --- comments by the atasan -----------------------------------------------------------------

    async def add_comment(
        self,
        *,
        employee_id: int,
        year: int,
        rhk_number: int | None,
        author_id: int,
        text: str,
        at: datetime,
    ) -> int:
        result = await self._session.execute(
            insert(SkpComment)
            .values(
                employee_id=employee_id,
                year=year,
                rhk_number=rhk_number,
                author_id=author_id,
                text=text,
                created_at=at,
            )
            .returning(SkpComment.id)
        )
        return int(result.scalar_one())

    async def comment(self, comment_id: int) -> CommentItem | None:
        row = (
            await self._session.execute(
                select(*_COMMENT_COLUMNS)
                .join(Employee, Employee.id == SkpComment.author_id)
                .where(SkpComment.id == comment_id)
            )
        ).one_or_none()
        return CommentItem(*row) if row else None

    async def comments(self, employee_id: int, year: int, limit: int) -> list[CommentItem]:
        """The newest `limit` comments on an SKP, oldest first."""
        rows = await self._session.execute(
            select(*_COMMENT_COLUMNS)
            .join(Employee, Employee.id == SkpComment.author_id)
            .where(SkpComment.employee_id == employee_id, SkpComment.year == year)
            .order_by(SkpComment.id.desc())
            .limit(limit)
        )
        return [CommentItem(*row) for row in reversed(list(rows))]

    # --- what the SKP import reads and writes --------------------------------------------------

    async def for_employee_years(self, pairs: Collection[tuple[int, int]]) -> list[RhkRecord]:
        """Every RHK of these (employee id, year) pairs, in one query per `PAIR_CHUNK` pairs."""
        wanted = list(pairs)
        records: list[RhkRecord] = []
        for start in range(0, len(wanted), PAIR_CHUNK):
            rows = await self._session.execute(
                select(
                    Rhk.id,
                    Rhk.employee_id,
                    Rhk.year,
                    Rhk.number,
                    Rhk.title,
                    Rhk.indicator,
                    Rhk.target,
                    Rhk.unit,
                ).where(tuple_(Rhk.employee_id, Rhk.year).in_(wanted[start : start + PAIR_CHUNK]))
            )
            records.extend(RhkRecord(*row) for row in rows)
        return records

    async def activity_counts(self, rhk_ids: Iterable[int]) -> dict[int, int]:
        """How many activities (in any state) point at each of these RHK; absent means none."""
        ids = list(rhk_ids)
        counts: dict[int, int] = {}
        for start in range(0, len(ids), CHUNK):
            rows = await self._session.execute(
                select(Activity.rhk_id, func.count(Activity.id))
                .where(Activity.rhk_id.in_(ids[start : start + CHUNK]))
                .group_by(Activity.rhk_id)
            )
            counts.update({rhk_id: count for rhk_id, count in rows if rhk_id is not None})
        return counts

    async def insert_many(self, rows: Sequence[Mapping[str, object]]) -> None:
        await insert_many(self._session, Rhk, rows)

    async def update_many(self, rows: Sequence[Mapping[str, object]]) -> None:
        """Update by id; every mapping carries `id` plus the same set of changed columns."""
        table = Rhk.__table__
        assert isinstance(table, Table)
        await update_by_id(self._session, table, rows)

    async def delete_many(self, rhk_ids: Iterable[int]) -> None:
        ids = list(rhk_ids)
        for start in range(0, len(ids), CHUNK):
            await self._session.execute(delete(Rhk).where(Rhk.id.in_(ids[start : start + CHUNK])))
