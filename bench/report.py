"""The monthly recap of a province-sized month: the query and the XLSX export.

Generates 50,000 employees in 60 units and 3 million activities in November 2026 with
set-based SQL (PostgreSQL `generate_series`, SQLite a recursive CTE), then times
`monthly_recap` for every unit and for one unit, and the XLSX file of the whole province.
Prints figures; no pass or fail. DESIGN.md's targets: the query under 2 s on PostgreSQL, the
full export under 30 s.

    python -m bench.report [--employees N] [--activities N] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import text

from bench.roster_import import drop_pg, fresh_pg
from bot.render.recap_file import recap_xlsx
from kinerja.evaluation import PeriodKind
from kinerja.services.recap import monthly_recap
from storage.database import Database, create_database
from storage.migrate import upgrade
from storage.uow import UnitOfWork, session_factory

UNITS = 60
MONTH = date(2026, 11, 1)

PG_FILL = (
    """INSERT INTO units (id, code, name, timezone, six_day_week)
       SELECT g, 'U' || g, 'Unit ' || g, 'Asia/Jakarta', false
       FROM generate_series(1, :units) g""",
    """INSERT INTO employees (id, nip, name, position, unit_id, supervisor_id, role, active)
       SELECT g, lpad(g::text, 18, '0'), 'Pegawai ' || g, '', 1 + g % :units,
              CASE WHEN g % 10 = 1 THEN NULL ELSE g - (g - 1) % 10 END, 'pegawai', true
       FROM generate_series(1, :employees) g""",
    """INSERT INTO activities (employee_id, work_date, minutes, description, status, on_time,
                              submitted_at)
       SELECT 1 + g % :employees, DATE '2026-11-01' + ((g / :employees) % 30)::int,
              30 + (g % 7) * 30, 'Kegiatan harian',
              (ARRAY['disetujui', 'disetujui', 'disetujui', 'diajukan', 'revisi',
                     'ditolak'])[1 + g % 6],
              g % 5 <> 0, now()
       FROM generate_series(0, :activities - 1) g""",
    "SELECT setval(pg_get_serial_sequence('employees', 'id'), :employees)",
    "SELECT setval(pg_get_serial_sequence('units', 'id'), :units)",
    "ANALYZE",
)
SQLITE_FILL = (
    """WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < :units)
       INSERT INTO units (id, code, name, timezone, six_day_week)
       SELECT g, 'U' || g, 'Unit ' || g, 'Asia/Jakarta', 0 FROM seq""",
    """WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < :employees)
       INSERT INTO employees (id, nip, name, position, unit_id, supervisor_id, role, active)
       SELECT g, printf('%018d', g), 'Pegawai ' || g, '', 1 + g % :units,
              CASE WHEN g % 10 = 1 THEN NULL ELSE g - (g - 1) % 10 END, 'pegawai', 1
       FROM seq""",
    """WITH RECURSIVE seq(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM seq
                                WHERE g < :activities - 1)
       INSERT INTO activities (employee_id, work_date, minutes, description, status, on_time,
                              submitted_at)
       SELECT 1 + g % :employees, date('2026-11-01', '+' || ((g / :employees) % 30) || ' days'),
              30 + (g % 7) * 30, 'Kegiatan harian',
              CASE g % 6 WHEN 3 THEN 'diajukan' WHEN 4 THEN 'revisi' WHEN 5 THEN 'ditolak'
                         ELSE 'disetujui' END,
              g % 5 <> 0, CURRENT_TIMESTAMP
       FROM seq""",
    "ANALYZE",
)


async def fill(database: Database, employees: int, activities: int) -> float:
    statements = PG_FILL if database.backend == "postgresql" else SQLITE_FILL
    params = {"units": UNITS, "employees": employees, "activities": activities}
    started = time.perf_counter()
    db = await database.begin()
    try:
        for statement in statements:
            names = [name for name in params if f":{name}" in statement]
            await db.execute(text(statement), {name: params[name] for name in names})
        await db.commit()
    finally:
        await db.close()
    return time.perf_counter() - started


async def measure(url: str, backend: str, employees: int, activities: int) -> None:
    database = create_database(url)
    try:
        if backend == "sqlite":
            await upgrade(database)
        seconds = await fill(database, employees, activities)
        print(f"{backend}: generated {employees:,} employees, {activities:,} activities in "
              f"{seconds:.1f} s")  # fmt: skip
        sessions = session_factory(database)
        for scope in ("ALL", "U1"):
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                async with UnitOfWork(sessions) as uow:
                    recap = await monthly_recap(uow, MONTH, PeriodKind.QUARTERLY, unit_code=scope)
                timings.append(time.perf_counter() - started)
            print(
                f"  recap query {scope:<4} {min(timings):6.2f} s best of 3 "
                f"(first {timings[0]:.2f} s), {len(recap.rows):,} rows, {recap.entries:,} entries"
            )
        started = time.perf_counter()
        async with UnitOfWork(sessions) as uow:
            recap = await monthly_recap(uow, MONTH, PeriodKind.QUARTERLY, unit_code="ALL")
        queried = time.perf_counter() - started
        data = recap_xlsx(recap, str, str, "2026-11")
        total = time.perf_counter() - started
        print(
            f"  full XLSX export   {total:6.2f} s (query {queried:.2f} s, "
            f"workbook {total - queried:.2f} s), {len(data) / 1e6:.1f} MB"
        )
    finally:
        await database.dispose()


async def main(employees: int, activities: int, backends: list[str]) -> None:
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.db"
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
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--employees", type=int, default=50_000)
    parser.add_argument("--activities", type=int, default=3_000_000)
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args()
    asyncio.run(main(args.employees, args.activities, args.backends.split(",")))
