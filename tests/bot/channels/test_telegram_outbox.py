"""Pushes to Telegram end to end: a row queued in a unit of work, the service's drainer, PTB's Bot
over our transport, and the fake Bot API that validates every call against the reference."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from bot.app import DISPATCHER, OUTBOX, TELEGRAM, build_app
from bot.channels.telegram import TelegramSender
from bot.config import Settings
from scheduler.outbox import OutboxDrainer
from storage.repositories.outbox import OutboxRecord
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import STAFF, link, seed
from tests.support.fake_telegram import TOKEN, FakeBotApi, start_fake, text_update
from tests.support.pushes import CARD_PURPOSE, routers_with_pushes
from tests.support.waiting import eventually

USER = 5_552_468
Client = TestClient[Any, Any]


@pytest.fixture
async def fake(aiohttp_server: Any) -> FakeBotApi:
    return await start_fake(aiohttp_server)


@pytest.fixture
async def client(
    db_url: str, sessions: SessionFactory, fake: FakeBotApi, aiohttp_client: AiohttpClient
) -> Client:
    """The service in long-polling mode (no update arrives), with a feature that renders pushes;
    the atasan's staff member Siti has linked her Telegram account."""
    await seed(sessions)
    await link(sessions, "telegram", str(USER), STAFF)
    settings = Settings(database_url=db_url, telegram_bot_token=TOKEN, telegram_api_url=fake.url)
    return await aiohttp_client(build_app(settings, routers=routers_with_pushes()))


def app_sessions(client: Client) -> SessionFactory:
    """The service's own sessions: its commits wake its drainer, as a feature's would."""
    sessions: SessionFactory = client.app[DISPATCHER].sessions
    return sessions


async def enqueue(
    client: Client, key: str, *, commit: bool = True, purpose: str = CARD_PURPOSE, **payload: Any
) -> None:
    async with UnitOfWork(app_sessions(client)) as uow:
        await uow.outbox.enqueue(
            channel="telegram",
            recipient=str(USER),
            purpose=purpose,
            payload={"id": key, **payload},
            dedupe_key=key,
        )
        if commit:
            await uow.commit()


async def record(client: Client, key: str) -> OutboxRecord:
    async with UnitOfWork(app_sessions(client)) as uow:
        found = await uow.outbox.find(key)
    assert found is not None
    return found


async def settled(client: Client, key: str, within: float = 5.0) -> OutboxRecord:
    """The row once it has left "pending"/"sending"."""

    async def done() -> OutboxRecord | None:
        row = await record(client, key)
        return None if row.status in ("pending", "sending") else row

    return await eventually(done, within=within)


async def test_a_committed_push_is_sent_once_with_its_buttons(
    client: Client, fake: FakeBotApi
) -> None:
    await enqueue(client, "card-1")
    row = await settled(client, "card-1")

    (call,) = fake.calls_to("sendMessage")
    assert call.params["chat_id"] == USER
    assert call.params["text"] == "Kartu card-1 untuk Siti Nurhaliza, S.T. [id]"
    keyboard = call.params["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in keyboard for b in row] == [
        "tcard:card-1:1",
        "tcard:card-1:2",
    ]
    # The message id a later edit of the card needs.
    sent = [key for key in fake.messages if key[0] == USER]
    assert row.status == "sent" and row.attempts == 1
    assert row.provider_message_id == str(sent[-1][1])
    fake.assert_clean()


async def test_a_rolled_back_push_is_never_sent(client: Client, fake: FakeBotApi) -> None:
    await enqueue(client, "card-2", commit=False)
    assert await client.app[OUTBOX].run_once("telegram") == 0
    await asyncio.sleep(0.1)
    assert fake.calls_to("sendMessage") == []
    async with UnitOfWork(app_sessions(client)) as uow:
        assert await uow.outbox.find("card-2") is None


async def test_a_429_is_waited_out_and_the_push_sent_once(
    client: Client, fake: FakeBotApi
) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=1)
    started = asyncio.get_running_loop().time()
    await enqueue(client, "card-3")
    row = await settled(client, "card-3", within=3)
    assert asyncio.get_running_loop().time() - started >= 1.0
    assert row.status == "sent" and row.attempts == 1  # waiting out a 429 is not an attempt
    assert len(fake.calls_to("sendMessage")) == 2  # the refused call and the one that went out
    assert len([key for key in fake.messages if key[0] == USER]) == 1


async def test_a_blocked_bot_gives_up_without_retrying(client: Client, fake: FakeBotApi) -> None:
    fake.fail_next(
        "sendMessage",
        status=403,
        retry_after=None,
        description="Forbidden: bot was blocked by the user",
    )
    await enqueue(client, "card-4")
    row = await settled(client, "card-4")
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error is not None and "blocked" in row.last_error
    await client.app[OUTBOX].run_once("telegram")
    assert len(fake.calls_to("sendMessage")) == 1


