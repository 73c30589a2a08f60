"""The citizen WhatsApp number beside the staff number on one webhook: routed by
`metadata.phone_number_id` (real reference payloads), answered through the citizen gate, no
raw number stored."""

from __future__ import annotations

import io
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import select

from bot.app import build_app
from bot.config import Settings, SettingsError, load_settings
from storage.models import CitizenRating, Identity
from storage.uow import SessionFactory, UnitOfWork
from tests.citizen.support import catalog
from tests.citizen.test_citizen_telegram import _assert_no_raw_id
from tests.support.fake_whatsapp import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    FakeGraphApi,
    choose,
    signed,
    start_fake,
    text_message,
)

STAFF_NUMBER = "5550001112223"
WA_ID = "6281399887766"
Client = TestClient[Any, Any]


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeGraphApi:
    return await start_fake(aiohttp_server)


@pytest.fixture
async def client(
    db_url: str, sessions: SessionFactory, fake: FakeGraphApi, aiohttp_client: AiohttpClient
) -> Client:
    await catalog(sessions)
    settings = Settings(
        database_url=db_url,
        whatsapp_token=TOKEN,
        whatsapp_api_url=fake.url,
        whatsapp_phone_number_id=STAFF_NUMBER,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token=VERIFY_TOKEN,
        # The fake Graph API serves the reference samples' number: here the citizen one.
        citizen_whatsapp_phone_number_id=PHONE_NUMBER_ID,
        citizen_pseudonym_secret="w" * 32,
    )
    return await aiohttp_client(build_app(settings))


async def post(client: Client, payload: dict[str, Any]) -> int:
    raw, headers = signed(payload)
    response = await client.post("/webhooks/whatsapp", data=io.BytesIO(raw), headers=headers)
    return response.status


def to_staff_number(payload: dict[str, Any]) -> dict[str, Any]:
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = STAFF_NUMBER
    return payload


async def test_citizen_number_rates_and_staff_number_stays_staff(
    client: Client, fake: FakeGraphApi, sessions: SessionFactory
) -> None:
    assert await post(client, text_message(WA_ID, "/start svc_KTP")) == 200
    prompt = fake.sent[-1]
    assert prompt.to == WA_ID and "Perekaman KTP-el" in prompt.text
    assert await post(client, choose(prompt, "3 · Baik", WA_ID)) == 200
    assert "sudah kami catat" in fake.sent[-1].text
    async with UnitOfWork(sessions) as uow:
        quick = (await uow.session.execute(select(CitizenRating.quick))).scalars().all()
        channels = (await uow.session.execute(select(Identity.channel))).scalars().all()
    assert quick == [3]
    assert "citizen-whatsapp" in channels and "whatsapp" not in channels
    await _assert_no_raw_id(sessions, WA_ID)

    # The same person writing to the staff number reaches the staff bot, not a citizen flow.
    sent = len(fake.sent)
    assert await post(client, to_staff_number(text_message(WA_ID, "/start svc_KTP"))) == 200
    async with UnitOfWork(sessions) as uow:
        channels = (await uow.session.execute(select(Identity.channel))).scalars().all()
        quick = (await uow.session.execute(select(CitizenRating.quick))).scalars().all()
    assert "whatsapp" in channels and quick == [3]
    assert all(m.to != WA_ID or "Perekaman" not in m.text for m in fake.sent[sent:])


async def test_forged_or_unsigned_posts_are_refused(client: Client) -> None:
    raw, _headers = signed(text_message(WA_ID, "/start svc_KTP"), secret="wrong")
    response = await client.post(
        "/webhooks/whatsapp",
        data=io.BytesIO(raw),
        headers={"X-Hub-Signature-256": "sha256=" + "0" * 64},
    )
    assert response.status == 403
    response = await client.post("/webhooks/whatsapp", data=b"{}")
    assert response.status == 401


def test_citizen_number_needs_the_whatsapp_app_and_a_secret() -> None:
    with pytest.raises(SettingsError, match="needs WHATSAPP_TOKEN"):
        load_settings(citizen_whatsapp_phone_number_id="123456", citizen_pseudonym_secret="x" * 32)
    with pytest.raises(SettingsError, match="CITIZEN_PSEUDONYM_SECRET"):
        load_settings(citizen_web_enabled=True, citizen_pseudonym_secret="short")
