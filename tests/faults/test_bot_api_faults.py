"""A Bot API that answers 5xx, 429 or nothing at all for a while (tests/support/bot_api_front.py).

Pushes (the outbox): every message is delivered once the API is back, none twice, and the rows
end "sent". Direct replies: the webhook still answers 200 in bounded time and the update's work
is kept (its reply is lost with the API, as Telegram would lose it; the user sees the state
the next time they ask).
"""

from __future__ import annotations

import collections
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import select

from bot.app import DISPATCHER, OUTBOX, TELEGRAM, build_app
from bot.channels.telegram import TelegramSender
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.config import Settings
from scheduler.outbox import OutboxDrainer, RetryPolicy
from storage.models import Activity, OutboxMessage
from storage.repositories.outbox import BULK
from storage.uow import SessionFactory, UnitOfWork
from tests.support.bot_api_front import BotApiFront
from tests.support.chat import STAFF, link, seed
from tests.support.fake_telegram import TOKEN, FakeBotApi, callback_update, text_update
from tests.support.pushes import CARD_PURPOSE, routers_with_pushes
from tests.support.waiting import eventually

Client = TestClient[Any, Any]
SECRET = "bot-api-faults_secret"
FIRST_USER = 8_400_000
RECIPIENTS = 12
SHORT_TIMEOUT = 0.3  # read timeout of the Bot API client here (10 s in production)


@pytest.fixture
async def front(aiohttp_server: AiohttpServer) -> BotApiFront:
    fake = FakeBotApi()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/")).rstrip("/")
    return await BotApiFront.start(fake, aiohttp_server)


@pytest.fixture
async def client(
    db_url: str, sessions: SessionFactory, front: BotApiFront, aiohttp_client: AiohttpClient
) -> Client:
    await seed(sessions)
    for index in range(RECIPIENTS):
        await link(sessions, "telegram", str(FIRST_USER + index), STAFF)
    settings = Settings(
        database_url=db_url,
        telegram_bot_token=TOKEN,
        telegram_api_url=front.url,
        telegram_webhook_url="https://kinerja.example.go.id/webhooks/telegram",
        telegram_webhook_secret=SECRET,
        reminders_enabled=False,
    )
    started = await aiohttp_client(build_app(settings, routers=routers_with_pushes()))
    await started.app[OUTBOX].stop()  # the test runs its own, with a quick retry policy
    for transport in started.app[TELEGRAM].transports:
        transport._read_timeout = SHORT_TIMEOUT
    return started


async def statuses(sessions: SessionFactory) -> collections.Counter[str]:
    async with UnitOfWork(sessions) as uow:
        rows = await uow.session.execute(select(OutboxMessage.status))
    return collections.Counter(str(status) for (status,) in rows)


@pytest.mark.parametrize("fault", ["502", "429", "timeout"])
async def test_pushes_survive_a_failing_bot_api(
    client: Client, front: BotApiFront, catalogs: Catalogs, fault: str
) -> None:
    sessions: SessionFactory = client.app[DISPATCHER].sessions
    async with UnitOfWork(sessions) as uow:
        for index in range(RECIPIENTS):
            await uow.outbox.enqueue(
                channel="telegram",
                recipient=str(FIRST_USER + index),
                purpose=CARD_PURPOSE,
                payload={"id": f"f{index}", "choices": 1},
                dedupe_key=f"fault-{index}",
                priority=BULK,
            )
        await uow.commit()
    if fault == "502":
        front.fail("sendMessage", 502)
    elif fault == "429":
        front.fail("sendMessage", 429, retry_after=1)
    else:
        front.stall("sendMessage")
    drainer = OutboxDrainer(
        Dispatcher(routers_with_pushes(), sessions, catalogs),
        {"telegram": TelegramSender(client.app[TELEGRAM])},
        poll_interval=0.05,
        retry=RetryPolicy(max_attempts=50, first_delay=0.05, factor=2.0, max_delay=0.4),
    )
    await drainer.start()
    try:
        if fault == "timeout":
            await eventually(lambda: front.stalled.get("sendMessage", 0) >= 1)
        else:
            await eventually(lambda: front.refused.get("sendMessage", 0) >= 2)
        assert front.fake.calls_to("sendMessage") == []  # nothing got through meanwhile
        front.heal()
        expected = {FIRST_USER + index for index in range(RECIPIENTS)}
        fake: FakeBotApi = front.fake

        def delivered() -> collections.Counter[int]:
            return collections.Counter(
                int(call.params["chat_id"]) for call in fake.calls_to("sendMessage")
            )

        await eventually(lambda: set(delivered()) == expected, within=30)
        assert max(delivered().values()) == 1  # none twice
        await eventually(lambda: _all_sent(sessions), within=10)
    finally:
        await drainer.stop()


async def _all_sent(sessions: SessionFactory) -> bool:
    counts = await statuses(sessions)
    return set(counts) == {"sent"}


def save_button(body: dict[str, Any] | None) -> str:
    assert body is not None and body["method"] == "sendMessage", body
    markup = body["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return next(
        str(button["callback_data"])
        for row in markup["inline_keyboard"]
        for button in row
        if button["text"].startswith("Simpan")
    )


@pytest.mark.parametrize("fault", ["502", "429", "timeout"])
async def test_direct_replies_survive_a_failing_bot_api(
    client: Client, front: BotApiFront, sessions: SessionFactory, fault: str
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    line = "kemarin 08.00-09.00 Rapat saat Bot API gagal"
    response = await client.post(
        "/webhooks/telegram", json=text_update(FIRST_USER, line), headers=headers
    )
    assert response.status == 200
    payload = save_button(await response.json())
    for method in ("answerCallbackQuery", "editMessageText", "sendMessage"):
        if fault == "502":
            front.fail(method, 502)
        elif fault == "429":
            front.fail(method, 429, retry_after=1)
        else:
            front.stall(method)
    press = callback_update(FIRST_USER, payload, message_id=5)
    response = await client.post("/webhooks/telegram", json=press, headers=headers)
    assert response.status == 200
    async with UnitOfWork(sessions) as uow:
        saved = await uow.session.scalar(
            select(Activity.description).where(Activity.description.like("Rapat saat%"))
        )
    assert saved == "Rapat saat Bot API gagal"
    front.heal()
    response = await client.post("/webhooks/telegram", json=press, headers=headers)
    assert response.status == 200  # the redelivery is acknowledged, not applied again