async def test_a_push_left_by_a_killed_worker_is_sent_on_the_next_run(
    client: Client, fake: FakeBotApi
) -> None:
    await client.app[OUTBOX].stop()  # this test plays the workers itself
    await enqueue(client, "card-5")
    async with UnitOfWork(app_sessions(client)) as uow:
        # A worker claims it (a two-minute lease) and is killed before sending.
        (_killed,) = await uow.outbox.claim(
            "telegram", now=datetime.now(UTC), lease=timedelta(minutes=2), limit=10
        )
        await uow.commit()
    assert (await record(client, "card-5")).status == "sending"

    def worker(clock_offset: timedelta) -> OutboxDrainer:
        sender = TelegramSender(client.app[TELEGRAM])
        return OutboxDrainer(
            client.app[DISPATCHER],
            {"telegram": sender},
            clock=lambda: datetime.now(UTC) + clock_offset,
        )

    assert await worker(timedelta(0)).run_once("telegram") == 0  # still leased
    assert await worker(timedelta(minutes=3)).run_once("telegram") == 1  # lease expired
    row = await record(client, "card-5")
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(fake.calls_to("sendMessage")) == 1


async def test_an_obsolete_push_is_dropped_unsent(client: Client, fake: FakeBotApi) -> None:
    await enqueue(client, "card-6", obsolete=True)
    row = await settled(client, "card-6")
    assert row.status == "dropped"
    assert fake.calls_to("sendMessage") == []


async def test_an_unknown_purpose_is_dropped_and_logged(
    client: Client, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.chat.dispatcher"):
        await enqueue(client, "card-7", purpose="approval_cardd")
        row = await settled(client, "card-7")
    assert (row.status, row.last_error) == ("dropped", "unknown purpose 'approval_cardd'")
    assert "approval_cardd" in caplog.text
    assert fake.calls_to("sendMessage") == []


@pytest.mark.parametrize(
    ("status", "description", "outcome", "error"),
    [
        (400, "Bad Request: chat not found", "failed", "RecipientUnreachable: chat not found"),
        (400, "Bad Request: can't parse entities", "failed", "MessageRejected: can't parse"),
        (502, "Bad Gateway", "pending", "TransientFailure: NetworkError: Bad Gateway"),
    ],
)
async def test_bot_api_errors_decide_give_up_or_retry(
    client: Client, fake: FakeBotApi, status: int, description: str, outcome: str, error: str
) -> None:
    drainer: OutboxDrainer = client.app[OUTBOX]
    await drainer.stop()
    fake.fail_next("sendMessage", status=status, retry_after=None, description=description)
    await enqueue(client, "card-8")
    await OutboxDrainer(
        client.app[DISPATCHER], {"telegram": TelegramSender(client.app[TELEGRAM])}
    ).run_once("telegram")
    row = await record(client, "card-8")
    assert (row.status, row.attempts) == (outcome, 1)
    assert row.last_error is not None and row.last_error.lower().startswith(error.lower())


async def test_a_push_with_edit_of_edits_the_sent_message(
    client: Client, fake: FakeBotApi
) -> None:
    from tests.support.pushes import NOTICE_PURPOSE

    await enqueue(client, "progress-1")
    first = await settled(client, "progress-1")
    await enqueue(client, "progress-1:b", purpose=NOTICE_PURPOSE, edit_of="progress-1")
    second = await settled(client, "progress-1:b")
    (edit,) = fake.calls_to("editMessageText")
    assert edit.params["chat_id"] == USER
    assert str(edit.params["message_id"]) == first.provider_message_id
    assert edit.params["text"] == "Pemberitahuan progress-1:b"
    assert second.status == "sent" and len(fake.calls_to("sendMessage")) == 1
    fake.assert_clean()


async def test_a_blocked_user_is_marked_unreachable_until_she_writes_again(
    client: Client, fake: FakeBotApi
) -> None:
    fake.fail_next(
        "sendMessage",
        status=403,
        retry_after=None,
        description="Forbidden: bot was blocked by the user",
    )
    await enqueue(client, "card-blocked")
    row = await settled(client, "card-blocked")
    # Recorded in the transaction that gives the row up: seen together, never one alone.
    assert row.status == "failed"
    assert await unreachable_since(client) is not None

    # She unblocks the bot and writes to it: pushes may reach her again.
    fake.push_update(text_update(USER, "halo"))
    await fake.wait_for_call("sendMessage", count=2, within=5)
    assert await unreachable_since(client) is None


async def unreachable_since(client: Client) -> datetime | None:
    from sqlalchemy import select

    from storage.models import Identity

    async with UnitOfWork(app_sessions(client)) as uow:
        marked: datetime | None = await uow.session.scalar(
            select(Identity.unreachable_at).where(Identity.external_id == str(USER))
        )
    return marked
