"""`kinerja run` as a real process, killed with SIGKILL mid-update and mid-broadcast, restarted.

The fake Bot API runs in the test (behind tests/support/bot_api_front.py, which holds calls so
the kill lands at a known moment); the service is a subprocess started as an operator starts
it. Telegram's side is played by the test: an update whose webhook was not answered 200 is
delivered again after the restart. What must hold: every accepted entry is saved exactly once,
and every queued broadcast message is delivered, repeated at most for the sends that were on the
wire at the kill. The process's own output, at DEBUG, shows no secret.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer
from sqlalchemy import func, insert, select, update

from bench._ingest_procs import Child, free_port
from storage.models import Activity, Employee, OutboxMessage, Unit
from storage.uow import SessionFactory, UnitOfWork
from tests.support.bot_api_front import BotApiFront
from tests.support.chat import STAFF, link, seed
from tests.support.cli import isolate, run
from tests.support.fake_telegram import TOKEN, FakeBotApi, callback_update, text_update
from tests.support.waiting import eventually

SECRET = "kill-test_webhook-secret"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
KINERJA = str(Path(sys.executable).with_name("kinerja"))
FIRST_USER = 8_300_000
USERS = 8
RECIPIENTS = 40


class Service:
    """One `kinerja run` process at a time on a fixed port, restartable."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.port = int(env["HTTP_PORT"])
        self.child: Child | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.starts += 1
        log = self.folder / f"run-{self.starts}.log"
        self.child = await Child.start(
            "kinerja run", [KINERJA, "run"], env=self.env, cwd=self.folder, log=log
        )
        await self.child.wait_ready(f"{self.url}/healthz", within=60)

    def kill(self) -> None:
        assert self.child is not None
        os.kill(self.child.pid, signal.SIGKILL)

    async def stop(self) -> None:
        if self.child is not None:
            await self.child.stop()

    def output(self) -> str:
        return "\n".join(
            (self.folder / f"run-{n}.log").read_text(errors="replace")
            for n in range(1, self.starts + 1)
        )


@pytest.fixture
async def front(aiohttp_server: AiohttpServer) -> BotApiFront:
    fake = FakeBotApi()
    fake_server = await aiohttp_server(fake.app())
    fake.url = str(fake_server.make_url("/")).rstrip("/")
    return await BotApiFront.start(fake, aiohttp_server)


@pytest.fixture
async def service(
    db_url: str,
    sessions: SessionFactory,
    front: BotApiFront,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Service]:
    await seed(sessions)
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)  # for the in-process CLI calls
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PTB_TIMEDELTA": "true",
        "DATABASE_URL": db_url,
        "HTTP_PORT": str(free_port()),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": front.url,
        "TELEGRAM_WEBHOOK_URL": "https://kinerja.example.go.id/webhooks/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_RATE": "20",
        "LOG_LEVEL": "DEBUG",
    }
    started = Service(env, tmp_path)
    await started.start()
    yield started
    front.heal()
    await started.stop()


async def post(
    http: aiohttp.ClientSession, service: Service, update: dict[str, Any]
) -> tuple[int, dict[str, Any] | None]:
    """A webhook delivery; status 0 when the connection broke (the process died)."""
    try:
        async with http.post(
            f"{service.url}/webhooks/telegram", json=update, headers=HEADERS
        ) as response:
            body = await response.json() if response.content_type == "application/json" else None
            return response.status, body
    except (aiohttp.ClientError, ConnectionError):
        return 0, None


def save_button(body: dict[str, Any] | None) -> str:
    assert body is not None and body["method"] == "sendMessage", body
    markup = body["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return next(
        str(button["callback_data"])
        for row in markup["inline_keyboard"]
        for button in row
        if button["text"].startswith("Simpan")
    )


async def entries(sessions: SessionFactory) -> collections.Counter[str]:
    async with UnitOfWork(sessions) as uow:
        rows = await uow.session.execute(select(Activity.description))
    return collections.Counter(str(description) for (description,) in rows)


