"""The citizen bot on Telegram end to end: its own token, webhook path and secret, beside the
staff bot, against the local fake Bot API; staff and citizen features unreachable across; no
raw Telegram id stored; a complaint's answer pushed back to the citizen's chat."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import select, text

from bot.app import build_app
from bot.citizen_app import CITIZEN_OUTBOX
from bot.config import Settings
from kinerja.services import complaints
from storage.models import CitizenComplaint, CitizenRating
from storage.uow import SessionFactory, UnitOfWork
from tests.citizen.support import catalog
from tests.support.chat import ADMIN
from tests.support.fake_telegram import (
    TOKEN,
    FakeBotApi,
    callback_update,
    command_update,
    contact_update,
    photo_update,
    start_fake,
    text_update,
)

CITIZEN_TOKEN = "7000000002:AAHfakeCitizenTokenForLocalTests_01234"
STAFF_SECRET = "staff-hook-secret"
CITIZEN_SECRET = "citizen-hook-secret"
PSEUDONYM_SECRET = "p" * 40
CITIZEN = 987_650_321  # a citizen's Telegram id: must never be stored
STAFF_USER = 5_551_234
STRANGER = 123_456_780
FAKE = web.AppKey("fake", FakeBotApi)


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeBotApi:
    return await start_fake(aiohttp_server)


@pytest.fixture
async def client(
    db_url: str, sessions: SessionFactory, fake: FakeBotApi, aiohttp_client: AiohttpClient
) -> TestClient[Any, Any]:
    await catalog(sessions)
    settings = Settings(
        database_url=db_url,
        telegram_bot_token=TOKEN,
        telegram_api_url=fake.url,
        telegram_webhook_url="https://kinerja.example.go.id/webhooks/telegram",
        telegram_webhook_secret=STAFF_SECRET,
        citizen_telegram_bot_token=CITIZEN_TOKEN,
        citizen_telegram_webhook_url="https://kinerja.example.go.id/webhooks/citizen-telegram",
        citizen_telegram_webhook_secret=CITIZEN_SECRET,
        citizen_pseudonym_secret=PSEUDONYM_SECRET,
        complaint_response_days=3,
    )
    app = build_app(settings)
    app[FAKE] = fake
    return await aiohttp_client(app)


async def post(
    client: TestClient[Any, Any], update: dict[str, Any], *, citizen: bool = True
) -> int:
    """Deliver as Telegram does (performing a call returned in the webhook's response)."""
    path = "/webhooks/citizen-telegram" if citizen else "/webhooks/telegram"
    secret = CITIZEN_SECRET if citizen else STAFF_SECRET
    token = CITIZEN_TOKEN if citizen else TOKEN
    response = await client.post(
        path, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
    )
    if response.status == 200 and response.content_type == "application/json":
        call = await response.json()
        method = call.pop("method")
        async with aiohttp.ClientSession() as session:
            await session.post(f"{client.app[FAKE].base_url}{token}/{method}", json=call)
    return response.status


def citizen_texts(fake: FakeBotApi) -> list[str]:
    return [
        str(c.params["text"])
        for c in fake.calls_to("sendMessage")
        if c.token == CITIZEN_TOKEN and int(c.params["chat_id"]) == CITIZEN
    ]


def buttons(fake: FakeBotApi, token: str = CITIZEN_TOKEN) -> dict[str, str]:
    last = [c for c in fake.calls_to("sendMessage") if c.token == token][-1]
    markup = last.params.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def press(
    client: TestClient[Any, Any], fake: FakeBotApi, label: str, user: int = CITIZEN
) -> None:
    assert await post(client, callback_update(user, buttons(fake)[label], message_id=1)) == 200


async def test_citizen_bot_rates_complains_and_hears_back(
    client: TestClient[Any, Any], fake: FakeBotApi, sessions: SessionFactory
) -> None:
    commands = [c for c in fake.calls_to("setMyCommands") if c.token == CITIZEN_TOKEN]
    assert {c["command"] for c in commands[0].params["commands"]} >= {"start", "tiket"}
    hooks = {c.token: c.params["url"] for c in fake.calls_to("setWebhook")}
    assert hooks[CITIZEN_TOKEN].endswith("/webhooks/citizen-telegram")

    assert await post(client, command_update(CITIZEN, "start", "svc_KTP_L2")) == 200
    assert "Perekaman KTP-el" in citizen_texts(fake)[-1]
    await press(client, fake, "3 · Baik")
    assert "sudah kami catat" in citizen_texts(fake)[-1]
    # A staff command is not reachable here; a citizen flow is not reachable on the staff bot.
    assert await post(client, command_update(CITIZEN, "capaian")) == 200
    assert "tidak tersedia" in citizen_texts(fake)[-1]
    # (Another person: whoever writes to the staff bot is stored under their id there.)
    assert await post(client, command_update(STRANGER, "pengaduan", ""), citizen=False) == 200
    staff_reply = [c for c in fake.calls_to("sendMessage") if c.token == TOKEN][-1]
    assert "Pengaduan Anda" not in str(staff_reply.params["text"])

    assert await post(client, command_update(CITIZEN, "pengaduan")) == 200
    assert "tentang <b>Perekaman KTP-el</b>" in citizen_texts(fake)[-1]  # the service in hand
    assert await post(client, text_update(CITIZEN, "terlalu")) == 200  # too short
    assert "paling sedikit" in citizen_texts(fake)[-1]
    assert await post(client, text_update(CITIZEN, "x" * 2001)) == 200  # too long
    assert "paling banyak 2000" in citizen_texts(fake)[-1]
    assert (
        await post(client, text_update(CITIZEN, "Antrean tidak tertib, nomor dilompati.")) == 200
    )
    await press(client, fake, "Ya, kabari saya")
    assert await post(client, text_update(CITIZEN, "Budi Warga, 0812 3456 7890")) == 200
    filed = citizen_texts(fake)[-1]
    assert "ADU2611-0001" in filed or "ADU" in filed

    async with UnitOfWork(sessions) as uow:
        complaint = (await uow.session.execute(select(CitizenComplaint))).one()
        assert complaint.contact_name == "Budi Warga"
        assert complaint.contact_phone == "6281234567890"
        admin = await uow.employees.person_by_nip(ADMIN)
        assert admin is not None
        await complaints.answer(uow, admin, complaint.id, "Petugas antrean sudah ditegur.", _now())
        await uow.commit()
    before = len(fake.calls_to("sendMessage"))
    client.app[CITIZEN_OUTBOX].notify()  # the test's own unit of work is not the app's
    call = await fake.wait_for_call("sendMessage", count=before + 1)
    assert call.token == CITIZEN_TOKEN and int(call.params["chat_id"]) == CITIZEN
    assert "sudah ditanggapi" in str(call.params["text"])
    assert "Petugas antrean sudah ditegur." in str(call.params["text"])

    await _assert_no_raw_id(sessions, str(CITIZEN))
    fake.assert_clean()


async def test_a_staff_member_cannot_rate_their_own_unit(
    client: TestClient[Any, Any], fake: FakeBotApi, sessions: SessionFactory
) -> None:
    # Siti (DISKOMINFO) registers on the staff bot, then opens a DISKOMINFO poster.
    assert await post(client, contact_update(STAFF_USER, "6281200000003"), citizen=False) == 200
    assert await post(client, command_update(STAFF_USER, "start", "svc_KTP")) == 200
    texts = [
        str(c.params["text"]) for c in fake.calls_to("sendMessage") if c.token == CITIZEN_TOKEN
    ]
    assert "tidak dicatat" in texts[-1]
    assert await post(client, text_update(STAFF_USER, "4")) == 200
    texts = [
        str(c.params["text"]) for c in fake.calls_to("sendMessage") if c.token == CITIZEN_TOKEN
    ]
    assert "tidak dapat menilai layanan unitnya sendiri" in texts[-1]
    # Another unit's service counts.
    assert await post(client, command_update(STAFF_USER, "start", "svc_IZIN")) == 200
    assert await post(client, text_update(STAFF_USER, "4")) == 200
    async with UnitOfWork(sessions) as uow:
        ratings = (await uow.session.execute(select(CitizenRating.service_id))).all()
        izin = await uow.citizen.service("IZIN")
    assert izin is not None and [r.service_id for r in ratings] == [izin.id]


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def _assert_no_raw_id(sessions: SessionFactory, raw: str) -> None:
    """Pseudonymisation: the citizen's Telegram id appears in no column of any table."""
    async with UnitOfWork(sessions) as uow:
        tables = [
            name
            for (name,) in await uow.session.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                    if uow.session.dialect.name == "sqlite"
                    else "SELECT tablename FROM pg_tables WHERE schemaname='public'"
                )
            )
        ]
        for table in tables:
            for row in await uow.session.execute(text(f'SELECT * FROM "{table}"')):
                assert all(raw not in str(value) for value in row), (table, row)


async def test_a_complaint_with_a_photo(
    client: TestClient[Any, Any], fake: FakeBotApi, sessions: SessionFactory
) -> None:
    assert await post(client, command_update(CITIZEN, "start", "svc_KTP")) == 200
    await press(client, fake, "Pengaduan")
    assert await post(client, photo_update(CITIZEN, file_id="AgACphoto01")) == 200
    assert "Foto diterima" in citizen_texts(fake)[-1]
    assert await post(client, text_update(CITIZEN, "Kursi ruang tunggu patah, lihat foto.")) == 200
    await press(client, fake, "Tidak usah")
    async with UnitOfWork(sessions) as uow:
        complaint = (await uow.session.execute(select(CitizenComplaint))).one()
    assert complaint.photo_ref == "AgACphoto01" and complaint.reply_to is None
    # A photo outside a complaint gets the menu, and is not stored.
    assert await post(client, photo_update(CITIZEN, caption="iseng")) == 200
    assert "Selamat datang" in citizen_texts(fake)[-1]
    async with UnitOfWork(sessions) as uow:
        photos = (await uow.session.execute(select(CitizenComplaint.photo_ref))).scalars().all()
    assert photos == ["AgACphoto01"]
