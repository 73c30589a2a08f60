"""Citizen channel throughput: citizens scanning a poster and rating through the citizen gate.

Each citizen sends `/start svc_KTP_L2`, a quick rating, then the nine SKM answers (11 updates,
each one transaction: pseudonym, dedupe, state, rating upsert, burst check), and the IKM of the
unit is computed over all of them at the end. Run: `python -m bench.citizen`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import date

import asyncpg

from bot.chat.capabilities import TELEGRAM
from bot.chat.citizen_gate import CitizenGate
from bot.chat.events import ButtonPress, Inbound, text_event
from bot.chat.i18n import Catalogs
from handlers.citizen import CITIZEN_ROUTERS
from kinerja.services.citizen import CitizenPolicy, add_counter, add_service
from kinerja.services.demo_seed import seed_demo
from kinerja.services.ikm import ikm_per_unit
from storage.database import create_database
from storage.migrate import upgrade
from storage.uow import SessionFactory, UnitOfWork, session_factory

CITIZENS = 300
CONCURRENCY = 50
PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def prepare(url: str) -> tuple[CitizenGate, SessionFactory]:
    engine = create_database(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    async with UnitOfWork(sessions) as uow:
        await seed_demo(uow, with_skp=False)
        await add_service(uow, "KTP", "Perekaman KTP-el", "DISKOMINFO")
        await add_counter(uow, "KTP", "L2", "199201102019031003")
        await uow.commit()
    gate = CitizenGate(
        CITIZEN_ROUTERS,
        sessions,
        Catalogs.load(),
        secret=b"b" * 32,
        policy=CitizenPolicy(burst_limit=10**9),
        max_transactions=1 if engine.dialect.name == "sqlite" else 5,
        per_minute=100,
    )
    return gate, sessions


async def citizen(gate: CitizenGate, number: int, latencies: list[float]) -> None:
    user = str(900_000_000 + number)

    async def send(event: Inbound) -> list[str]:
        started = time.perf_counter()
        out = await gate.handle(event, TELEGRAM)
        latencies.append(time.perf_counter() - started)
        return [c.payload for o in out for row in o.keyboard for c in row]

    step = iter(range(100))
    common = {"channel": "telegram", "user_id": user}
    payloads = await send(
        text_event(**common, update_id=f"{user}-{next(step)}", text="/start svc_KTP_L2")
    )
    payloads = await send(
        ButtonPress(**common, update_id=f"{user}-{next(step)}", payload=payloads[0])
    )
    payloads = await send(
        ButtonPress(**common, update_id=f"{user}-{next(step)}", payload=payloads[0])
    )
    for _ in range(9):
        choice = payloads[number % 4]
        payloads = await send(
            ButtonPress(**common, update_id=f"{user}-{next(step)}", payload=choice)
        )


async def drive(gate: CitizenGate, sessions: SessionFactory) -> None:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(CITIZENS):
        queue.put_nowait(number)

    async def worker() -> None:
        while not queue.empty():
            await citizen(gate, queue.get_nowait(), latencies)

    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    ordered = sorted(latencies)
    count = len(ordered)
    ikm_started = time.perf_counter()
    async with UnitOfWork(sessions) as uow:
        unit = await uow.citizen.unit_id_by_code("DISKOMINFO")
        assert unit is not None
        year = time.gmtime().tm_year
        result = await ikm_per_unit(uow, unit, date(year, 1, 1), date(year, 12, 31))
    ikm_ms = (time.perf_counter() - ikm_started) * 1e3
    assert result is not None and result.ikm.respondents == CITIZENS, result
    print(
        f"  {count / elapsed:7.0f} updates/s   p50 {statistics.median(ordered) * 1e3:6.1f} ms"
        f"   p99 {ordered[int(count * 0.99) - 1] * 1e3:6.1f} ms"
        f"   CPU {cpu / count * 1e3:5.2f} ms/update"
        f"   IKM of {result.ikm.respondents} surveys in {ikm_ms:.0f} ms"
        f" ({result.ikm.converted_2dp}, {result.ikm.grade})"
    )


async def main() -> None:
    print(f"citizen rating + SKM: {CITIZENS} citizens x 11 updates, c={CONCURRENCY}")
    with tempfile.TemporaryDirectory() as folder:
        print("  sqlite     ", end="")
        await drive(*await prepare(f"sqlite:///{folder}/bench.db"))
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
        print("  postgresql ", end="")
        await drive(*await prepare(url))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
