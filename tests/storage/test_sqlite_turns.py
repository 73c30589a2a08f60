"""SQLite runs transactions inline on the loop, one at a time: what that must not break."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select

import storage.database
from storage.database import SqliteDatabase, create_database
from storage.models import Unit
from storage.uow import UnitOfWork, session_factory


@pytest.fixture
def sqlite_file(tmp_path: Path, sqlite_template: Path) -> Path:
    target = tmp_path / "turns.db"
    target.write_bytes(sqlite_template.read_bytes())
    return target


async def test_concurrent_units_of_work_take_turns(sqlite_file: Path) -> None:
    """The first holds its transaction across an await; the second waits instead of failing."""
    database = create_database(f"sqlite:///{sqlite_file}")
    sessions = session_factory(database)
    order: list[str] = []

    async def first() -> None:
        async with UnitOfWork(sessions) as uow:
            await uow.units.create("A", "Unit A", "Asia/Jakarta")
            order.append("first wrote")
            await asyncio.sleep(0.05)  # e.g. a download inside the transaction
            await uow.commit()
            order.append("first committed")

    async def second() -> None:
        await asyncio.sleep(0.01)
        async with UnitOfWork(sessions) as uow:
            order.append("second began")
            count = await uow.session.scalar(select(func.count(Unit.id)))
            assert count == 1  # it sees the first one's committed work
            await uow.units.create("B", "Unit B", "Asia/Makassar")
            await uow.commit()

    await asyncio.gather(first(), second())
    assert order == ["first wrote", "first committed", "second began"]
    await database.dispose()


async def test_waiting_for_another_process_does_not_block_the_loop(sqlite_file: Path) -> None:
    """Another writer (a CLI import) holds the lock: we wait in asyncio, then go ahead."""
    database = create_database(f"sqlite:///{sqlite_file}")
    sessions = session_factory(database)
    other = sqlite3.connect(sqlite_file, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def write() -> None:
        async with UnitOfWork(sessions) as uow:
            await uow.units.create("C", "Unit C", "Asia/Jayapura")
            await uow.commit()

    ticking = asyncio.create_task(ticker())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.2)
    assert not writing.done()
    assert ticks > 10  # the loop kept running while the write waited
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writing, 5)
    ticking.cancel()
    async with UnitOfWork(sessions) as uow:
        assert await uow.session.scalar(select(func.count(Unit.id))) == 1
    await database.dispose()


async def test_a_lock_held_too_long_is_reported_not_waited_forever(
    sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.database, "SQLITE_LOCK_WAIT_SECONDS", 0.1)
    database = create_database(f"sqlite:///{sqlite_file}")
    other = sqlite3.connect(sqlite_file, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Exception, match="locked"):
            await database.begin()
        # The turn was handed back: once the other process is done, work goes on.
        other.execute("COMMIT")
        db = await database.begin()
        await db.close()
    finally:
        other.close()
        await database.dispose()


async def test_run_sync_runs_off_the_loop_inside_the_same_transaction(sqlite_file: Path) -> None:
    database = create_database(f"sqlite:///{sqlite_file}")
    assert isinstance(database, SqliteDatabase)
    sessions = session_factory(database)
    loop_thread = threading.get_ident()

    def count_units(connection: Connection) -> tuple[int, int]:
        count = connection.execute(select(func.count(Unit.id))).scalar_one()
        return threading.get_ident(), count

    async with UnitOfWork(sessions) as uow:
        await uow.units.create("D", "Unit D", "Asia/Jakarta")
        thread, count = await uow.session.run_sync(count_units)
    assert thread != loop_thread
    assert count == 1  # saw the uncommitted row: same connection, same transaction
    async with UnitOfWork(sessions) as uow:
        assert await uow.session.scalar(select(func.count(Unit.id))) == 0  # rolled back
    await database.dispose()
