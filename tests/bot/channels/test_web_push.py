"""Pushes to the web chat: queued like any push, kept for the page, fetched from its inbox."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from bot.app import DISPATCHER, build_app
from bot.channels.web import WebInbox
from bot.chat.capabilities import Outgoing
from bot.chat.i18n import Catalogs
from bot.chat.replies import Text
from bot.config import Settings
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ATASAN, seed
from tests.support.pushes import CARD_PURPOSE, routers_with_pushes
from tests.support.waiting import eventually

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient) -> Client:
    await seed(sessions)
    settings = Settings(database_url=db_url, web_chat_enabled=True)
    return await aiohttp_client(build_app(settings, demo=True, routers=routers_with_pushes()))


async def open_session(client: Client) -> str:
    response = await client.post("/chat/api/session", json={"nip": ATASAN})
    assert response.status == 200
    token: str = (await response.json())["session"]
    return token


async def inbox(client: Client, session: str) -> dict[str, Any]:
    response = await client.get("/chat/api/inbox", params={"session": session})
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_a_push_reaches_the_page_through_its_inbox(client: Client) -> None:
    session = await open_session(client)
    assert await inbox(client, session) == {"replies": [], "language": None}

    async with UnitOfWork(client.app[DISPATCHER].sessions) as uow:
        await uow.outbox.enqueue(
            channel="web", recipient=session, purpose=CARD_PURPOSE, payload={"id": "42"}
        )
        await uow.commit()

    async def delivered() -> dict[str, Any] | None:
        body = await inbox(client, session)
        return body if body["replies"] else None

    body = await eventually(delivered)

    assert body == {
        "replies": [
            {
                "kind": "text",
                "text": "Kartu 42 untuk Drs. Ahmad Fauzi, M.Si. [id]",
                "buttons": [
                    [
                        {"label": "Pilihan 1", "payload": "tcard:42:1"},
                        {"label": "Pilihan 2", "payload": "tcard:42:2"},
                    ]
                ],
            }
        ],
        "language": "id",
    }
    assert (await inbox(client, session))["replies"] == []  # fetched once

    # Its buttons work like a reply's.
    response = await client.post(
        "/chat/api/messages", json={"session": session, "id": "p1", "button": "tcard:42:2"}
    )
    assert (await response.json())["replies"][0]["text"] == "Dipilih tcard:42:2"


async def test_the_inbox_needs_a_well_formed_session(client: Client, catalogs: Catalogs) -> None:
    for params in ({}, {"session": "short"}, {"session": "x" * 20 + "<"}):
        response = await client.get("/chat/api/inbox", params=params)
        assert response.status == 401
        body = await response.json()
        assert body["error"]["code"] == "unknown_session"


async def test_an_inbox_keeps_the_newest_hundred() -> None:
    box = WebInbox(size=100, sessions=2)
    for number in range(105):
        await box.send("a" * 20, [Outgoing(Text(text=str(number)))])
    assert [reply["text"] for reply in box.take("a" * 20)] == [str(n) for n in range(5, 105)]
    for name in ("b", "c", "d"):
        assert await box.send(name * 20, [Outgoing(Text(text=name))])
    assert box.take("b" * 20) == []  # the session untouched longest made room
    assert [reply["text"] for reply in box.take("d" * 20)] == ["d"]
