"""Several workers on one PostgreSQL, as real `kinerja run` processes: the approval flow end to
end with a user's updates spread over two workers, every scheduled job run once across them,
and `kinerja run --workers N` (one port, a supervisor, metrics summed over the workers)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpServer
from sqlalchemy import update

from bot.app import WORKER_HEADER
from storage.models import Employee
from storage.uow import UnitOfWork
from tests.support.chat import ATASAN, seed
from tests.support.fake_telegram import (
    TOKEN,
    FakeBotApi,
    callback_update,
    contact_update,
    start_fake,
    text_update,
)
from tests.support.processes import (
    Service,
    clean_postgres,
    free_port,
    kinerja,
    rows,
    service_env,
)
from tests.support.waiting import eventually

SECRET = "s3cret-webhook_token"
HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
STAFF_USER, ATASAN_USER = 5_551_234, 5_559_876
STAFF_PHONE, ATASAN_PHONE = "6281200000003", "6281200000002"


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeBotApi:
    return await start_fake(aiohttp_server)


@pytest.fixture
async def workers(
    pg_url: str, fake: FakeBotApi, tmp_path: Path
) -> AsyncIterator[tuple[Service, Service]]:
    """Two single-worker processes, as a process manager would run them, on one database."""
    async with clean_postgres(pg_url) as sessions:
        await seed(sessions)
        async with UnitOfWork(sessions) as uow:
            await uow.session.execute(
                update(Employee).where(Employee.nip == ATASAN).values(approval_mode="instant")
            )
            await uow.commit()
    started = []
    for _ in range(2):
        port = free_port()
        env = service_env(
            DATABASE_URL=pg_url,
            HTTP_PORT=str(port),
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=fake.url,
            TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/webhooks/telegram",
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            BROADCAST_PROGRESS_SECONDS="1",
            LOG_FORMAT="json",
        )
        started.append(Service(kinerja("run"), env, tmp_path, port))
    try:
        for service in started:
            await service.ready()
        yield started[0], started[1]
    finally:
        for service in started:
            await service.stop()


async def post(worker: Service, fake: FakeBotApi, update: dict[str, Any]) -> None:
    """As Telegram does: deliver to this worker, then perform the call in its answer."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{worker.url}/webhooks/telegram", json=update, headers=HEADER
        ) as response:
            assert response.status == 200, await response.text()
            call = await response.json() if response.content_type == "application/json" else None
        if call is not None:
            method = call.pop("method")
            await session.post(f"{fake.base_url}{TOKEN}/{method}", json=call)


def messages_to(fake: FakeBotApi, user: int, fragment: str) -> list[dict[str, Any]]:
    return [
        message
        for (chat, _), message in sorted(fake.messages.items())
        if chat == user and fragment in str(message.get("text", ""))
    ]


async def press(
    worker: Service, fake: FakeBotApi, user: int, message: dict[str, Any], label: str
) -> None:
    keyboard = message["reply_markup"]["inline_keyboard"]
    data = next(b["callback_data"] for row in keyboard for b in row if b["text"] == label)
    update = callback_update(user, data, message_id=message["message_id"])
    update["callback_query"]["message"] = message
    await post(worker, fake, update)


async def scrape(worker: Service) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session, session.get(f"{worker.url}/metrics") as got:
        assert got.status == 200
        body = await got.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


