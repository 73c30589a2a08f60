"""One committed unit of work for a CLI command (`kinerja calendar|broadcast|deadline|citizen`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from storage.database import create_database
from storage.migrate import upgrade
from storage.uow import UnitOfWork, session_factory

if TYPE_CHECKING:
    from bot.cli import Cli

T = TypeVar("T")


def run_work(cli: Cli, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run `work` in one unit of work, committed if it returns, on the configured database
    (SQLite is migrated first: it is created on first use). A database that cannot be reached
    ends the command with a message; the caller turns its own domain errors into messages."""
    settings = cli.settings()

    async def go() -> T:
        engine = create_database(settings.database_url)
        try:
            if settings.is_sqlite:
                await upgrade(engine)
            async with UnitOfWork(session_factory(engine)) as uow:
                result = await work(uow)
                await uow.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except OSError as error:
        cli.fail("cli.error.database", reason=str(error))
