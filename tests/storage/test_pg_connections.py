"""PostgreSQL units of work keep their connection warm between them: what that must not break.

A clean unit of work leaves its connection idle for the next; one that failed, or whose
connection the server cut (a restart), must never hand a broken connection to the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from storage.database import AsyncDatabase, create_database
from storage.hot import Hot
from storage.uow import UnitOfWork, session_factory


@pytest.fixture
async def database(pg_url: str) -> AsyncIterator[AsyncDatabase]:
    database = create_database(pg_url, pool_size=3, max_overflow=0)
    assert isinstance(database, AsyncDatabase)
    async with UnitOfWork(session_factory(database)) as uow:
        await uow.session.execute(text("TRUNCATE units RESTART IDENTITY CASCADE"))
        await uow.commit()
    yield database
    await database.dispose()


async def backend_pid(database: AsyncDatabase) -> int:
    async with UnitOfWork(session_factory(database)) as uow:
        pid = await uow.session.scalar(text("SELECT pg_backend_pid()"))
        await uow.commit()
    return int(pid)


async def test_a_clean_unit_of_work_leaves_its_connection_to_the_next(
    database: AsyncDatabase,
) -> None:
    first = await backend_pid(database)
    assert database.connections_in_use() == 0
    assert await backend_pid(database) == first
    assert database.engine.pool.checkedout() == 1  # type: ignore[attr-defined]


async def test_a_unit_of_work_that_failed_mid_statement_does_not_pass_its_connection_on(
    database: AsyncDatabase,
) -> None:
    first = await backend_pid(database)
    with pytest.raises(DBAPIError):
        async with UnitOfWork(session_factory(database)) as uow:
            await uow.session.execute(text("SELECT 1/0"))
    # Rolled back cleanly, so the connection is fine to reuse, outside any transaction.
    async with UnitOfWork(session_factory(database)) as uow:
        assert await uow.session.scalar(text("SELECT pg_backend_pid()")) == first
        assert await uow.session.scalar(text("SELECT count(*) FROM units")) == 0
    assert database.connections_in_use() == 0


SLEEP = Hot(select(func.pg_sleep(5).label("slept")))


@pytest.mark.parametrize("path", ["sqlalchemy", "hot"])
async def test_a_unit_of_work_cancelled_mid_query_leaves_no_connection_in_doubt(
    database: AsyncDatabase, path: str
) -> None:
    """Through SQLAlchemy the connection is invalidated; asyncpg alone cancels the query on
    the server and keeps the connection. Either way the next unit of work starts clean."""
    sessions = session_factory(database)
    await backend_pid(database)

    async def slow() -> None:
        async with UnitOfWork(sessions) as uow:
            await uow.units.create("X", "Unit X", "Asia/Jakarta")
            if path == "hot":
                await uow.session.fetch(SLEEP, {})
            else:
                await uow.session.execute(text("SELECT pg_sleep(5)"))
            await uow.commit()

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert database.connections_in_use() == 0
    async with UnitOfWork(sessions) as uow:
        assert await uow.session.scalar(text("SELECT count(*) FROM units")) == 0
        await uow.units.create("Y", "Unit Y", "Asia/Jakarta")
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        names = await uow.session.scalars(text("SELECT code FROM units"))
        assert list(names) == ["Y"]


async def test_connections_cut_by_the_server_are_replaced_without_failing_an_update(
    database: AsyncDatabase, pg_url: str
) -> None:
    """What a database restart looks like to the service: every idle connection is cut."""
    sessions = session_factory(database)

    async def hold(started: asyncio.Event, release: asyncio.Event) -> int:
        async with UnitOfWork(sessions) as uow:
            pid = await uow.session.scalar(text("SELECT pg_backend_pid()"))
            started.set()
            await release.wait()
            await uow.commit()
        return int(pid)

    # Three connections idle at once.
    events = [(asyncio.Event(), asyncio.Event()) for _ in range(3)]
    holders = [asyncio.create_task(hold(*pair)) for pair in events]
    for started, _release in events:
        await started.wait()
    for _started, release in events:
        release.set()
    pids = set(await asyncio.gather(*holders))
    assert len(pids) == 3

    admin = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", list(pids)
        )
    finally:
        await admin.close()
    await asyncio.sleep(0.2)  # the loop sees the sockets close

    new = await backend_pid(database)
    assert new not in pids
    assert database.connections_in_use() == 0


async def test_a_connection_idle_too_long_goes_back_to_the_pool(
    database: AsyncDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await backend_pid(database)
    assert database.engine.pool.checkedout() == 1  # type: ignore[attr-defined]  # kept idle
    monkeypatch.setattr(AsyncDatabase, "IDLE_SECONDS", 0.0)
    await backend_pid(database)  # takes a connection from the pool again, then keeps that one
    assert database.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    await database.dispose()
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
