"""Roster import of a 50,000-employee province: parse, validate, write (SQLite and PostgreSQL).

Prints wall-clock seconds per phase and rows/s. Run: `python -m bench.roster_import [ROWS]`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg

from bot.render.roster_file import roster_xlsx
from kinerja.roster import parse_roster, validate_roster
from kinerja.services.roster_import import import_roster
from storage.database import create_database
from storage.migrate import upgrade
from storage.uow import UnitOfWork, session_factory

PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
UNITS = 60


def nip(index: int) -> str:
    """A valid, unique NIP for `index` (birth date and sequence both derive from it)."""
    birth = date(1965, 1, 1) + timedelta(days=index % 12_000)
    appointed = 1990 + index % 30
    gender = 1 + index % 2
    return f"{birth:%Y%m%d}{appointed}{1 + index % 12:02d}{gender}{1 + index // 12_000:03d}"


def roster_rows(count: int, moved: float = 0.0) -> list[tuple[str, ...]]:
    """A realistic hierarchy: unit heads, team leaders of ~15 staff each, and staff."""
    rows: list[tuple[str, ...]] = []
    per_unit = count // UNITS
    for index in range(count):
        unit = index // per_unit if index // per_unit < UNITS else UNITS - 1
        head = unit * per_unit
        position_in_unit = index - head
        if position_in_unit == 0:
            supervisor = ""
        elif position_in_unit % 16 == 1:
            supervisor = nip(head)
        else:
            supervisor = nip(head + 1 + (position_in_unit - 1) // 16 * 16)
        if moved and index % int(1 / moved) == 7 and position_in_unit % 16 not in (0, 1):
            unit = (unit + 1) % UNITS
            supervisor = nip(unit * per_unit)
        rows.append(
            (
                nip(index),
                f"Pegawai {index}",
                "Pranata Komputer Ahli Pertama",
                f"Dinas {unit:02d}",
                supervisor,
                f"0812{index:08d}",
                "admin" if index % 5000 == 0 else "pegawai",
            )
        )
    return rows


def as_csv(rows: list[tuple[str, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("nip", "nama", "jabatan", "unit", "atasan_nip", "telepon", "peran"))
    writer.writerows(rows)
    return buffer.getvalue().encode()


async def timed_import(url: str, data: bytes) -> tuple[float, str]:
    engine = create_database(url)
    started = time.perf_counter()
    async with UnitOfWork(session_factory(engine)) as uow:
        summary = await import_roster(
            uow, parse_roster(data, "r.csv"), default_timezone="Asia/Jakarta"
        )
        await uow.commit()
    elapsed = time.perf_counter() - started
    await engine.dispose()
    detail = (
        f"created {summary.created}, updated {summary.updated}, unchanged {summary.unchanged}, "
        f"errors {len(summary.errors)}"
    )
    return elapsed, detail


async def fresh_pg() -> tuple[str, str] | None:
    name = f"kinerja_bench_{uuid.uuid4().hex[:8]}"
    base = PG_SERVER.replace("postgresql+asyncpg://", "postgresql://")
    try:
        connection = await asyncpg.connect(base, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    url = base.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    engine = create_database(url)
    await upgrade(engine)
    await engine.dispose()
    return url, name


async def drop_pg(name: str) -> None:
    connection = await asyncpg.connect(PG_SERVER.replace("+asyncpg", ""), timeout=5)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


def line(label: str, seconds: float, rows: int, detail: str = "") -> None:
    print(f"  {label:<34} {seconds:7.2f} s  {rows / seconds:9,.0f} rows/s  {detail}")


async def main(count: int) -> None:
    first = as_csv(roster_rows(count))
    again_moved = as_csv(roster_rows(count, moved=0.05))
    print(f"roster import, {count:,} rows ({len(first) / 1e6:.1f} MB CSV), {UNITS} units")

    started = time.perf_counter()
    rows = parse_roster(first, "r.csv")
    line("parse CSV", time.perf_counter() - started, count)
    started = time.perf_counter()
    result = validate_roster(rows)
    line("validate", time.perf_counter() - started, count, f"{len(result.errors)} errors")
    xlsx = roster_xlsx(roster_rows(count))
    started = time.perf_counter()
    parse_roster(xlsx, "r.xlsx")
    line("parse XLSX", time.perf_counter() - started, count, f"{len(xlsx) / 1e6:.1f} MB")

    with tempfile.TemporaryDirectory() as folder:
        targets: list[tuple[str, str, str | None]] = [
            ("sqlite", f"sqlite:///{folder}/bench.db", None)
        ]
        pg = await fresh_pg()
        if pg:
            targets.append(("postgresql", pg[0], pg[1]))
        else:
            print("  (PostgreSQL unreachable: skipped)")
        for backend, url, _ in targets:
            if backend == "sqlite":
                engine = create_database(url)
                await upgrade(engine)
                await engine.dispose()
            for label, data in (
                ("first import", first),
                ("re-import, unchanged", first),
                ("re-import, 5% moved", again_moved),
            ):
                seconds, detail = await timed_import(url, data)
                line(f"{backend}: {label}", seconds, count, detail)
        for _, _, name in targets:
            if name:
                await drop_pg(name)


def cli_end_to_end(count: int) -> None:
    """What an admin waits for: `kinerja roster import` into a new SQLite database."""
    with tempfile.TemporaryDirectory() as folder:
        cli_file = Path(folder) / "roster.csv"
        cli_file.write_bytes(as_csv(roster_rows(count)))
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/cli.db"}
        kinerja = Path(sys.executable).with_name("kinerja")
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - our own entry point
            [str(kinerja), "roster", "import", str(cli_file)],
            env=env,
            check=True,
            capture_output=True,
        )
        line("CLI end to end (sqlite, new db)", time.perf_counter() - started, count)


if __name__ == "__main__":
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    asyncio.run(main(rows))
    cli_end_to_end(rows)
