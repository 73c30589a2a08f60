"""Apply Alembic migrations from code, so the CLI and start-up need no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the database to `revision` in one transaction."""
    await database.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def is_current(database: Database) -> bool:
    """True when the database is at the newest revision (used by `kinerja run` on PostgreSQL)."""
    current = await database.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_heads()
    )
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return set(current) == set(heads)
