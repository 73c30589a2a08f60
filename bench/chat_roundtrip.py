"""Dispatcher throughput: registered users opening their profile, through the whole chat core.

Each update is one transaction (dedupe claim, identity, person, state) plus rendering: the
in-process baseline under later issues' webhook benchmarks. Run: `python -m bench.chat_roundtrip`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid

import asyncpg

from bench.roster_import import as_csv, roster_rows
from bot.chat.capabilities import TELEGRAM
from bot.chat.dispatcher import Dispatcher
from bot.chat.events import text_event
from bot.chat.i18n import Catalogs
from handlers import ROUTERS
from kinerja.roster import parse_roster
from kinerja.services.directory import link_identity, person_by_nip
from kinerja.services.roster_import import import_roster
from storage.database import create_database
from storage.migrate import upgrade
from storage.uow import UnitOfWork, session_factory

USERS = 500
UPDATES_PER_USER = 4
CONCURRENCY = 50
PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def prepare(url: str) -> Dispatcher:
    engine = create_database(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    rows = roster_rows(USERS)
    async with UnitOfWork(sessions) as uow:
        await import_roster(
            uow, parse_roster(as_csv(rows), "r.csv"), default_timezone="Asia/Jakarta"
        )
        for index, row in enumerate(rows):
            person = await person_by_nip(uow, row[0])
            await link_identity(uow, "telegram", str(index), person)
        await uow.commit()
    # The same gate sizes as bot/app.py: one writer on SQLite, the pool size on PostgreSQL.
    gate = 1 if engine.dialect.name == "sqlite" else 5
    return Dispatcher(ROUTERS, sessions, Catalogs.load(), max_transactions=gate)


async def drive(dispatcher: Dispatcher) -> tuple[float, list[float], float]:
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for round_ in range(UPDATES_PER_USER):
        for user in range(USERS):
            queue.put_nowait((user, round_))
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            user, round_ = queue.get_nowait()
            event = text_event(
                channel="telegram",
                user_id=str(user),
                update_id=f"{user}-{round_}",
                text="/profil" if round_ % 2 else "/menu",
            )
            started = time.perf_counter()
            out = await dispatcher.handle(event, TELEGRAM)
            latencies.append(time.perf_counter() - started)
            assert out, "every update must be answered"

    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, latencies, time.process_time() - cpu


def report(label: str, elapsed: float, latencies: list[float], cpu: float) -> None:
    count = len(latencies)
    ordered = sorted(latencies)
    p99 = ordered[int(count * 0.99) - 1]
    p50 = statistics.median(ordered)
    print(
        f"  {label:<11} {count / elapsed:7.0f} updates/s   p50 {p50 * 1e3:6.1f} ms"
        f"   p99 {p99 * 1e3:6.1f} ms   CPU {cpu / count * 1e3:5.2f} ms/update"
    )


async def main() -> None:
    print(f"dispatcher round trip: {USERS} users x {UPDATES_PER_USER} updates, c={CONCURRENCY}")
    with tempfile.TemporaryDirectory() as folder:
        dispatcher = await prepare(f"sqlite:///{folder}/bench.db")
        report("sqlite", *await drive(dispatcher))
    name = f"kinerja_bench_{uuid.uuid4().hex[:8]}"
    base = PG_SERVER.replace("+asyncpg", "")
    try:
        admin = await asyncpg.connect(base, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        print("  (PostgreSQL unreachable: skipped)")
        return
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = base.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
        dispatcher = await prepare(url)
        report("postgresql", *await drive(dispatcher))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