def assert_no_secret_in(output: str) -> None:
    for secret in (TOKEN, TOKEN.split(":", 1)[1], SECRET):
        assert secret not in output
    assert "DEBUG" in output  # the run did log at DEBUG, where libraries show the most


async def test_killed_mid_update_then_restarted_saves_every_entry_once(
    service: Service, front: BotApiFront, sessions: SessionFactory
) -> None:
    for index in range(USERS):
        await link(sessions, "telegram", str(FIRST_USER + index), STAFF)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        presses = []
        for index in range(USERS):
            user = FIRST_USER + index
            line = f"kemarin {index:02d}.00-{index:02d}.30 Rapat kill {index}"
            status, body = await post(http, service, text_update(user, line))
            assert status == 200
            presses.append(callback_update(user, save_button(body), message_id=200 + index))

        # The presses commit, then wait on answerCallbackQuery: the process dies right there,
        # after the commit and before any webhook is answered.
        front.hold("answerCallbackQuery")
        half = presses[: USERS // 2]
        in_flight = [asyncio.create_task(post(http, service, press)) for press in half]
        await front.wait_held("answerCallbackQuery", len(half))
        service.kill()
        assert [status for status, _ in await asyncio.gather(*in_flight)] == [0] * len(half)
        front.heal()
        assert set((await entries(sessions)).values()) == {1}  # committed before the kill

        await service.start()
        for press in presses:  # Telegram redelivers what was not answered, and the rest
            status, _ = await post(http, service, press)
            assert status == 200
    assert await entries(sessions) == {f"Rapat kill {i}": 1 for i in range(USERS)}
    assert_no_secret_in(service.output())


async def test_killed_mid_broadcast_then_restarted_delivers_every_message(
    service: Service, front: BotApiFront, sessions: SessionFactory
) -> None:
    async with UnitOfWork(sessions) as uow:
        unit = await uow.session.scalar(select(Unit.id).where(Unit.code == "DISKOMINFO"))
        await uow.session.execute(
            insert(Employee),
            [
                {
                    "nip": f"199001012015011{index:03d}",
                    "name": f"Penerima {index}",
                    "position": "Staf",
                    "unit_id": unit,
                    "role": "pegawai",
                    "active": True,
                }
                for index in range(RECIPIENTS)
            ],
        )
        await uow.commit()
    for index in range(RECIPIENTS):
        await link(sessions, "telegram", str(FIRST_USER + index), f"199001012015011{index:03d}")
    code = await asyncio.to_thread(
        run, "broadcast", "send", "Pengumuman uji ketahanan", "--audience", "all"
    )
    assert code == 0

    fake = front.fake
    chats = {FIRST_USER + index for index in range(RECIPIENTS)}

    def delivered() -> collections.Counter[int]:
        return collections.Counter(
            int(call.params["chat_id"])
            for call in fake.calls_to("sendMessage")
            if "ketahanan" in str(call.params.get("text", ""))
        )

    # Let a third through, then hold the next sends and kill the process with them in flight.
    await eventually(lambda: len(delivered()) >= RECIPIENTS // 3, within=60)
    front.hold("sendMessage")
    await front.wait_held("sendMessage", 1)
    on_the_wire = front.held["sendMessage"]
    service.kill()
    front.heal()
    before_restart = delivered()
    async with UnitOfWork(sessions) as uow:  # the dead worker's claims were leased 2 minutes:
        stuck = await uow.session.execute(  # let that time pass, for them only
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending")
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await uow.commit()
    assert stuck.rowcount > 0  # the kill did leave claims behind
    await service.start()
    await eventually(lambda: chats <= set(delivered()), within=60)

    counts = delivered()
    assert set(counts) >= chats  # nobody lost
    repeated = sum(count - 1 for count in counts.values())
    assert repeated <= on_the_wire, (before_restart, counts)

    async def all_sent() -> bool:  # the last rows settle just after their sends
        async with UnitOfWork(sessions) as uow:
            pending = await uow.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != "sent")
                .where(OutboxMessage.recipient.in_([str(chat) for chat in chats]))
            )
        return bool(pending == 0)

    await eventually(all_sent, within=30)
    assert_no_secret_in(service.output())
