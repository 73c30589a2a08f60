"""The citizen web chat at `/layanan` over HTTP: page, session, messages (the same flows as the
bots), pushes from the outbox, and bad requests answered with JSON 4xx."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from bot.app import build_app
from bot.citizen_app import CITIZEN_OUTBOX
from bot.config import Settings
from kinerja.services import complaints
from storage.uow import SessionFactory, UnitOfWork
from tests.citizen.support import catalog
from tests.support.chat import ADMIN

Client = TestClient[Any, Any]


@pytest.fixture
async def client(db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient) -> Client:
    await catalog(sessions)
    settings = Settings(
        database_url=db_url, citizen_web_enabled=True, citizen_pseudonym_secret="q" * 32
    )
    return await aiohttp_client(build_app(settings))


async def say(client: Client, session: str, number: int, **body: str) -> list[dict[str, Any]]:
    response = await client.post(
        "/layanan/api/messages", json={"session": session, "id": f"m{number}", **body}
    )
    assert response.status == 200
    replies: list[dict[str, Any]] = (await response.json())["replies"]
    return replies


def button(replies: list[dict[str, Any]], label: str) -> str:
    for reply in replies:
        for row in reply.get("buttons", []):
            for item in row:
                if item["label"] == label:
                    return str(item["payload"])
    raise AssertionError(f"no {label!r} in {replies}")


async def test_page_session_rating_and_a_pushed_answer(
    client: Client, sessions: SessionFactory
) -> None:
    page = await client.get("/layanan?start=svc_KTP")
    assert page.status == 200 and "citizen.js" in await page.text()
    assert "frame-ancestors" in page.headers["Content-Security-Policy"]
    assert (await client.get("/layanan/static/citizen.js")).status == 200
    config = await (await client.get("/layanan/api/config?lang=en")).json()
    assert config["strings"]["citizen.web.send"] == "Send"
    session = (await (await client.post("/layanan/api/session")).json())["session"]

    replies = await say(client, session, 1, text="/start svc_KTP")
    assert "Perekaman KTP-el" in replies[0]["text"]
    replies = await say(client, session, 2, button=button(replies, "3 · Baik"))
    assert "sudah kami catat" in replies[0]["text"]
    again = await client.post(  # a redelivered message is processed once
        "/layanan/api/messages", json={"session": session, "id": "m2", "button": "cm"}
    )
    assert (await again.json())["replies"] == []

    replies = await say(client, session, 3, text="/pengaduan")
    await say(client, session, 4, text="Toilet ruang tunggu rusak sejak Senin.")
    replies = await say(client, session, 5, button="cy:y")
    replies = await say(client, session, 6, button=button(replies, "Lewati"))
    assert "ADU2611-0001" in replies[0]["text"] or "ADU" in replies[0]["text"]

    async with UnitOfWork(sessions) as uow:
        admin = await uow.employees.person_by_nip(ADMIN)
        assert admin is not None
        open_ = await uow.citizen.complaints(None, ("open",))
        await complaints.resolve(uow, admin, open_[0].id, _now())
        await uow.commit()
    await client.app[CITIZEN_OUTBOX].run_once("citizen-web")
    inbox = await (await client.get(f"/layanan/api/inbox?session={session}")).json()
    assert len(inbox["replies"]) == 1 and "selesai" in inbox["replies"][0]["text"]
    other = "another-visitor-session-000000"
    assert (await (await client.get(f"/layanan/api/inbox?session={other}")).json())[
        "replies"
    ] == []


async def test_the_page_language_reaches_the_chat(client: Client) -> None:
    replies = await say(client, "english-visitor-session-00000", 1, text="/start", lang="en")
    assert "Welcome to the feedback service" in replies[0]["text"]
    replies = await say(client, "indonesian-visitor-session-000", 1, text="/start")
    assert "Selamat datang" in replies[0]["text"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1]", 400),
        (b'{"session": "short", "id": "a", "text": "hi"}', 401),
        (b'{"session": "abcdefghijklmnopqrstuvwxyz", "id": "bad id!", "text": "hi"}', 400),
        (b'{"session": "abcdefghijklmnopqrstuvwxyz", "id": "a", "text": "   "}', 400),
        (
            b'{"session": "abcdefghijklmnopqrstuvwxyz", "id": "a", "text": "hi", "button": "x"}',
            400,
        ),
        (
            b'{"session": "abcdefghijklmnopqrstuvwxyz", "id": "a", "button": "'
            + b"x" * 65
            + b'"}',
            400,
        ),
        (
            b'{"session": "abcdefghijklmnopqrstuvwxyz", "id": "a", "text": "'
            + b"x" * 5000
            + b'"}',
            413,
        ),
        (b"x" * 20_000, 413),
    ],
)
async def test_bad_requests_get_json_4xx(client: Client, body: bytes, status: int) -> None:
    response = await client.post(
        "/layanan/api/messages", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == status
    assert "error" in await response.json()


async def test_no_citizen_channel_without_configuration(
    db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient
) -> None:
    plain = await aiohttp_client(build_app(Settings(database_url=db_url)))
    assert (await plain.get("/layanan")).status == 404


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
