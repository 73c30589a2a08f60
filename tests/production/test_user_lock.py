"""One user's updates are serialised across workers: the ingest statement takes a PostgreSQL
advisory lock on (channel, user) for its transaction, so a second worker's update for the same
user waits for the first to commit and then reads what it saved. Two `Database`s on one server
stand for two worker processes (each has its own pool, as a worker has)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from storage.database import create_database
from storage.repositories.conversations import SavedState
from storage.uow import SessionFactory, UnitOfWork, session_factory
from tests.support.processes import clean_postgres, rows
from tests.support.waiting import eventually


@pytest.fixture
async def two_workers(pg_url: str) -> AsyncIterator[tuple[SessionFactory, SessionFactory]]:
    async with clean_postgres(pg_url) as first:
        second = create_database(pg_url)
        try:
            async with UnitOfWork(first) as uow:
                await uow.identities.ensure("telegram", "42")
                await uow.identities.ensure("telegram", "43")
                await uow.commit()
            yield first, session_factory(second)
        finally:
            await second.dispose()


async def waiting_for_advisory_lock(pg_url: str) -> bool:
    found = await rows(
        pg_url,
        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
    )
    return bool(found)


async def test_a_second_worker_waits_for_the_user_and_reads_what_the_first_saved(
    two_workers: tuple[SessionFactory, SessionFactory], pg_url: str
) -> None:
    one, two = two_workers
    async with UnitOfWork(one) as first:
        loaded = await first.chat.claim_and_load("telegram", "u1", "42")
        assert loaded is not None and loaded.state.version == 0

        async def second_update() -> SavedState:
            async with UnitOfWork(two) as second:
                other = await second.chat.claim_and_load("telegram", "u2", "42")
                assert other is not None
                await second.commit()
                return other.state

        waiting = asyncio.create_task(second_update())
        assert await eventually(lambda: waiting_for_advisory_lock(pg_url))
        assert not waiting.done()
        await first.conversations.save(
            "telegram", "42", SavedState("activity", "duration", {"text": "rapat"}, 0)
        )
        await first.commit()
    state = await asyncio.wait_for(waiting, 10)
    assert (state.flow, state.step, state.version) == ("activity", "duration", 1)
    assert state.data == {"text": "rapat"}


async def test_other_users_and_redeliveries_do_not_wait(
    two_workers: tuple[SessionFactory, SessionFactory],
) -> None:
    one, two = two_workers
    async with UnitOfWork(one) as first:
        assert await first.chat.claim_and_load("telegram", "u1", "42") is not None
        async with UnitOfWork(two) as second:
            # Another user goes ahead while user 42 is held.
            other = await asyncio.wait_for(second.chat.claim_and_load("telegram", "u3", "43"), 10)
            assert other is not None
            await second.commit()
        await first.commit()
    async with UnitOfWork(two) as again:
        assert await again.chat.claim_and_load("telegram", "u1", "42") is None  # redelivery
