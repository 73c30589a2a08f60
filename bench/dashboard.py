"""The admin dashboard's pages on a province-sized database, over HTTP.

Fills the same data as `bench.report` (60 units, 50,000 employees, 3 M activities in November
2026, a sixth of them waiting for approval), adds an instansi-wide admin, logs in with a link and
times each page as the admin opens it on 25 November (query + template + HTTP, best of 3) and
its size. Prints figures; no pass or fail.

    python -m bench.dashboard [--employees N] [--activities N] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert

from bench.report import fill
from bench.roster_import import drop_pg, fresh_pg
from bot.chat.i18n import Catalogs
from bot.dashboard import Dashboard
from kinerja.services.dashboard import issue_link
from storage.database import create_database
from storage.migrate import upgrade
from storage.models import Employee
from storage.uow import UnitOfWork, session_factory

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
PAGES = ("/admin", "/admin/idle", "/admin/approvals", "/admin/broadcasts", "/admin/charts")


async def measure(url: str, backend: str, employees: int, activities: int) -> None:
    database = create_database(url)
    try:
        if backend == "sqlite":
            await upgrade(database)
        seconds = await fill(database, employees, activities)
        print(f"{backend}: generated {employees:,} employees, {activities:,} activities in "
              f"{seconds:.1f} s")  # fmt: skip
        sessions = session_factory(database)
        async with UnitOfWork(sessions) as uow:
            await uow.session.execute(
                insert(Employee).values(
                    id=employees + 1,
                    nip="198507072010012004",
                    name="Admin BKD",
                    unit_id=1,
                    role="admin",
                    active=True,
                )
            )
            admin = await uow.employees.person(employees + 1)
            assert admin is not None
            token = await issue_link(uow, admin, NOW, 10)
            await uow.commit()
        dashboard = Dashboard(sessions, Catalogs.load(), clock=lambda: NOW)
        app = web.Application(middlewares=[dashboard.errors])
        app.router.add_routes(dashboard.routes())
        async with TestClient(TestServer(app)) as client:
            login = await client.post("/admin/login", data={"t": token})
            assert login.status == 200, await login.text()
            for page in PAGES:
                timings, size = [], 0
                for _ in range(3):
                    started = time.perf_counter()
                    response = await client.get(page)
                    body = await response.read()
                    timings.append(time.perf_counter() - started)
                    assert response.status == 200, page
                    size = len(body)
                print(
                    f"  {page:<18} {min(timings) * 1000:7.0f} ms best of 3 "
                    f"(first {timings[0] * 1000:.0f} ms), {size / 1024:,.0f} KiB"
                )
    finally:
        await database.dispose()


async def main(employees: int, activities: int, backends: list[str]) -> None:
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "dashboard.db"
            await measure(f"sqlite:///{path}", "sqlite", employees, activities)
    if "postgresql" in backends:
        created = await fresh_pg()
        if created is None:
            print("postgresql: unreachable, skipped")
            return
        url, name = created
        try:
            await measure(url, "postgresql", employees, activities)
        finally:
            await drop_pg(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--employees", type=int, default=50_000)
    parser.add_argument("--activities", type=int, default=3_000_000)
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args()
    asyncio.run(main(args.employees, args.activities, args.backends.split(",")))
