"""Every webhook and the web chat API fed random and mutated real payloads, on both backends.

Whatever arrives: never a 5xx, never an unhandled exception (aiohttp's "Error handling
request", the dispatcher's "handler failed"), and nothing changes in the database when the
input is refused (any 4xx). Valid-looking updates may change state (a dedupe row, a new
account), which is what they are for.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pytest_aiohttp import AiohttpClient, AiohttpServer

from bot.app import build_app
from bot.config import Settings
from storage.uow import SessionFactory
from tests.support import fake_whatsapp
from tests.support.chat import ATASAN, STAFF, link, seed
from tests.support.fake_telegram import (
    TOKEN,
    FakeBotApi,
    all_factory_updates,
    callback_update,
    start_fake,
    text_update,
)
from tests.support.fuzzing import budget, json_values, mutated
from tests.support.snapshot import changed_tables, snapshot

Client = TestClient[Any, Any]
SECRET = "fuzz-webhook_secret"
TELEGRAM_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
STAFF_USER, ATASAN_USER = 6_100_001, 6_100_002
STAFF_PHONE = "6281200000003"
# Log lines that only an unhandled failure writes.
CRASH_SIGNS = ("Error handling request", "handler failed", "update failed", "API failed")
_update_ids = itertools.count(900_000_000)


def crashes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if any(sign in record.getMessage() for sign in CRASH_SIGNS)
    ]


async def check(
    client: Client,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: bytes,
    headers: dict[str, str],
    ok: set[int],
) -> int:
    """POST `body`; the status must be one of `ok`, and a refusal must change nothing."""
    caplog.clear()
    before = await snapshot(sessions)
    response = await client.post(path, data=body, headers=headers)
    await response.read()
    assert response.status in ok, (response.status, body[:300])
    assert not crashes(caplog), crashes(caplog)
    if response.status >= 400:
        assert changed_tables(before, await snapshot(sessions)) == []
    return response.status


def encode(payload: Any) -> bytes:
    """JSON as a platform would send it; a lone surrogate is kept as its \\u escape."""
    return json.dumps(payload).encode()


# --- Telegram -----------------------------------------------------------------------------------


def _telegram_bases() -> list[dict[str, Any]]:
    bases = [update for _name, update in all_factory_updates(STAFF_USER)]
    bases += [
        text_update(STAFF_USER, "08.00-09.00 Rapat koordinasi #1 2 dokumen"),
        text_update(ATASAN_USER, "/persetujuan"),
        callback_update(STAFF_USER, "ap:1:ok", message_id=5),  # someone else's decision
        callback_update(ATASAN_USER, "ap:999999:ok", message_id=6),
    ]
    return bases


@pytest.fixture
async def telegram(
    db_url: str,
    sessions: SessionFactory,
    aiohttp_client: AiohttpClient,
    aiohttp_server: AiohttpServer,
) -> Client:
    await seed(sessions, with_skp=True)
    await link(sessions, "telegram", str(STAFF_USER), STAFF)
    await link(sessions, "telegram", str(ATASAN_USER), ATASAN)
    fake: FakeBotApi = await start_fake(aiohttp_server)
    settings_ = Settings(
        database_url=db_url,
        telegram_bot_token=TOKEN,
        telegram_api_url=fake.url,
        telegram_webhook_url="https://kinerja.example.go.id/webhooks/telegram",
        telegram_webhook_secret=SECRET,
        reminders_enabled=False,
    )
    return await aiohttp_client(build_app(settings_))


def _with(update: dict[str, Any], *path_and_value: Any) -> dict[str, Any]:
    """`update` with the field at `path` set to `value` (for the regressions below)."""
    *path, key, value = path_and_value
    target = update
    for step in path:
        target = target[step]
    target[key] = value
    return update


# Bugs the fuzzing found (each was a 5xx that the platform would have redelivered forever).
_LANGUAGE_NOT_A_STRING = _with(
    text_update(STAFF_USER, "halo"), "message", "from", "language_code", [None]
)
_ID_TOO_LONG = _with(text_update(STAFF_USER, "halo"), "update_id", 10**200)
_WA_SENDER_NOT_A_STRING = fake_whatsapp.text_message(STAFF_PHONE, "halo")
_WA_SENDER_NOT_A_STRING["entry"][0]["changes"][0]["value"]["messages"][0]["from"] = {"x": 1}
_WA_SENDER_TOO_LONG = fake_whatsapp.text_message("9" * 200, "halo")


@settings(max_examples=budget(25))
@given(update=st.sampled_from(_telegram_bases()).flatmap(mutated), fresh_id=st.booleans())
@example(update=_LANGUAGE_NOT_A_STRING, fresh_id=True)
@example(update=_ID_TOO_LONG, fresh_id=False)
async def test_telegram_webhook_survives_mutated_updates(
    telegram: Client,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
    update: Any,
    fresh_id: bool,
) -> None:
    if fresh_id and isinstance(update, dict):
        update["update_id"] = next(_update_ids)
    headers = {**TELEGRAM_HEADERS, "Content-Type": "application/json"}
    await check(
        telegram, sessions, caplog, "/webhooks/telegram", encode(update), headers, {200, 400}
    )


@settings(max_examples=budget(15))
@given(
    body=st.binary(max_size=300) | json_values.map(encode),
    secret=st.sampled_from([SECRET, "", "wrong", SECRET + "x", SECRET.upper()]),
)
async def test_telegram_webhook_survives_random_bodies_and_secrets(
    telegram: Client,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    secret: str,
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    status = await check(
        telegram, sessions, caplog, "/webhooks/telegram", body, headers, {200, 400, 403}
    )
    if secret != SECRET:
        assert status == 403


# --- WhatsApp -----------------------------------------------------------------------------------


@pytest.fixture
async def whatsapp(
    db_url: str,
    sessions: SessionFactory,
    aiohttp_client: AiohttpClient,
    aiohttp_server: AiohttpServer,
) -> Client:
    await seed(sessions, with_skp=True)
    graph = await fake_whatsapp.start_fake(aiohttp_server)
    settings_ = Settings(
        database_url=db_url,
        whatsapp_token=fake_whatsapp.TOKEN,
        whatsapp_api_url=graph.url,
        whatsapp_phone_number_id=fake_whatsapp.PHONE_NUMBER_ID,
        whatsapp_app_secret=fake_whatsapp.APP_SECRET,
        whatsapp_verify_token=fake_whatsapp.VERIFY_TOKEN,
        reminders_enabled=False,
    )
    return await aiohttp_client(build_app(settings_))


def _whatsapp_bases() -> list[dict[str, Any]]:
    bases = list(fake_whatsapp.samples().values())
    bases.append(fake_whatsapp.text_message(STAFF_PHONE, "/menu"))
    bases.append(fake_whatsapp.button_reply(STAFF_PHONE, "ap:1:ok", "Setujui"))
    return bases


@settings(max_examples=budget(25))
@given(payload=st.sampled_from(_whatsapp_bases()).flatmap(mutated))
@example(payload=_WA_SENDER_NOT_A_STRING)
@example(payload=_WA_SENDER_TOO_LONG)
async def test_whatsapp_webhook_survives_mutated_signed_payloads(
    whatsapp: Client, sessions: SessionFactory, caplog: pytest.LogCaptureFixture, payload: Any
) -> None:
    body, headers = fake_whatsapp.signed(encode(payload))
    await check(whatsapp, sessions, caplog, "/webhooks/whatsapp", body, headers, {200, 400})


@settings(max_examples=budget(15))
@given(
    payload=st.sampled_from(_whatsapp_bases()),
    signature=st.sampled_from(["", "sha256=", "sha1=abc", "sha256=00"])
    | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
)
async def test_whatsapp_webhook_refuses_bad_signatures_without_a_trace(
    whatsapp: Client,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
    payload: Any,
    signature: str,
) -> None:
    body = encode(payload)
    headers = {"X-Hub-Signature-256": signature} if signature else {}
    status = await check(
        whatsapp, sessions, caplog, "/webhooks/whatsapp", body, headers, {401, 403}
    )
    assert status == (401 if not signature.strip() else 403)


async def test_whatsapp_verify_handshake_fuzzed_queries(whatsapp: Client) -> None:
    for query in (
        {},
        {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "\x00", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": fake_whatsapp.VERIFY_TOKEN + "x"},
        {"hub.mode": "unsubscribe", "hub.verify_token": fake_whatsapp.VERIFY_TOKEN},
    ):
        response = await whatsapp.get("/webhooks/whatsapp", params=query)
        assert response.status == 403, query


# --- the web chat API ---------------------------------------------------------------------------


@pytest.fixture
async def web(db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient) -> Client:
    await seed(sessions, with_skp=True)
    settings_ = Settings(database_url=db_url, web_chat_enabled=True, reminders_enabled=False)
    return await aiohttp_client(build_app(settings_))


message_bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "session": st.just("SESSION") | json_values,
            "id": st.uuids().map(str) | json_values,
            "text": json_values,
            "button": json_values,
        },
    )
    | json_values
)


@settings(max_examples=budget(25))
@given(body=message_bodies)
async def test_web_chat_api_survives_random_messages(
    web: Client, sessions: SessionFactory, caplog: pytest.LogCaptureFixture, body: Any
) -> None:
    response = await web.post("/chat/api/session", json={})
    assert response.status == 200
    session = (await response.json())["session"]
    if isinstance(body, dict) and body.get("session") == "SESSION":
        body["session"] = session
    status = await check(
        web,
        sessions,
        caplog,
        "/chat/api/messages",
        encode(body),
        {"Content-Type": "application/json"},
        {200, 400, 401, 413},
    )
    if status >= 400:
        response = await web.get("/chat/api/inbox", params={"session": session})
        assert response.status == 200


@settings(max_examples=budget(15))
@given(
    body=st.binary(max_size=200) | json_values.map(encode),
    path=st.sampled_from(["/chat/api/session", "/chat/api/messages"]),
)
async def test_web_chat_api_survives_random_bytes(
    web: Client, sessions: SessionFactory, caplog: pytest.LogCaptureFixture, body: bytes, path: str
) -> None:
    await check(web, sessions, caplog, path, body, {}, {200, 400, 401, 404, 413})
