"""PostgreSQL "restarted" in the middle of traffic, through a proxy that cuts this test's
connections (tests/support/pg_proxy.py; the machine's shared server is never touched).

What must hold: while the database is away every webhook answers 503 (so Telegram, Meta and the
web chat page send again) and saves nothing; every update answered 200 is saved; redelivered
updates are processed exactly once; and once the database is back the service serves again by
itself, without a restart.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.chat.context import ChatContext
from bot.chat.events import Inbound
from bot.chat.replies import Text
from bot.chat.router import Access, Router
from bot.config import Settings
from handlers import ROUTERS
from storage.database import Database, create_database
from storage.models import Activity, Base, ConversationState
from storage.uow import SessionFactory, UnitOfWork, session_factory
from tests.support import fake_whatsapp
from tests.support.chat import STAFF, link, seed
from tests.support.fake_telegram import TOKEN, FakeBotApi, callback_update, start_fake, text_update
from tests.support.pg_proxy import PgProxy

SECRET = "fault-test_secret"
HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
FIRST_USER = 8_200_000
USERS = 12
STAFF_PHONE = "6281200000003"  # Siti's number in the demo roster
Client = TestClient[Any, Any]


@pytest.fixture
async def direct(pg_url: str) -> AsyncIterator[SessionFactory]:
    """The test database, emptied and seeded, reached directly (not through the proxy)."""
    database: Database = create_database(pg_url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    db = await database.begin()
    await db.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await db.commit()
    await db.close()
    sessions = session_factory(database)
    await seed(sessions)
    for index in range(USERS):
        await link(sessions, "telegram", str(FIRST_USER + index), STAFF)
    yield sessions
    await database.dispose()


@pytest.fixture
async def proxy(pg_url: str) -> AsyncIterator[PgProxy]:
    real = make_url(pg_url)
    started = await PgProxy.start(real.host or "127.0.0.1", real.port or 5432)
    yield started
    await started.close()


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeBotApi:
    return await start_fake(aiohttp_server)


@pytest.fixture
async def client(
    pg_url: str,
    proxy: PgProxy,
    direct: SessionFactory,
    fake: FakeBotApi,
    aiohttp_client: AiohttpClient,
) -> Client:
    settings = Settings(
        database_url=proxy.url_for(pg_url),
        db_pool_size=4,
        telegram_bot_token=TOKEN,
        telegram_api_url=fake.url,
        telegram_webhook_url="https://kinerja.example.go.id/webhooks/telegram",
        telegram_webhook_secret=SECRET,
        web_chat_enabled=True,
        reminders_enabled=False,
    )
    return await aiohttp_client(build_app(settings))


async def post(client: Client, update: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    """One delivery attempt as Telegram makes it; the webhook's inline call, if any."""
    response = await client.post("/webhooks/telegram", json=update, headers=HEADER)
    body = await response.json() if response.content_type == "application/json" else None
    return response.status, body


async def deliver(client: Client, update: dict[str, Any], *, attempts: int = 20) -> int:
    """Deliver until answered 200, as Telegram retries a failed webhook; returns the attempts."""
    for attempt in range(1, attempts + 1):
        status, _ = await post(client, update)
        if status == 200:
            return attempt
        assert status == 503, f"a failed delivery must be a 503, got {status}"
        await asyncio.sleep(0.05)
    raise AssertionError(f"update {update['update_id']} never accepted")


