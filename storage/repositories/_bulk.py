"""Set-based writes shared by the importers: chunked inserts and updates by primary key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, update

from storage.database import Db

CHUNK = 5_000


async def insert_many(session: Db, table: Any, rows: Sequence[Mapping[str, object]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(table), list(rows[start : start + CHUNK]))


async def update_by_id(
    session: Db,
    table: Table,
    rows: Sequence[Mapping[str, object]],
    **always: Any,
) -> None:
    """One executemany UPDATE per chunk; every mapping has `id` and the same changed columns.

    `always` adds values set on every row (e.g. `updated_at=func.now()`).
    """
    if not rows:
        return
    columns = [key for key in rows[0] if key != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({column: bindparam(f"b_{column}") for column in columns})
    )
    if always:
        statement = statement.values(always)
    connection = session
    for start in range(0, len(rows), CHUNK):
        chunk = [
            {f"b_{key}": value for key, value in row.items()}
            for row in rows[start : start + CHUNK]
        ]
        await connection.execute(statement, chunk)
