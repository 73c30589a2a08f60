"""Every row of every table, to prove that a rejected input changed nothing."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Base
from storage.uow import SessionFactory, UnitOfWork

Snapshot = dict[str, list[tuple[str, ...]]]


async def snapshot(sessions: SessionFactory) -> Snapshot:
    """Each table's rows as sorted tuples of their reprs (order-free, type-faithful)."""
    found: Snapshot = {}
    async with UnitOfWork(sessions) as uow:
        for table in Base.metadata.sorted_tables:
            rows = await uow.session.execute(select(table))
            found[table.name] = sorted(tuple(repr(value) for value in row) for row in rows)
    return found


def changed_tables(before: Snapshot, after: Snapshot) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]
