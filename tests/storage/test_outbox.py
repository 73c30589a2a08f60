"""The outbox table's life cycle: enqueue, claim with a lease, outcomes, metrics; both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

import storage.repositories.outbox as outbox_module
from storage.database import Database, create_database
from storage.repositories.outbox import REMINDER, ClaimedMessage, Push
from storage.uow import SessionFactory, UnitOfWork, session_factory

LEASE = timedelta(minutes=2)


def now() -> datetime:
    return datetime.now(UTC)


async def enqueue(sessions: SessionFactory, count: int = 1, **fields: object) -> None:
    async with UnitOfWork(sessions) as uow:
        for index in range(count):
            values: dict[str, object] = {
                "channel": "telegram",
                "recipient": str(100 + index),
                "purpose": "card",
                "payload": {"n": index},
            }
            values.update(fields)
            await uow.outbox.enqueue(**values)  # type: ignore[arg-type]
        await uow.commit()


async def claim(
    sessions: SessionFactory,
    channel: str = "telegram",
    *,
    at: datetime | None = None,
    limit: int = 10,
) -> list[ClaimedMessage]:
    async with UnitOfWork(sessions) as uow:
        rows = await uow.outbox.claim(channel, now=at or now(), lease=LEASE, limit=limit)
        await uow.commit()
        return rows


async def test_enqueue_many_queues_in_chunks_and_skips_what_was_queued_before(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "_ENQUEUE_CHUNK", 3)

    def push(index: int) -> Push:
        return Push("telegram", str(200 + index), "nudge", {"n": index}, f"k{index}", REMINDER)

    async with UnitOfWork(sessions) as uow:
        assert await uow.outbox.enqueue_many([push(1), push(2)]) == 2
        await uow.commit()
    # Seven more, two of them queued before and one twice in this call: four new rows.
    again = [push(index) for index in (1, 2, 3, 4, 5, 5, 6)]
    async with UnitOfWork(sessions) as uow:
        assert await uow.outbox.enqueue_many(again) == 4
        assert await uow.outbox.enqueue_many([]) == 0
        await uow.commit()
    rows = await claim(sessions, limit=50)
    assert sorted(row.recipient for row in rows) == [str(200 + n) for n in range(1, 7)]
    assert {row.payload["n"] for row in rows if row.recipient == "201"} == {1}


async def test_enqueue_with_a_dedupe_key_queues_once(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        first = await uow.outbox.enqueue(
            channel="web", recipient="s", purpose="p", payload={}, dedupe_key="k"
        )
        again = await uow.outbox.enqueue(
            channel="web", recipient="s", purpose="p", payload={"x": 1}, dedupe_key="k"
        )
        await uow.commit()
    assert (first, again) == (True, False)
    async with UnitOfWork(sessions) as uow:
        assert await uow.outbox.depth() == 1


async def test_claim_takes_due_rows_of_its_channel_oldest_first(sessions: SessionFactory) -> None:
    await enqueue(sessions, 3)
    await enqueue(sessions, recipient="later", not_before=now() + timedelta(minutes=1))
    await enqueue(sessions, channel="web", recipient="session")

    claimed = await claim(sessions, limit=2)
    assert [(row.recipient, row.payload, row.attempts) for row in claimed] == [
        ("100", {"n": 0}, 1),
        ("101", {"n": 1}, 1),
    ]
    assert all(row.lease_until > now() + LEASE - timedelta(seconds=5) for row in claimed)
    assert [row.recipient for row in await claim(sessions)] == ["102"]
    assert await claim(sessions) == []  # leased rows are not due; "later" is not due yet
    # Once due, "later" is claimed; the others' leases (2 minutes) still hold.
    soon = now() + timedelta(seconds=90)
    assert [row.recipient for row in await claim(sessions, at=soon)] == ["later"]


async def test_an_expired_lease_is_claimed_again_and_fences_the_old_claim(
    sessions: SessionFactory,
) -> None:
    await enqueue(sessions, not_before=now() - timedelta(hours=1))
    # A worker that claimed long ago and died: its lease has run out.
    (stale,) = await claim(sessions, at=now() - timedelta(minutes=10))
    (fresh,) = await claim(sessions)
    assert (stale.id, stale.attempts, fresh.attempts) == (fresh.id, 1, 2)

    async with UnitOfWork(sessions) as uow:
        assert not await uow.outbox.mark_sent(stale, now=now(), provider_message_id="1")
        assert await uow.outbox.mark_sent(fresh, now=now(), provider_message_id="77")
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        assert await uow.outbox.depth() == 0
    assert await claim(sessions, at=now() + timedelta(days=1)) == []


async def test_outcomes(sessions: SessionFactory) -> None:
    for key in ("sent", "retry", "failed", "dropped", "released"):
        await enqueue(sessions, recipient=key, dedupe_key=key)
    rows = {row.recipient: row for row in await claim(sessions)}
    retry_at = now() + timedelta(minutes=5)
    async with UnitOfWork(sessions) as uow:
        outbox = uow.outbox
        assert await outbox.mark_sent(rows["sent"], now=now(), provider_message_id="42")
        assert await outbox.retry_later(rows["retry"], at=retry_at, error="TimedOut")
        assert await outbox.give_up(rows["failed"], error="Forbidden: blocked")
        assert await outbox.drop(rows["dropped"], reason="nothing to send")
        assert await outbox.release([rows["released"]], at=now()) == 1
        await uow.commit()

    async with UnitOfWork(sessions) as uow:
        found = {key: await uow.outbox.find(key) for key in rows}
        assert await uow.outbox.find("nobody") is None
    status = {key: (r.status, r.attempts, r.last_error) for key, r in found.items() if r}
    assert status == {
        "sent": ("sent", 1, None),
        "retry": ("pending", 1, "TimedOut"),
        "failed": ("failed", 1, "Forbidden: blocked"),
        "dropped": ("dropped", 1, "nothing to send"),
        "released": ("pending", 0, None),  # a release is not an attempt
    }
    sent = found["sent"]
    assert sent is not None and sent.provider_message_id == "42"
    assert (sent.channel, sent.recipient, sent.purpose) == ("telegram", "sent", "card")
    assert sent.sent_at is not None and abs(sent.sent_at - now()) < timedelta(minutes=1)

    (again,) = await claim(sessions)
    assert (again.recipient, again.attempts) == ("released", 1)
    async with UnitOfWork(sessions) as uow:
        await uow.outbox.mark_sent(again, now=now(), provider_message_id=None)
        await uow.commit()
    later = await claim(sessions, at=retry_at + timedelta(seconds=1))
    assert [(row.recipient, row.attempts) for row in later] == [("retry", 2)]


async def test_depth_and_lag(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        assert await uow.outbox.depth() == 0
        assert await uow.outbox.oldest_pending_age(now()) is None
    await enqueue(sessions, 2)
    await enqueue(sessions, channel="web", recipient="s", not_before=now() + timedelta(hours=1))
    await claim(sessions, limit=1)
    async with UnitOfWork(sessions) as uow:
        assert await uow.outbox.depth() == 3
        assert await uow.outbox.depth("web") == 1
        lag = await uow.outbox.oldest_pending_age(now() + timedelta(minutes=1))
        assert lag is not None and timedelta(seconds=50) < lag < timedelta(minutes=2)
        assert await uow.outbox.oldest_pending_age(now(), "web") is None


async def test_a_commit_that_queued_rows_tells_the_listeners(sessions: SessionFactory) -> None:
    heard: list[frozenset[str]] = []
    sessions.on_outbox_commit(heard.append)
    async with UnitOfWork(sessions) as uow:
        await uow.outbox.enqueue(channel="web", recipient="s", purpose="p", payload={})
    async with UnitOfWork(sessions) as uow:  # rolled back: nothing to deliver
        await uow.outbox.enqueue(channel="web", recipient="s", purpose="p", payload={})
        await uow.rollback()
        await uow.commit()
    assert heard == []
    async with UnitOfWork(sessions) as uow:
        await uow.outbox.enqueue(channel="web", recipient="s", purpose="p", payload={})
        await uow.outbox.enqueue(
            channel="telegram", recipient="1", purpose="p", payload={}, dedupe_key="d"
        )
        await uow.commit()
    async with UnitOfWork(sessions) as uow:  # a duplicate queues nothing
        await uow.outbox.enqueue(
            channel="telegram", recipient="1", purpose="p", payload={}, dedupe_key="d"
        )
        await uow.commit()
    assert heard == [frozenset({"web", "telegram"})]


async def test_concurrent_claims_skip_each_others_rows(
    database: Database, sessions: SessionFactory, db_url: str
) -> None:
    """PostgreSQL: a second worker claims other rows at once instead of waiting or sharing."""
    if database.backend != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    await enqueue(sessions, 6)
    other = create_database(db_url)
    try:
        async with UnitOfWork(sessions) as first:
            mine = await first.outbox.claim("telegram", now=now(), lease=LEASE, limit=3)
            async with UnitOfWork(session_factory(other)) as second:
                async with asyncio.timeout(5):  # would block without SKIP LOCKED
                    theirs = await second.outbox.claim(
                        "telegram", now=now(), lease=LEASE, limit=10
                    )
                await second.commit()
            await first.commit()
    finally:
        await other.dispose()
    assert len(mine) == 3 and len(theirs) == 3
    assert {row.id for row in mine}.isdisjoint(row.id for row in theirs)
