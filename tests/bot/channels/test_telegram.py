"""The Telegram channel end to end: PTB's Bot (over our aiohttp transport) against a local fake
Bot API that validates every call against the published reference; webhook and polling."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer

from bot.app import StartupError, build_app
from bot.config import Settings
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import STAFF, seed
from tests.support.fake_telegram import (
    TOKEN,
    FakeBotApi,
    callback_update,
    command_update,
    contact_update,
    edited_message_update,
    start_fake,
    sticker_update,
    text_update,
)

SECRET = "s3cret-webhook_token"
HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
FAKE = web.AppKey("fake", FakeBotApi)
USER = 5_551_234
STAFF_PHONE = "6281200000003"


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeBotApi:
    return await start_fake(aiohttp_server)


def settings(db_url: str, fake: FakeBotApi, *, webhook: bool = True) -> Settings:
    extra: dict[str, Any] = {}
    if webhook:
        extra = {
            "telegram_webhook_url": "https://kinerja.example.go.id/webhooks/telegram",
            "telegram_webhook_secret": SECRET,
        }
    return Settings(
        database_url=db_url,
        telegram_bot_token=TOKEN,
        telegram_api_url=fake.url,
        **extra,
    )


@pytest.fixture
async def client(
    db_url: str, sessions: SessionFactory, fake: FakeBotApi, aiohttp_client: AiohttpClient
) -> TestClient[Any, Any]:
    await seed(sessions)
    app = build_app(settings(db_url, fake))
    app[FAKE] = fake  # where `post` performs webhook-response calls, as Telegram would
    return await aiohttp_client(app)


async def post(client: TestClient[Any, Any], update: dict[str, Any], **headers: str) -> int:
    """Deliver an update as Telegram does, including performing a method call returned in the
    webhook's response (sent on to the fake Bot API, which validates it like any other call)."""
    response = await client.post("/webhooks/telegram", json=update, headers=headers or HEADER)
    if response.status == 200 and response.content_type == "application/json":
        call = await response.json()
        method = call.pop("method")
        fake = client.app[FAKE]
        async with aiohttp.ClientSession() as session:
            await session.post(f"{fake.base_url}{TOKEN}/{method}", json=call)
    return response.status


def sent_texts(fake: FakeBotApi) -> list[str]:
    return [str(call.params["text"]) for call in fake.calls_to("sendMessage")]


def inline_buttons(fake: FakeBotApi) -> dict[str, str]:
    markup = fake.last("sendMessage").params.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def register(client: TestClient[Any, Any], fake: FakeBotApi) -> None:
    assert await post(client, contact_update(USER, STAFF_PHONE)) == 200


async def test_start_up_publishes_commands_and_the_webhook(
    client: TestClient[Any, Any], fake: FakeBotApi
) -> None:
    languages = {call.params.get("language_code") for call in fake.calls_to("setMyCommands")}
    assert languages == {"id", "en", None}
    indonesian = next(
        c for c in fake.calls_to("setMyCommands") if c.params.get("language_code") == "id"
    )
    commands = [c["command"] for c in indonesian.params["commands"]]
    assert commands[:4] == ["menu", "catat", "hari_ini", "profil"]
    webhook = fake.last("setWebhook").params
    assert webhook["secret_token"] == SECRET
    assert webhook["url"].endswith("/webhooks/telegram")
    fake.assert_clean()


async def test_webhook_refuses_a_wrong_or_missing_secret(
    client: TestClient[Any, Any], fake: FakeBotApi
) -> None:
    update = text_update(USER, "halo")
    assert await post(client, update, **{"X-Telegram-Bot-Api-Secret-Token": "wrong"}) == 403
    response = await client.post("/webhooks/telegram", json=update)
    assert response.status == 403
    assert fake.calls_to("sendMessage") == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"no": "update_id"}', b"{}"])
async def test_webhook_answers_malformed_bodies_with_400(
    client: TestClient[Any, Any], body: bytes
) -> None:
    response = await client.post("/webhooks/telegram", data=body, headers=HEADER)
    assert response.status == 400


