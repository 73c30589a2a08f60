"""A broadcast-sized batch through the real drainer and Telegram sender against the fake Bot
API, with the faults the issue names: a drainer killed mid-send and replaced, and two drainers
(each with its own connection pool) on one database. Deliveries are counted per chat at the fake.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from bot.app import DISPATCHER, OUTBOX, TELEGRAM, build_app
from bot.channels.telegram import TelegramSender
from bot.chat.capabilities import Capabilities, Outgoing
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.config import Settings
from scheduler.outbox import OutboxDrainer
from storage.database import create_database
from storage.models import OutboxMessage
from storage.repositories.outbox import BULK
from storage.uow import SessionFactory, UnitOfWork, session_factory
from tests.support.chat import STAFF, link, seed
from tests.support.fake_telegram import TOKEN, Call, FakeBotApi, start_fake
from tests.support.pushes import CARD_PURPOSE, routers_with_pushes
from tests.support.waiting import eventually

FIRST_USER = 7_100_000
RECIPIENTS = 60
Client = TestClient[Any, Any]


@pytest.fixture
async def fake(aiohttp_server: Any) -> FakeBotApi:
    return await start_fake(aiohttp_server)


@pytest.fixture
async def client(
    db_url: str, sessions: SessionFactory, fake: FakeBotApi, aiohttp_client: AiohttpClient
) -> Client:
    """The service (for its Telegram channel), its own drainer stopped: the tests run theirs.
    RECIPIENTS Telegram accounts are linked, and one bulk row is queued for each."""
    await seed(sessions)
    async with UnitOfWork(sessions) as uow:
        for index in range(RECIPIENTS):
            await uow.outbox.enqueue(
                channel="telegram",
                recipient=str(FIRST_USER + index),
                purpose=CARD_PURPOSE,
                payload={"id": f"b{index}", "choices": 1},
                dedupe_key=f"b{index}",
                priority=BULK,
            )
        await uow.commit()
    for index in range(RECIPIENTS):
        await link(sessions, "telegram", str(FIRST_USER + index), STAFF)
    settings = Settings(database_url=db_url, telegram_bot_token=TOKEN, telegram_api_url=fake.url)
    started = await aiohttp_client(build_app(settings, routers=routers_with_pushes()))
    await started.app[OUTBOX].stop()
    return started


def delivered(fake: FakeBotApi) -> collections.Counter[int]:
    """Messages the fake accepted, per chat."""
    return collections.Counter(int(chat) for chat, _message_id in fake.messages)


async def statuses(sessions: SessionFactory) -> dict[str, str]:
    async with UnitOfWork(sessions) as uow:
        rows = await uow.session.execute(select(OutboxMessage.recipient, OutboxMessage.status))
    return {str(recipient): str(status) for recipient, status in rows}


@dataclass
class Counting:
    """The Telegram sender, counting what one drainer sent (to see that both took part)."""

    inner: TelegramSender
    sent: int = 0

    @property
    def caps(self) -> Capabilities:
        return self.inner.caps

    async def send(self, recipient: str, outgoing: Sequence[Outgoing]) -> str | None:
        message_id = await self.inner.send(recipient, outgoing)
        self.sent += 1
        return message_id


async def test_a_drainer_killed_mid_send_loses_nothing_and_repeats_only_its_sends_in_flight(
    client: Client, fake: FakeBotApi, db_url: str, catalogs: Catalogs
) -> None:
    sessions: SessionFactory = client.app[DISPATCHER].sessions
    sender = TelegramSender(client.app[TELEGRAM])
    # The first worker has its own connection pool, dropped when it is killed.
    doomed_db = create_database(db_url)
    doomed = OutboxDrainer(
        Dispatcher(routers_with_pushes(), session_factory(doomed_db), catalogs),
        {"telegram": sender},
        batch_size=10,
        concurrency=4,
    )
    killed = asyncio.Event()

    def accept_then_kill_on_the_25th(call: Call) -> Any:
        """The 25th message reaches Telegram, and the worker dies before hearing back."""
        answer = fake._send_message(call)
        if len(fake.calls_to("sendMessage")) == 25:
            task = doomed.lanes["telegram"].task
            assert task is not None
            task.cancel()
            killed.set()
        return answer

    fake.set_result("sendMessage", accept_then_kill_on_the_25th)
    await doomed.start()
    await asyncio.wait_for(killed.wait(), 30)
    task = doomed.lanes["telegram"].task
    assert task is not None
    with pytest.raises(asyncio.CancelledError):
        await task
    # Its lane task ends only after every worker has ended its transaction.
    assert doomed_db.connections_in_use() == 0
    await doomed_db.dispose()
    fake.set_result("sendMessage", fake._send_message)

    left = await statuses(sessions)
    in_flight = {recipient for recipient, status in left.items() if status == "sending"}
    assert in_flight, "the kill came while rows were claimed"

    # A new worker, once the dead one's two-minute lease has expired, finishes the broadcast.
    later = OutboxDrainer(
        client.app[DISPATCHER],
        {"telegram": sender},
        clock=lambda: datetime.now(UTC) + timedelta(minutes=3),
    )
    while await later.run_once("telegram"):
        pass

    assert set((await statuses(sessions)).values()) == {"sent"}
    counts = delivered(fake)
    assert all(counts[FIRST_USER + index] >= 1 for index in range(RECIPIENTS)), "none lost"
    repeated = {str(chat) for chat, count in counts.items() if count > 1}
    assert repeated <= in_flight  # only a message that was on the wire at the kill
    assert all(count <= 2 for count in counts.values())  # and at most once more per crash
    assert sum(counts.values()) - RECIPIENTS <= len(in_flight)
    fake.assert_clean()


async def test_two_drainers_on_one_database_send_every_row_exactly_once(
    client: Client, fake: FakeBotApi, db_url: str, catalogs: Catalogs
) -> None:
    """Each worker has its own pool; on PostgreSQL claims are FOR UPDATE SKIP LOCKED."""
    sessions: SessionFactory = client.app[DISPATCHER].sessions
    other_db = create_database(db_url)
    senders = [Counting(TelegramSender(client.app[TELEGRAM])) for _ in range(2)]
    dispatchers = [
        client.app[DISPATCHER],
        Dispatcher(routers_with_pushes(), session_factory(other_db), catalogs),
    ]
    drainers = [
        OutboxDrainer(dispatcher, {"telegram": sender}, batch_size=4, concurrency=2)
        for dispatcher, sender in zip(dispatchers, senders, strict=True)
    ]
    try:
        for drainer in drainers:
            await drainer.start()

        async def all_settled() -> bool:
            return set((await statuses(sessions)).values()) == {"sent"}

        await eventually(all_settled, within=60)
    finally:
        for drainer in drainers:
            await drainer.stop()
        await other_db.dispose()

    counts = delivered(fake)
    assert [counts[FIRST_USER + index] for index in range(RECIPIENTS)] == [1] * RECIPIENTS
    assert sum(counts.values()) == RECIPIENTS
    assert all(sender.sent for sender in senders), "both workers took part"
    assert sum(sender.sent for sender in senders) == RECIPIENTS
    fake.assert_clean()
