"""Approvals end to end on Telegram: an entry logged by webhook, its card pushed to the atasan
through the outbox, the decision pressed on the card, the card edited into the decision and the
employee told; every call validated by the fake Bot API against the reference."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import select, update

from bot.app import build_app
from bot.config import Settings
from storage.models import Activity, Employee
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ATASAN, seed
from tests.support.fake_telegram import (
    TOKEN,
    FakeBotApi,
    callback_update,
    command_update,
    contact_update,
    start_fake,
    text_update,
)
from tests.support.waiting import eventually

SECRET = "s3cret-webhook_token"
HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
FAKE = web.AppKey("fake", FakeBotApi)
STAFF_USER, ATASAN_USER = 5_551_234, 5_559_876
STAFF_PHONE, ATASAN_PHONE = "6281200000003", "6281200000002"
Client = TestClient[Any, Any]


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeBotApi:
    return await start_fake(aiohttp_server)


@pytest.fixture
async def client(
    db_url: str, sessions: SessionFactory, fake: FakeBotApi, aiohttp_client: AiohttpClient
) -> Client:
    await seed(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            update(Employee).where(Employee.nip == ATASAN).values(approval_mode="instant")
        )
        await uow.commit()
    settings = Settings(
        database_url=db_url,
        telegram_bot_token=TOKEN,
        telegram_api_url=fake.url,
        telegram_webhook_url="https://kinerja.example.go.id/webhooks/telegram",
        telegram_webhook_secret=SECRET,
    )
    app = build_app(settings)
    app[FAKE] = fake
    return await aiohttp_client(app)


async def post(client: Client, update: dict[str, Any]) -> None:
    """As Telegram does: deliver, then perform the call returned in the webhook response."""
    response = await client.post("/webhooks/telegram", json=update, headers=HEADER)
    assert response.status == 200
    if response.content_type == "application/json":
        call = await response.json()
        method = call.pop("method")
        fake = client.app[FAKE]
        async with aiohttp.ClientSession() as session:
            await session.post(f"{fake.base_url}{TOKEN}/{method}", json=call)


def messages_to(fake: FakeBotApi, user: int) -> list[dict[str, Any]]:
    return [message for (chat, _), message in sorted(fake.messages.items()) if chat == user]


def latest_with(fake: FakeBotApi, user: int, fragment: str) -> dict[str, Any] | None:
    found = [m for m in messages_to(fake, user) if fragment in str(m.get("text", ""))]
    return found[-1] if found else None


async def press(client: Client, user: int, message: dict[str, Any], label: str) -> None:
    keyboard = message["reply_markup"]["inline_keyboard"]
    data = next(b["callback_data"] for row in keyboard for b in row if b["text"] == label)
    update = callback_update(user, data, message_id=message["message_id"])
    update["callback_query"]["message"] = message
    await post(client, update)


async def test_card_pushed_decided_on_the_card_and_the_employee_told(
    client: Client, fake: FakeBotApi, sessions: SessionFactory
) -> None:
    await post(client, contact_update(STAFF_USER, STAFF_PHONE))
    await post(client, contact_update(ATASAN_USER, ATASAN_PHONE))
    await post(client, text_update(STAFF_USER, "kemarin 08.00-09.30 Menyusun laporan bulanan"))
    summary = latest_with(fake, STAFF_USER, "Ringkasan")
    assert summary is not None
    answers = len(fake.calls_to("answerCallbackQuery"))
    await press(client, STAFF_USER, summary, "Simpan")
    # The summary turns into the saved record, in place, from the webhook response.
    saved = fake.messages[(STAFF_USER, summary["message_id"])]
    assert "Menyusun laporan bulanan" in saved["text"] and "diajukan" in saved["text"]
    assert len(fake.calls_to("answerCallbackQuery")) == answers + 1

    card = await eventually(lambda: latest_with(fake, ATASAN_USER, "Persetujuan kegiatan"))
    assert "Menyusun laporan bulanan" in card["text"]
    await press(client, ATASAN_USER, card, "Setujui")

    edited = fake.last("editMessageText").params
    assert edited["message_id"] == card["message_id"]
    assert "Disetujui</b> oleh Drs. Ahmad Fauzi" in edited["text"]
    labels = [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row]
    assert "Setujui" not in labels and "Riwayat" in labels
    assert fake.calls_to("answerCallbackQuery")

    notice = await eventually(lambda: latest_with(fake, STAFF_USER, "telah disetujui"))
    assert "Menyusun laporan bulanan" in notice["text"]
    fake.assert_clean()

    # The original card, pressed again (another device, a stale screen): answered, not applied.
    await press(client, ATASAN_USER, card, "Tolak")
    assert "sudah diputuskan" in fake.last("editMessageText").params["text"]
    async with UnitOfWork(sessions) as uow:
        statuses = list(await uow.session.scalars(select(Activity.status)))
    assert statuses == ["disetujui"]
    fake.assert_clean()


async def test_the_atasan_sees_the_photo_evidence_by_file_id(
    client: Client, fake: FakeBotApi, sessions: SessionFactory
) -> None:
    await post(client, contact_update(STAFF_USER, STAFF_PHONE))
    await post(client, contact_update(ATASAN_USER, ATASAN_PHONE))
    photo_id = fake.add_file(b"\xff\xd8fake-jpeg", name="bukti.jpg")
    await post(client, command_update(STAFF_USER, "catat"))
    await post(client, text_update(STAFF_USER, "Memasang jaringan di ruang rapat"))
    await post(client, text_update(STAFF_USER, "kemarin 08.00-09.00"))
    assert latest_with(fake, STAFF_USER, "bukti dukung") is not None  # no SKP: no RHK step
    upload = _photo_update(STAFF_USER, photo_id)
    await post(client, upload)
    summary = latest_with(fake, STAFF_USER, "Ringkasan")
    assert summary is not None
    await press(client, STAFF_USER, summary, "Simpan")

    card = await eventually(lambda: latest_with(fake, ATASAN_USER, "Persetujuan kegiatan"))
    await press(client, ATASAN_USER, card, "Lihat bukti")
    call = fake.last("sendPhoto").params
    assert call["chat_id"] == ATASAN_USER and call["photo"] == photo_id
    assert "Memasang jaringan" in call["caption"]
    fake.assert_clean()


def _photo_update(user: int, file_id: str) -> dict[str, Any]:
    update = text_update(user, "")
    message = update["message"]
    del message["text"]
    message["photo"] = [
        {"file_id": file_id, "file_unique_id": "AQADbukti", "width": 1280, "height": 960}
    ]
    return update
