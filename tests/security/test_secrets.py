"""Secrets never reach the logs: every log record of whole flows, at DEBUG, is searched for each
token and secret the service holds, including when the platform fails (an error page from a
proxy in front of the Bot API). Libraries do log them (python-telegram-bot logs the Bot API URL,
which holds the token, and setWebhook's secret at DEBUG), so the service masks every record at
its handlers (`bot/redact.py`, installed by `kinerja run` as here); `test_kinerja_run` in
tests/faults checks the same on a real process's output.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient, AiohttpServer

from bot import redact
from bot.app import StartupError, build_app
from bot.config import Settings
from storage.uow import SessionFactory
from tests.support import fake_whatsapp
from tests.support.chat import STAFF, link, seed
from tests.support.fake_telegram import (
    TOKEN,
    FakeBotApi,
    callback_update,
    text_update,
)

WEBHOOK_SECRET = "tg-webhook-SECRET-8d1f"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
USER = 6_300_001
STAFF_PHONE = "6281200000003"
SECRETS = (
    TOKEN,
    TOKEN.split(":", 1)[1],
    WEBHOOK_SECRET,
    fake_whatsapp.TOKEN,
    fake_whatsapp.APP_SECRET,
    fake_whatsapp.VERIFY_TOKEN,
)


class FlakyBotApi:
    """The fake Bot API behind a switch that makes every call answer a proxy's HTML 502."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.broken = False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.broken:
            return web.Response(
                status=502, text="<html>Bad Gateway</html>", content_type="text/html"
            )
        return await self.fake._handle(request)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record at DEBUG, through the redaction `kinerja run` installs on its handlers."""
    caplog.set_level(logging.DEBUG)
    secrets = Settings(
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        whatsapp_token=fake_whatsapp.TOKEN,
        whatsapp_app_secret=fake_whatsapp.APP_SECRET,
        whatsapp_verify_token=fake_whatsapp.VERIFY_TOKEN,
        whatsapp_phone_number_id=fake_whatsapp.PHONE_NUMBER_ID,
    )
    redactor = redact.install(secrets)
    yield caplog
    for handler in logging.getLogger().handlers:
        handler.removeFilter(redactor)


def leaks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Lines of the captured log output (messages and tracebacks) that show a secret."""
    return [line for line in caplog.text.splitlines() if any(s in line for s in SECRETS)]


async def test_telegram_flows_log_no_secret_even_when_the_bot_api_fails(
    db_url: str,
    sessions: SessionFactory,
    aiohttp_client: AiohttpClient,
    aiohttp_server: AiohttpServer,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    await seed(sessions)
    await link(sessions, "telegram", str(USER), STAFF)
    fake = FakeBotApi()
    flaky = FlakyBotApi(fake)
    server = await aiohttp_server(flaky.app())
    fake.url = str(server.make_url("/")).rstrip("/")
    settings = Settings(
        database_url=db_url,
        telegram_bot_token=TOKEN,
        telegram_api_url=fake.url,
        telegram_webhook_url="https://kinerja.example.go.id/webhooks/telegram",
        telegram_webhook_secret=WEBHOOK_SECRET,
        log_level="DEBUG",
    )
    assert all(secret not in repr(settings) + str(settings) for secret in SECRETS)
    client = await aiohttp_client(build_app(settings))
    for broken in (False, True):
        flaky.broken = broken
        for update in (
            text_update(USER, "/menu"),
            callback_update(USER, "prof", message_id=11),
            callback_update(USER, "td", message_id=12),
        ):
            response = await client.post("/webhooks/telegram", json=update, headers=HEADERS)
            assert response.status == 200
        bad = await client.post(
            "/webhooks/telegram",
            json=text_update(USER, "x"),
            headers={"X-Telegram-Bot-Api-Secret-Token": "nope"},
        )
        assert bad.status == 403
    assert any("502" in record.getMessage() for record in all_logs.records)  # it did fail
    assert leaks(all_logs) == [], "\n".join(leaks(all_logs))


async def test_a_failed_start_names_no_token(
    db_url: str, aiohttp_server: AiohttpServer, all_logs: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyBotApi(FakeBotApi())
    flaky.broken = True
    server = await aiohttp_server(flaky.app())
    settings = Settings(
        database_url=db_url,
        telegram_bot_token=TOKEN,
        telegram_api_url=str(server.make_url("/")).rstrip("/"),
    )
    app = build_app(settings)
    runner = web.AppRunner(app)
    with pytest.raises(StartupError) as failure:
        await runner.setup()
    await runner.cleanup()
    assert "Telegram" in str(failure.value)
    assert [secret for secret in SECRETS if secret in str(failure.value)] == []
    assert leaks(all_logs) == [], "\n".join(leaks(all_logs))


async def test_whatsapp_flows_log_no_secret(
    db_url: str,
    sessions: SessionFactory,
    aiohttp_client: AiohttpClient,
    aiohttp_server: AiohttpServer,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    await seed(sessions)
    graph = await fake_whatsapp.start_fake(aiohttp_server)
    settings = Settings(
        database_url=db_url,
        whatsapp_token=fake_whatsapp.TOKEN,
        whatsapp_api_url=graph.url,
        whatsapp_phone_number_id=fake_whatsapp.PHONE_NUMBER_ID,
        whatsapp_app_secret=fake_whatsapp.APP_SECRET,
        whatsapp_verify_token=fake_whatsapp.VERIFY_TOKEN,
        log_level="DEBUG",
    )
    client = await aiohttp_client(build_app(settings))
    for token in (fake_whatsapp.VERIFY_TOKEN, "wrong"):
        query: dict[str, Any] = {
            "hub.mode": "subscribe",
            "hub.verify_token": token,
            "hub.challenge": "1234",
        }
        await client.get("/webhooks/whatsapp", params=query)
    for text in ("/menu", "halo"):
        body, headers = fake_whatsapp.signed(fake_whatsapp.text_message(STAFF_PHONE, text))
        assert (await client.post("/webhooks/whatsapp", data=body, headers=headers)).status == 200
    graph.fail_next(131000, status=500)  # a Graph API failure on the next reply
    body, headers = fake_whatsapp.signed(fake_whatsapp.text_message(STAFF_PHONE, "/menu"))
    await client.post("/webhooks/whatsapp", data=body, headers=headers)
    forged, _ = fake_whatsapp.signed(fake_whatsapp.text_message(STAFF_PHONE, "x"), "not-it")
    await client.post(
        "/webhooks/whatsapp", data=forged, headers={"X-Hub-Signature-256": "sha256=00"}
    )
    assert leaks(all_logs) == [], "\n".join(leaks(all_logs))


def test_redaction_masks_every_secret_setting_and_the_database_password() -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://kinerja:db-PASSWORD-77@db:5432/kinerja",
        telegram_bot_token=TOKEN,
        whatsapp_app_secret=fake_whatsapp.APP_SECRET,
    )
    redactor = redact.RedactSecrets(redact.secrets_of(settings))
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "url %s, password %s",
        (f"/bot{TOKEN}/getMe", "db-PASSWORD-77"),
        None,
    )
    assert redactor.filter(record)
    assert record.getMessage() == "url /bot***/getMe, password ***"
    half = TOKEN.split(":", 1)[1]
    assert (
        redactor.redact(f"token half {half}, app {fake_whatsapp.APP_SECRET}")
        == "token half ***, app ***"
    )
    assert redactor.redact("nothing secret here: 7000000001") == "nothing secret here: 7000000001"
