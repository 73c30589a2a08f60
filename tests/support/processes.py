"""Real `kinerja run` processes for the multi-worker tests: started with their own settings,
waited for on `/healthz`, stopped with SIGTERM (SIGKILL after a grace), logs kept for failures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
from sqlalchemy import text

from storage.database import create_database
from storage.models import Base
from storage.uow import SessionFactory, session_factory

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def service_env(**settings: str) -> dict[str, str]:
    """This environment without any service setting of the caller's, plus `settings`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "HTTP_", "WEB_CHAT", "WHATSAPP_"))
        and key not in ("LOG_LEVEL", "LOG_FORMAT", "WORKERS", "PROMETHEUS_MULTIPROC_DIR")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PTB_TIMEDELTA"] = "true"
    return env | settings


class Service:
    """One `kinerja run` (or supervisor) process."""

    def __init__(self, argv: list[str], env: dict[str, str], folder: Path, port: int) -> None:
        self.log = folder / f"kinerja-{port}-{uuid.uuid4().hex[:6]}.log"
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        with self.log.open("wb") as handle:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                argv, env=env, cwd=folder, stdout=handle, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def ready(self, within: float = 90.0) -> None:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(f"exited {self.process.returncode}:\n{self.output()}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise AssertionError(f"not ready within {within} s:\n{self.output()}")

    async def exit_code(self, within: float = 60.0) -> int:
        """Wait for the process to end on its own."""
        return await asyncio.wait_for(asyncio.to_thread(self.process.wait), within)

    async def stop(self, grace: float = 40.0) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            await asyncio.wait_for(asyncio.to_thread(self.process.wait), grace)
        except TimeoutError:
            self.process.kill()
            await asyncio.to_thread(self.process.wait)
        return self.process.returncode


def kinerja(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


@contextlib.asynccontextmanager
async def clean_postgres(pg_url: str) -> AsyncIterator[SessionFactory]:
    """The session's PostgreSQL test database, emptied, as a session factory."""
    database = create_database(pg_url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    db = await database.begin()
    try:
        await db.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await db.commit()
    finally:
        await db.close()
    try:
        yield session_factory(database)
    finally:
        await database.dispose()


async def rows(pg_url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()
