"""Dialect-specific INSERT ... ON CONFLICT, which both SQLite and PostgreSQL support."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from storage.database import Db


def insert_for(session: Db, table: Table) -> Any:
    """An `insert()` with `on_conflict_do_*` for the session's database."""
    name = session.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported dialect {name}")