async def test_registration_by_contact_then_menu_with_buttons(
    client: TestClient[Any, Any], fake: FakeBotApi, sessions: SessionFactory
) -> None:
    assert await post(client, command_update(USER, "start")) == 200
    ask = fake.last("sendMessage").params
    assert ask["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert ask["parse_mode"] == "HTML"

    await register(client, fake)
    assert "berhasil dihubungkan" in sent_texts(fake)[-1]
    assert "Profil saya" in inline_buttons(fake)
    async with UnitOfWork(sessions) as uow:
        identity = await uow.identities.find("telegram", str(USER))
    assert identity is not None and identity.employee_id is not None
    fake.assert_clean()


async def test_someone_elses_contact_links_nothing(
    client: TestClient[Any, Any], fake: FakeBotApi, sessions: SessionFactory
) -> None:
    assert await post(client, contact_update(USER, STAFF_PHONE, contact_user_id=999)) == 200
    assert "bukan nomor akun Anda sendiri" in sent_texts(fake)[-1]
    async with UnitOfWork(sessions) as uow:
        identity = await uow.identities.find("telegram", str(USER))
    assert identity is None or identity.employee_id is None


async def test_button_press_is_answered_and_the_prompt_edited(
    client: TestClient[Any, Any], fake: FakeBotApi
) -> None:
    await register(client, fake)
    menu = fake.last("sendMessage")
    sent = fake.messages[(menu.params["chat_id"], max(m for _, m in fake.messages))]
    press = callback_update(
        USER, inline_buttons(fake)["Profil saya"], message_id=sent["message_id"]
    )
    press["callback_query"]["message"] = sent
    assert await post(client, press) == 200
    assert fake.calls_to("answerCallbackQuery")
    edited = fake.last("editMessageText").params
    assert "✓ <i>Profil saya</i>" in edited["text"]
    assert "reply_markup" not in edited or not edited["reply_markup"]
    assert "NIP: <code>" + STAFF in sent_texts(fake)[-1]
    fake.assert_clean()


async def test_redelivered_update_is_processed_once(
    client: TestClient[Any, Any], fake: FakeBotApi
) -> None:
    await register(client, fake)
    update = command_update(USER, "profil")
    assert await post(client, update) == 200
    assert await post(client, update) == 200
    assert sum("Profil Anda" in text for text in sent_texts(fake)) == 1


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (sticker_update(USER), "stiker"),
        (edited_message_update(USER, "ralat", message_id=1), "Perubahan pada pesan lama"),
    ],
)
async def test_stickers_and_edits_get_a_polite_answer(
    client: TestClient[Any, Any], fake: FakeBotApi, update: dict[str, Any], expected: str
) -> None:
    await register(client, fake)
    assert await post(client, update) == 200
    assert expected in sent_texts(fake)[-1]


async def test_user_text_is_escaped_in_html(
    client: TestClient[Any, Any], fake: FakeBotApi, sessions: SessionFactory
) -> None:
    async with UnitOfWork(sessions) as uow:
        person = await uow.employees.person_by_nip(STAFF)
        assert person is not None
        await uow.employees.update_many(
            [{"id": person.id, "name": "Siti <b>&</b> Co", "position": "A < B"}]
        )
        await uow.commit()
    await register(client, fake)
    assert await post(client, command_update(USER, "profil")) == 200
    assert "Siti &lt;b&gt;&amp;&lt;/b&gt; Co" in sent_texts(fake)[-1]
    fake.assert_clean()


async def test_a_429_is_waited_out_and_the_reply_still_sent(
    db_url: str, sessions: SessionFactory, fake: FakeBotApi, aiohttp_client: AiohttpClient
) -> None:
    """In polling mode every reply goes through the Bot API, where rate limits apply."""
    await seed(sessions)
    await aiohttp_client(build_app(settings(db_url, fake, webhook=False)))
    fake.fail_next("sendMessage", status=429, retry_after=1)
    fake.push_update(command_update(USER, "bantuan"))
    await fake.wait_for_call("sendMessage", count=2, within=5)
    assert "Bantuan" in sent_texts(fake)[-1]


async def test_replies_in_the_webhook_response_keep_their_order(
    client: TestClient[Any, Any], fake: FakeBotApi
) -> None:
    await register(client, fake)
    response = await client.post(
        "/webhooks/telegram", json=command_update(USER, "profil"), headers=HEADER
    )
    call = await response.json()
    assert call["method"] == "sendMessage" and call["parse_mode"] == "HTML"
    assert "Profil Anda" in call["text"]
    assert call["reply_markup"]["inline_keyboard"][0][0]["text"] == "Menu utama"


async def test_long_polling_without_a_webhook(
    db_url: str, sessions: SessionFactory, fake: FakeBotApi, aiohttp_client: AiohttpClient
) -> None:
    await seed(sessions)
    client = await aiohttp_client(build_app(settings(db_url, fake, webhook=False)))
    assert fake.calls_to("deleteWebhook")
    assert (await client.post("/webhooks/telegram", json={})).status == 404
    fake.push_update(command_update(USER, "start"))
    await fake.wait_for_call("sendMessage", within=5)
    fake.push_update(contact_update(USER, STAFF_PHONE))
    await fake.wait_for_call("sendMessage", count=2, within=5)
    assert "berhasil dihubungkan" in sent_texts(fake)[-1]
    fake.assert_clean()


async def test_a_rejected_token_stops_start_up(db_url: str, aiohttp_server: AiohttpServer) -> None:
    strict = await start_fake(aiohttp_server, token=TOKEN)
    bad = Settings(
        database_url=db_url, telegram_bot_token="123:wrong", telegram_api_url=strict.url
    )
    runner = web.AppRunner(build_app(bad))
    with pytest.raises(StartupError, match="TELEGRAM_BOT_TOKEN"):
        await runner.setup()
    await runner.cleanup()