def save_button(body: dict[str, Any] | None) -> str:
    """The callback data of the "Simpan" button on the inline summary of a quick form."""
    assert body is not None and body["method"] == "sendMessage", body
    markup = body["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    for row in markup["inline_keyboard"]:
        for button in row:
            if button["text"].startswith("Simpan"):
                return str(button["callback_data"])
    raise AssertionError(f"no Simpan button in {markup}")


async def entries_by_user(sessions: SessionFactory) -> dict[str, int]:
    """Saved entries per description (each user logs one description of their own)."""
    async with UnitOfWork(sessions) as uow:
        rows = await uow.session.execute(
            select(Activity.description, func.count()).group_by(Activity.description)
        )
    return {str(description): int(count) for description, count in rows}


async def summaries(client: Client) -> list[dict[str, Any]]:
    """Each user sends a one-line entry (a different hour each, so none overlap); the presses
    of their "Simpan" buttons, not yet delivered."""
    presses = []
    for index in range(USERS):
        user = FIRST_USER + index
        line = f"kemarin {index:02d}.00-{index:02d}.30 Rapat fault {index}"
        status, body = await post(client, text_update(user, line))
        assert status == 200
        presses.append(callback_update(user, save_button(body), message_id=100 + index))
    return presses


async def test_webhooks_answer_503_while_down_and_lose_nothing(
    client: Client, proxy: PgProxy, direct: SessionFactory
) -> None:
    presses = await summaries(client)
    first, rest = presses[: USERS // 2], presses[USERS // 2 :]

    # Mid-traffic: half the presses are in flight when the server goes away.
    in_flight = [asyncio.create_task(post(client, press)) for press in first]
    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
    proxy.go_down()
    outcomes = [status for status, _ in await asyncio.gather(*in_flight)]
    assert set(outcomes) <= {200, 503}
    accepted = [press for press, status in zip(first, outcomes, strict=True) if status == 200]

    # While it is away: every webhook says 503, and nothing of theirs is saved.
    for press in rest:
        assert (await post(client, press))[0] == 503
    web = await client.post("/chat/api/session", json={})
    assert web.status == 503
    assert (await web.json())["error"]["code"] == "unavailable"
    saved = await entries_by_user(direct)
    assert all(f"Rapat fault {index}" not in saved for index in range(USERS // 2, USERS))
    for press in accepted:  # answered 200, so saved
        index = int(press["callback_query"]["from"]["id"]) - FIRST_USER
        assert saved.get(f"Rapat fault {index}") == 1

    # Back: Telegram redelivers everything not acknowledged (and, to be sure, the accepted ones
    # again); every entry is saved exactly once.
    proxy.come_back()
    for press in presses:
        await deliver(client, press)
    for press in accepted:
        assert (await post(client, press))[0] == 200  # a duplicate, acknowledged
    assert await entries_by_user(direct) == {f"Rapat fault {i}": 1 for i in range(USERS)}

    # Recovered by itself: fresh traffic is served on the first attempt.
    for index in range(USERS):
        status, _ = await post(client, text_update(FIRST_USER + index, "/menu"))
        assert status == 200


async def test_a_second_outage_is_survived_too(client: Client, proxy: PgProxy) -> None:
    """The pool must not keep dead connections from the first outage into the second one."""
    for _round in range(2):
        proxy.go_down()
        assert (await post(client, text_update(FIRST_USER, "/menu")))[0] == 503
        proxy.come_back()
        assert await deliver(client, text_update(FIRST_USER, "/menu")) <= 2
        for index in range(USERS):
            assert (await post(client, text_update(FIRST_USER + index, "/menu")))[0] == 200


async def test_the_service_starts_serving_after_a_restart_it_slept_through(
    client: Client, proxy: PgProxy
) -> None:
    """Idle pooled connections cut while nobody was sending: the first update after must not
    be the victim of each dead connection in turn."""
    for index in range(USERS):
        assert (await post(client, text_update(FIRST_USER + index, "/menu")))[0] == 200
    proxy.go_down()
    await asyncio.sleep(0.05)
    proxy.come_back()
    statuses = await asyncio.gather(
        *(post(client, text_update(FIRST_USER + i, "/menu")) for i in range(USERS))
    )
    assert [status for status, _ in statuses] == [200] * USERS


async def test_whatsapp_webhook_answers_503_while_down_then_processes_the_redelivery(
    pg_url: str,
    proxy: PgProxy,
    direct: SessionFactory,
    aiohttp_client: AiohttpClient,
    aiohttp_server: AiohttpServer,
) -> None:
    graph = await fake_whatsapp.start_fake(aiohttp_server)
    settings = Settings(
        database_url=proxy.url_for(pg_url),
        whatsapp_token=fake_whatsapp.TOKEN,
        whatsapp_api_url=graph.url,
        whatsapp_phone_number_id=fake_whatsapp.PHONE_NUMBER_ID,
        whatsapp_app_secret=fake_whatsapp.APP_SECRET,
        whatsapp_verify_token=fake_whatsapp.VERIFY_TOKEN,
        reminders_enabled=False,
    )
    client = await aiohttp_client(build_app(settings))
    body, headers = fake_whatsapp.signed(fake_whatsapp.text_message(STAFF_PHONE, "/menu"))
    proxy.go_down()
    response = await client.post("/webhooks/whatsapp", data=body, headers=headers)
    assert response.status == 503
    assert graph.to(STAFF_PHONE) == []
    proxy.come_back()
    for _attempt in range(5):  # Meta redelivers the same body
        response = await client.post("/webhooks/whatsapp", data=body, headers=headers)
        if response.status == 200:
            break
    assert response.status == 200
    assert len(graph.to(STAFF_PHONE)) == 1
    response = await client.post("/webhooks/whatsapp", data=body, headers=headers)
    assert response.status == 200 and len(graph.to(STAFF_PHONE)) == 1  # processed once


async def test_an_outage_inside_a_handler_is_a_503_not_an_error_reply(
    pg_url: str,
    proxy: PgProxy,
    direct: SessionFactory,
    fake: FakeBotApi,
    aiohttp_client: AiohttpClient,
) -> None:
    """The database goes away while a handler runs. The dispatcher used to answer its own
    "error" reply with a 200, acknowledging an update it had not applied (lost: the platform
    never redelivers it); now the webhook answers 503 and the redelivery is applied."""
    router = Router("outage")
    outages = [True]

    @router.command("putus", access=Access.PUBLIC)
    async def cut_mid_way(ctx: ChatContext, _event: Inbound) -> Text:
        ctx.state.enter("putus", "done")  # saved with the update, if it commits
        if outages.pop() if outages else False:
            proxy.go_down()
        await ctx.uow.identities.find("telegram", "nobody")  # the database, mid-handler
        return Text(text="selesai")

    settings = Settings(
        database_url=proxy.url_for(pg_url),
        db_pool_size=2,
        telegram_bot_token=TOKEN,
        telegram_api_url=fake.url,
        telegram_webhook_url="https://kinerja.example.go.id/webhooks/telegram",
        telegram_webhook_secret=SECRET,
        reminders_enabled=False,
    )
    client = await aiohttp_client(build_app(settings, routers=(router, *ROUTERS)))
    update = text_update(FIRST_USER, "/putus")
    status, body = await post(client, update)
    assert status == 503, body
    proxy.come_back()
    status, body = await post(client, update)
    assert status == 200 and body is not None and body["text"] == "selesai"
    async with UnitOfWork(direct) as uow:
        flow = await uow.session.scalar(
            select(ConversationState.flow).where(ConversationState.external_id == str(FIRST_USER))
        )
    assert flow == "putus"
