"""The outbox drainer against a recording channel (the transport seam), on both backends.

The Telegram and web chat ends are tested through the app in tests/bot/channels; these tests
cover what does not depend on a platform: several workers, retries, give-up, stop, rate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.capabilities import WEB, Capabilities, Outgoing
from bot.chat.delivery import DeliveryError, TransientFailure
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.chat.replies import Text
from scheduler.outbox import OutboxDrainer, RetryPolicy
from storage.database import Database, create_database
from storage.repositories.outbox import OutboxRecord
from storage.uow import SessionFactory, UnitOfWork, session_factory
from tests.support.chat import STAFF, link, seed
from tests.support.pushes import CARD_PURPOSE, routers_with_pushes
from tests.support.waiting import eventually

CHANNEL = "web"


@dataclass
class Recorder:
    """A channel that records what it is given; `failures` are raised first, one per send."""

    caps: Capabilities = WEB
    delay: float = 0.0
    sent: list[tuple[str, str]] = field(default_factory=list)
    sent_at: list[tuple[str, float]] = field(default_factory=list)  # (recipient, loop time)
    failures: list[DeliveryError] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event | None = None

    async def send(self, recipient: str, outgoing: Sequence[Outgoing]) -> str | None:
        self.started.set()
        if self.release is not None:
            await self.release.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        for out in outgoing:
            assert isinstance(out.reply, Text)
            self.sent.append((recipient, out.reply.text))
            self.sent_at.append((recipient, asyncio.get_running_loop().time()))
        return f"m{len(self.sent)}"


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed(sessions)
    return Dispatcher(routers_with_pushes(), sessions, catalogs)


async def recipients(sessions: SessionFactory, count: int) -> list[str]:
    """Web sessions of one person (any linked account will do)."""
    names = [f"session-{index:03d}" for index in range(count)]
    for name in names:
        await link(sessions, CHANNEL, name, STAFF)
    return names


async def enqueue(sessions: SessionFactory, recipient: str, key: str, **payload: object) -> None:
    async with UnitOfWork(sessions) as uow:
        await uow.outbox.enqueue(
            channel=CHANNEL,
            recipient=recipient,
            purpose=str(payload.pop("purpose", CARD_PURPOSE)),
            payload={"id": key, **payload},
            dedupe_key=key,
        )
        await uow.commit()


async def record(sessions: SessionFactory, key: str) -> OutboxRecord:
    async with UnitOfWork(sessions) as uow:
        found = await uow.outbox.find(key)
    assert found is not None
    return found


async def test_two_drainers_never_send_one_row_twice(
    dispatcher: Dispatcher, catalogs: Catalogs, db_url: str
) -> None:
    """Two workers, each with its own connection pool, drain one table at once."""
    sessions = dispatcher.sessions
    names = await recipients(sessions, 40)
    for index in range(120):
        await enqueue(sessions, names[index % 40], f"k{index}")
    other_db: Database = create_database(db_url)
    other = Dispatcher(routers_with_pushes(), session_factory(other_db), catalogs)
    first, second = Recorder(delay=0.002), Recorder(delay=0.002)
    drainers = [
        OutboxDrainer(dispatcher, {CHANNEL: first}, batch_size=7, concurrency=3),
        OutboxDrainer(other, {CHANNEL: second}, batch_size=7, concurrency=3),
    ]
    try:
        for drainer in drainers:
            await drainer.start()
        await eventually(lambda: len(first.sent) + len(second.sent) >= 120, within=30)
        await asyncio.sleep(0.2)  # anything sent twice would arrive now
    finally:
        for drainer in drainers:
            await drainer.stop()
        await other_db.dispose()
    texts = [text for _, text in first.sent + second.sent]
    assert len(texts) == len(set(texts)) == 120
    assert first.sent and second.sent  # both took part
    async with UnitOfWork(sessions) as uow:
        assert await uow.outbox.depth() == 0


async def test_a_transient_failure_is_retried_with_backoff_then_given_up(
    dispatcher: Dispatcher,
) -> None:
    (name,) = await recipients(dispatcher.sessions, 1)
    await enqueue(dispatcher.sessions, name, "flaky")
    recorder = Recorder(failures=[TransientFailure("timed out"), TransientFailure("again")])
    moment = datetime.now(UTC)
    drainer = OutboxDrainer(
        dispatcher,
        {CHANNEL: recorder},
        retry=RetryPolicy(max_attempts=2, first_delay=60),
        clock=lambda: moment,
    )

    assert await drainer.run_once(CHANNEL) == 1
    row = await record(dispatcher.sessions, "flaky")
    assert (row.status, row.attempts, row.last_error) == (
        "pending",
        1,
        "TransientFailure: timed out",
    )
    assert await drainer.run_once(CHANNEL) == 0  # backing off

    moment += timedelta(seconds=61)
    assert await drainer.run_once(CHANNEL) == 1
    row = await record(dispatcher.sessions, "flaky")
    assert (row.status, row.attempts, row.last_error) == ("failed", 2, "TransientFailure: again")
    assert recorder.sent == []


async def test_renderer_with_nothing_to_say_drops_the_row(dispatcher: Dispatcher) -> None:
    (name,) = await recipients(dispatcher.sessions, 1)
    await enqueue(dispatcher.sessions, name, "old", obsolete=True)
    recorder = Recorder()
    assert await OutboxDrainer(dispatcher, {CHANNEL: recorder}).run_once(CHANNEL) == 1
    row = await record(dispatcher.sessions, "old")
    assert (row.status, row.last_error) == ("dropped", "nothing to send")
    assert recorder.sent == []


async def test_an_unknown_purpose_is_dropped_and_logged(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    (name,) = await recipients(dispatcher.sessions, 1)
    await enqueue(dispatcher.sessions, name, "odd", purpose="no_such_purpose")
    recorder = Recorder()
    with caplog.at_level(logging.ERROR):
        await OutboxDrainer(dispatcher, {CHANNEL: recorder}).run_once(CHANNEL)
    row = await record(dispatcher.sessions, "odd")
    assert (row.status, row.last_error) == ("dropped", "unknown purpose 'no_such_purpose'")
    assert "no_such_purpose" in caplog.text
    assert recorder.sent == []


async def test_stop_finishes_the_send_in_flight_and_leaves_the_rest_pending(
    dispatcher: Dispatcher,
) -> None:
    (name,) = await recipients(dispatcher.sessions, 1)
    for key in ("a", "b", "c"):
        await enqueue(dispatcher.sessions, name, key)
    release = asyncio.Event()
    recorder = Recorder(release=release)
    drainer = OutboxDrainer(dispatcher, {CHANNEL: recorder})
    await drainer.start()
    await asyncio.wait_for(recorder.started.wait(), 5)  # "a" is on the wire
    stopping = asyncio.create_task(drainer.stop())
    await asyncio.sleep(0.05)
    release.set()
    await stopping

    assert [text for _, text in recorder.sent] == ["Kartu a untuk Siti Nurhaliza, S.T. [id]"]
    states = [(await record(dispatcher.sessions, key)) for key in ("a", "b", "c")]
    assert [(row.status, row.attempts) for row in states] == [
        ("sent", 1),
        ("pending", 0),
        ("pending", 0),
    ]


async def test_a_commit_wakes_the_drainer_at_once(dispatcher: Dispatcher) -> None:
    (name,) = await recipients(dispatcher.sessions, 1)
    recorder = Recorder()
    drainer = OutboxDrainer(dispatcher, {CHANNEL: recorder}, poll_interval=60)
    dispatcher.sessions.on_outbox_commit(drainer.notify)
    await drainer.start()
    try:
        await asyncio.sleep(0.05)  # the first round found nothing; next poll in a minute
        await enqueue(dispatcher.sessions, name, "now")
        await eventually(lambda: recorder.sent, within=3)
    finally:
        await drainer.stop()


async def test_the_rate_limit_spaces_messages(dispatcher: Dispatcher) -> None:
    names = await recipients(dispatcher.sessions, 10)
    for index, name in enumerate(names):
        await enqueue(dispatcher.sessions, name, f"r{index}")
    recorder = Recorder()
    drainer = OutboxDrainer(dispatcher, {CHANNEL: recorder}, rates={CHANNEL: 25.0})
    started = time.monotonic()
    assert await drainer.run_once(CHANNEL) == 10
    assert time.monotonic() - started >= 9 / 25  # the first goes at once
    assert len(recorder.sent) == 10


async def test_the_chat_rate_spaces_the_messages_of_each_chat(
    dispatcher: Dispatcher,
) -> None:
    """TELEGRAM_CHAT_RATE (about 1 a second per chat on Telegram), here 10 a second: a chat's
    messages are spaced 0.1 s apart however fast the channel may go."""
    first, second = await recipients(dispatcher.sessions, 2)
    for index in range(3):
        await enqueue(dispatcher.sessions, first, f"a{index}")
        await enqueue(dispatcher.sessions, second, f"b{index}")
    recorder = Recorder()
    drainer = OutboxDrainer(dispatcher, {CHANNEL: recorder}, chat_rates={CHANNEL: 10.0})
    assert await drainer.run_once(CHANNEL) == 6

    for name in (first, second):
        times = [at for who, at in recorder.sent_at if who == name]
        assert len(times) == 3
        # The k-th goes k tenths of a second after the first at the earliest (turns are
        # reserved ahead, so one late wake-up may bring two sends a little closer than 0.1 s).
        since_first = [at - times[0] for at in times]
        assert all(since >= k * 0.1 - 2e-3 for k, since in enumerate(since_first)), since_first
