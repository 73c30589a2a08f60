"""Approvals in the local web chat: the card arrives in the atasan's page, decided there one by
one and in batch, the employee's page gets the outcome."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select, update

from bot.app import build_app
from bot.config import Settings
from storage.models import Activity, Employee
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ATASAN, STAFF, seed
from tests.support.waiting import eventually

Client = TestClient[web.Request, web.Application]
_ids = itertools.count(1)


@pytest.fixture
async def client(db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient) -> Client:
    await seed(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            update(Employee).where(Employee.nip == ATASAN).values(approval_mode="instant")
        )
        await uow.commit()
    settings = Settings(database_url=db_url, web_chat_enabled=True)
    return await aiohttp_client(build_app(settings, demo=True))


async def session_for(client: Client, nip: str) -> str:
    response = await client.post("/chat/api/session", json={"nip": nip})
    assert response.status == 200
    token: str = (await response.json())["session"]
    return token


async def say(client: Client, session: str, **message: str) -> list[dict[str, Any]]:
    body = {"session": session, "id": f"m{next(_ids)}", **message}
    response = await client.post("/chat/api/messages", json=body)
    assert response.status == 200, await response.text()
    replies: list[dict[str, Any]] = (await response.json())["replies"]
    return replies


def button(replies: list[dict[str, Any]], label: str) -> str:
    for reply in replies:
        for row in reply.get("buttons") or []:
            for item in row:
                if item["label"] == label:
                    return str(item["payload"])
    raise AssertionError(f"no {label!r} in {replies}")


async def pushed(client: Client, session: str, fragment: str) -> list[dict[str, Any]]:
    async def check() -> list[dict[str, Any]] | None:
        response = await client.get("/chat/api/inbox", params={"session": session})
        replies: list[dict[str, Any]] = (await response.json())["replies"]
        return replies if any(fragment in r.get("text", "") for r in replies) else None

    return await eventually(check)


async def test_atasan_decides_in_the_web_chat_one_by_one_and_in_batch(
    client: Client, sessions: SessionFactory
) -> None:
    staff = await session_for(client, STAFF)
    atasan = await session_for(client, ATASAN)
    for text in (
        "kemarin 08.00-09.30 Menyusun laporan bulanan",
        "kemarin 10.00-11.00 Memperbarui data aset",
        "kemarin 13.00-14.00 Rapat koordinasi",
    ):
        summary = await say(client, staff, text=text)
        await say(client, staff, button=button(summary, "Simpan"))

    cards = await pushed(client, atasan, "Persetujuan kegiatan")
    first = next(card for card in cards if "laporan bulanan" in card["text"])
    decided = await say(client, atasan, button=button([first], "Setujui"))
    assert "Disetujui</b> oleh" in decided[0]["text"]
    notice = await pushed(client, staff, "telah disetujui")
    assert any("laporan bulanan" in reply["text"] for reply in notice)

    overview = await say(client, atasan, text="/persetujuan")
    assert "2 entri dari 1 pegawai" in overview[0]["text"]
    done = await say(client, atasan, button=button(overview, "Setujui semua (2)"))
    assert "2 entri disetujui" in done[0]["text"]
    async with UnitOfWork(sessions) as uow:
        statuses = list(await uow.session.scalars(select(Activity.status)))
    assert statuses == ["disetujui"] * 3
