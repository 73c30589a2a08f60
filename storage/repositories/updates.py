"""Dedupe of incoming updates (DESIGN.md rule 4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, bindparam, delete

from storage.database import Db
from storage.hot import Hot
from storage.models import ProcessedUpdate
from storage.repositories._dialect import insert_for

TABLE = ProcessedUpdate.__table__
_CLAIMS: dict[str, Hot] = {}


class ProcessedUpdateRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def claim(self, channel: str, update_key: str) -> bool:
        """Record the update; False when it was already recorded (a redelivery).

        The claim is part of the caller's transaction, so a failed handling releases it and the
        platform's retry is processed.
        """
        claimed = await self._session.write(
            claim_statement(self._session), {"channel": channel, "update_key": update_key}
        )
        return claimed == 1

    async def forget_before(self, moment: datetime) -> int:
        """Drop old dedupe rows; platforms stop redelivering after a day or so."""
        statement = delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment)
        result = await self._session.execute(statement)
        assert isinstance(result, CursorResult)
        return result.rowcount


def claim_statement(session: Db) -> Hot:
    """The claim, one statement per dialect, built once: this runs for every update."""
    dialect = session.dialect.name
    statement = _CLAIMS.get(dialect)
    if statement is None:
        statement = _CLAIMS[dialect] = Hot(claim_insert(session))
    return statement


def claim_insert(session: Db) -> Any:
    """INSERT the (channel, update_key) pair unless it is there (parameters of those names)."""
    return (
        insert_for(session, TABLE)  # type: ignore[arg-type]
        .values(channel=bindparam("channel"), update_key=bindparam("update_key"))
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
    )