async def test_log_approve_notify_across_two_workers_with_jobs_run_once(
    workers: tuple[Service, Service], fake: FakeBotApi, pg_url: str
) -> None:
    one, two = workers
    await post(one, fake, contact_update(STAFF_USER, STAFF_PHONE))
    await post(two, fake, contact_update(ATASAN_USER, ATASAN_PHONE))
    # The staff member's conversation moves between workers: its state is in the database.
    await post(one, fake, text_update(STAFF_USER, "kemarin 08.00-09.30 Menyusun laporan bulanan"))
    (summary,) = messages_to(fake, STAFF_USER, "Ringkasan")
    await press(two, fake, STAFF_USER, summary, "Simpan")
    saved = fake.messages[(STAFF_USER, summary["message_id"])]
    assert "diajukan" in saved["text"]

    # Both workers drain the outbox: the card goes out once.
    card = await eventually(lambda: messages_to(fake, ATASAN_USER, "Persetujuan kegiatan"))
    await press(one, fake, ATASAN_USER, card[0], "Setujui")
    await eventually(lambda: messages_to(fake, STAFF_USER, "telah disetujui"), within=10)
    await asyncio.sleep(1.5)  # room for a duplicate to show up, were one sent
    assert len(messages_to(fake, ATASAN_USER, "Persetujuan kegiatan")) == 1
    assert len(messages_to(fake, STAFF_USER, "telah disetujui")) == 1
    fake.assert_clean()
    sent = await rows(pg_url, "SELECT status, count(*) AS n FROM outbox GROUP BY status")
    assert {row["status"]: row["n"] for row in sent} == {"sent": 2}

    # The 1-second broadcast-progress job fired in both workers; each slot ran on one only.
    await asyncio.sleep(2.5)
    count = "SELECT count(*) AS n FROM job_runs WHERE job = 'broadcast-progress'"
    (before,) = await rows(pg_url, count)
    totals: dict[str, float] = {"ok": 0, "skipped": 0, "error": 0}
    updates = 0.0
    for worker in workers:
        metrics = await scrape(worker)
        for outcome in totals:
            key = (
                "kinerja_job_runs_total",
                (("job", "broadcast-progress"), ("outcome", outcome)),
            )
            totals[outcome] += metrics.get(key, 0.0)
        updates += metrics.get(
            ("kinerja_updates_total", (("channel", "telegram"), ("outcome", "ok"))), 0.0
        )
    (after,) = await rows(pg_url, count)
    assert totals["error"] == 0
    assert totals["ok"] >= 2 and totals["skipped"] >= 1
    # A run is claimed, then run, then counted: every run counted had its claim, and every
    # claim but those in flight (one per worker at most) was run and counted, by one worker.
    assert before["n"] - 2 <= totals["ok"] <= after["n"]
    assert updates == 5  # two contacts, a text, two presses: each counted once, by its worker


async def test_kinerja_run_workers_shares_one_port(pg_url: str, tmp_path: Path) -> None:
    async with clean_postgres(pg_url):
        pass
    port = free_port()
    env = service_env(DATABASE_URL=pg_url, HTTP_PORT=str(port), WEB_CHAT_ENABLED="true")
    supervisor = Service(kinerja("run", "--workers", "2"), env, tmp_path, port)
    try:
        await supervisor.ready()

        async def pids() -> set[int]:
            seen = set()
            for _ in range(40):  # a new connection each: the kernel spreads them
                async with (
                    aiohttp.ClientSession() as session,
                    session.get(f"{supervisor.url}/healthz") as response,
                ):
                    seen.add(int(response.headers[WORKER_HEADER]))
            return seen if len(seen) == 2 else set()

        served_by = await eventually(pids, within=20)
        assert supervisor.process.pid not in served_by
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{supervisor.url}/readyz") as response:
                assert response.status == 200
                assert (await response.json())["channels"] == ["web"]
            async with session.get(f"{supervisor.url}/metrics") as response:
                body = await response.text()
        # Multiprocess mode: any worker reports every worker's series.
        assert "kinerja_outbox_scrape_ok 1.0" in body
        assert "process_resident_memory_bytes" not in body
        supervisor.process.send_signal(signal.SIGTERM)
        assert await supervisor.stop() == 0
        assert all(gone(pid) for pid in served_by)
    finally:
        await supervisor.stop()


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_several_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    env = service_env(DATABASE_URL=f"sqlite:///{tmp_path}/one.db", HTTP_PORT=str(free_port()))
    service = Service(kinerja("run", "--workers", "2"), env, tmp_path, 0)
    assert await service.exit_code() == 2
    assert "PostgreSQL" in service.output()
