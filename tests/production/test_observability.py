"""Metrics, health and logs through the doors operators use: webhooks in, `/metrics`,
`/healthz` and `/readyz` over HTTP, and the log lines the service writes meanwhile."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient, AiohttpServer

from bot.app import METRICS, SCHEDULER, build_app
from bot.chat.context import ChatContext
from bot.chat.events import Inbound
from bot.chat.replies import Reply, Text
from bot.chat.router import Access, Router
from bot.config import Settings
from bot.health import readyz
from bot.logging_setup import JsonFormatter, Redactor
from storage.database import create_database
from storage.uow import SessionFactory, UnitOfWork
from tests.support.fake_telegram import TOKEN, FakeBotApi, command_update, start_fake
from tests.support.waiting import eventually

SECRET = "s3cret-webhook_token"
HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
USER, OTHER = 5_551_234, 5_551_235
Client = TestClient[Any, Any]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

probe = Router("probe")


@probe.command("ping", access=Access.PUBLIC)
async def ping(_ctx: ChatContext, _event: Inbound) -> Text:
    return Text(text="pong")


@probe.command("rusak", access=Access.PUBLIC)
async def broken(_ctx: ChatContext, event: Inbound) -> Text:
    raise RuntimeError(f"cannot handle {event!r}")


@probe.push("probe.notice")
async def notice(_ctx: ChatContext, _payload: Mapping[str, Any]) -> list[Reply]:
    return [Text(text="pemberitahuan")]


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeBotApi:
    return await start_fake(aiohttp_server)


def telegram_settings(db_url: str, fake: FakeBotApi) -> Settings:
    return Settings(
        database_url=db_url,
        telegram_bot_token=TOKEN,
        telegram_api_url=fake.url,
        telegram_webhook_url="https://kinerja.example.go.id/webhooks/telegram",
        telegram_webhook_secret=SECRET,
    )


@pytest.fixture
async def client(
    db_url: str, sessions: SessionFactory, fake: FakeBotApi, aiohttp_client: AiohttpClient
) -> Client:
    return await aiohttp_client(build_app(telegram_settings(db_url, fake), routers=[probe]))


async def scrape(client: Client) -> Samples:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(await response.text())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def post(client: Client, update: dict[str, Any]) -> None:
    response = await client.post("/webhooks/telegram", json=update, headers=HEADER)
    assert response.status == 200


async def test_updates_latency_pushes_and_outbox_depth_are_scraped(
    client: Client, fake: FakeBotApi, sessions: SessionFactory
) -> None:
    first = command_update(USER, "ping")
    await post(client, first)
    await post(client, first)  # Telegram's redelivery
    await post(client, command_update(USER, "rusak"))

    async with UnitOfWork(sessions) as uow:
        for user in (USER, OTHER):
            await uow.identities.ensure("telegram", str(user))
            await uow.outbox.enqueue(
                channel="telegram", recipient=str(user), purpose="probe.notice", payload={}
            )
        # No WhatsApp channel here: this row waits, and shows in the depth gauges.
        await uow.outbox.enqueue(
            channel="whatsapp", recipient="6281200000003", purpose="probe.notice", payload={}
        )
        fake.fail_next(
            "sendMessage",
            status=403,
            retry_after=None,
            description="Forbidden: bot was blocked by the user",
        )
        await uow.commit()

    async def settled() -> Samples | None:
        samples = await scrape(client)
        pushed = value(samples, "kinerja_messages_out_total", **push("sent")) + value(
            samples, "kinerja_messages_out_total", **push("given_up")
        )
        settling = value(samples, "kinerja_outbox_depth", channel="telegram", status="sending")
        return samples if pushed == 2 and not settling else None

    samples = await eventually(settled, within=10)
    updates = "kinerja_updates_total"
    assert value(samples, updates, channel="telegram", outcome="ok") == 1
    assert value(samples, updates, channel="telegram", outcome="duplicate") == 1
    assert value(samples, updates, channel="telegram", outcome="failed") == 1
    assert value(samples, "kinerja_handler_seconds_count", channel="telegram") == 3
    assert value(samples, "kinerja_handler_seconds_bucket", channel="telegram", le="+Inf") == 3
    replies = value(samples, "kinerja_messages_out_total", **reply())
    assert replies == 2  # "pong" and the polite error; nothing for the redelivery
    assert value(samples, "kinerja_messages_out_total", **push("sent")) == 1
    assert value(samples, "kinerja_messages_out_total", **push("given_up")) == 1
    assert value(samples, "kinerja_send_errors_total", channel="telegram", code="403") == 1
    assert value(samples, "kinerja_outbox_scrape_ok") == 1
    depth = value(samples, "kinerja_outbox_depth", channel="whatsapp", status="pending")
    assert depth == 1
    assert value(samples, "kinerja_outbox_depth", channel="telegram", status="pending") == 0
    assert value(samples, "kinerja_outbox_oldest_seconds", channel="whatsapp") >= 0
    assert ("kinerja_outbox_oldest_seconds", (("channel", "telegram"),)) not in samples
    assert value(samples, "process_resident_memory_bytes") > 0


def push(outcome: str) -> dict[str, str]:
    return {"channel": "telegram", "kind": "push", "outcome": outcome}


def reply() -> dict[str, str]:
    return {"channel": "telegram", "kind": "reply", "outcome": "ok"}


async def test_job_runs_are_counted(client: Client) -> None:
    metrics = client.app[METRICS]
    scheduler_claims = client.app[SCHEDULER].claims
    assert scheduler_claims is not None
    assert scheduler_claims.observer == metrics.observe_job

    async def job() -> None:
        return None

    await scheduler_claims.every("test-job", 60, job)()
    await scheduler_claims.every("test-job", 60, job)()
    samples = await scrape(client)
    assert value(samples, "kinerja_job_runs_total", job="test-job", outcome="ok") == 1
    assert value(samples, "kinerja_job_runs_total", job="test-job", outcome="skipped") == 1


async def test_healthz_and_readyz(client: Client) -> None:
    health = await client.get("/healthz")
    assert health.status == 200 and (await health.json())["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert await ready.json() == {"status": "ready", "database": "ok", "channels": ["telegram"]}


async def test_readyz_is_503_without_a_channel(db_url: str, aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build_app(Settings(database_url=db_url)))
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert (await ready.json())["channels"] == []
    assert (await client.get("/healthz")).status == 200


async def test_readyz_is_503_when_the_database_is_unreachable(
    aiohttp_client: AiohttpClient,
) -> None:
    unreachable = create_database("postgresql+asyncpg://kinerja@127.0.0.1:9/nowhere")
    app = web.Application()
    app.router.add_get("/readyz", readyz(unreachable, ("telegram",)))
    client = await aiohttp_client(app)
    try:
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert await ready.json() == {
            "status": "not ready",
            "database": "unreachable",
            "channels": ["telegram"],
        }
    finally:
        await unreachable.dispose()


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger's lines, as the service writes them with LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(Redactor([SECRET])))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_logs_carry_the_update_id_and_no_personal_data_or_secrets(
    client: Client, fake: FakeBotApi, json_log: io.StringIO
) -> None:
    update = command_update(USER, "rusak", "081234567890 rapat koordinasi 199008242015032001")
    await post(client, update)
    logging.getLogger("bot.test").warning(
        "calling %s/bot%s/sendMessage with %s", fake.url, TOKEN, SECRET
    )
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    failed = next(line for line in lines if "handler failed" in line["message"])
    assert failed["update"] == f"telegram:{update['update_id']}"
    assert failed["level"] == "ERROR" and "RuntimeError" in failed["exc"]
    assert "args='<redacted>'" in failed["exc"]
    assert "display_name='<redacted>'" in failed["exc"]
    everything = json_log.getvalue()
    for private in ("081234567890", "rapat koordinasi", "199008242015032001", TOKEN, SECRET):
        assert private not in everything
    assert "/bot<token>/sendMessage with <secret>" in everything


async def test_telegram_may_open_as_many_connections_as_configured(
    db_url: str, fake: FakeBotApi, aiohttp_client: AiohttpClient
) -> None:
    settings = telegram_settings(db_url, fake).model_copy(update={"telegram_max_connections": 80})
    await aiohttp_client(build_app(settings, routers=[probe]))
    assert fake.last("setWebhook").params["max_connections"] == 80
    fake.assert_clean()
