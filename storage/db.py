"""Engine construction, with the SQLite settings that make one file safe for a busy service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.uow import SessionFactory


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; on SQLite turn on WAL, foreign keys and a busy timeout.

    WAL lets the web chat read while a roster import writes; foreign keys are off by default in
    SQLite and the schema relies on them.
    """
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return SessionFactory(engine)
