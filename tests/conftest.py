"""Shared fixtures: a migrated database per test on every backend, and scripted chats.

Storage-touching tests take `db_url` (or a fixture built on it) and run once per backend: SQLite
always, PostgreSQL when reachable. Under CI (`CI=true`) an unreachable PostgreSQL fails the run
instead of skipping, so a green CI always means both backends passed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from bot.chat.i18n import Catalogs
from storage.database import Database, create_database
from storage.migrate import upgrade
from storage.models import Base
from storage.uow import SessionFactory, UnitOfWork, session_factory

# PTB warns (an error here) when it builds RetryAfter unless durations are timedeltas; the
# service reads both forms, and the CLI opts in the same way.
os.environ.setdefault("PTB_TIMEDELTA", "true")

PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_REQUIRED = os.environ.get("CI", "").lower() == "true" or bool(
    os.environ.get("KINERJA_REQUIRE_POSTGRES")
)
BACKENDS = ("sqlite", "postgresql")


def _server_dsn(database: str | None = None) -> str:
    base = PG_SERVER.replace("postgresql+asyncpg://", "postgresql://")
    if database is None:
        return base
    return base.rsplit("/", 1)[0] + f"/{database}"


async def _create_pg_database() -> str:
    name = f"kinerja_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(_server_dsn(), timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = _server_dsn(name).replace("postgresql://", "postgresql+asyncpg://")
    engine = create_database(url)
    await upgrade(engine)
    await engine.dispose()
    return name


async def _drop_pg_database(name: str) -> None:
    connection = await asyncpg.connect(_server_dsn(), timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped afterwards."""
    try:
        name = asyncio.run(_create_pg_database())
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        if PG_REQUIRED:
            pytest.fail(f"PostgreSQL is required under CI but unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    yield _server_dsn(name).replace("postgresql://", "postgresql+asyncpg://")
    asyncio.run(_drop_pg_database(name))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (cheaper than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def migrate() -> None:
        engine = create_database(f"sqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "test.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    database = create_database(db_url)
    if database.backend == "postgresql":
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        db = await database.begin()
        try:
            await db.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            await db.commit()
        finally:
            await db.close()
    yield database
    await database.dispose()


@pytest.fixture
def sessions(database: Database) -> SessionFactory:
    return session_factory(database)


@pytest.fixture
def uow(sessions: SessionFactory) -> UnitOfWork:
    return UnitOfWork(sessions)


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs.load()
