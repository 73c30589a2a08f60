"""Dedupe of incoming updates (DESIGN.md rule 4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, bindparam, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ProcessedUpdate
from storage.repositories._dialect import insert_for

TABLE = ProcessedUpdate.__table__
_CLAIMS: dict[str, Any] = {}


class ProcessedUpdateRepository:
    def __init__(self, session: AsyncConnection) -> None:
        self._session = session

    async def claim(self, channel: str, update_key: str) -> bool:
        """Record the update; False when it was already recorded (a redelivery).

        The claim is part of the caller's transaction, so a failed handling releases it and the
        platform's retry is processed.
        """
        result = await self._session.execute(
            self._claim_statement(), {"channel": channel, "update_key": update_key}
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    def _claim_statement(self) -> Any:
        """One statement per dialect, built once: this runs for every update."""
        dialect = self._session.dialect.name
        statement = _CLAIMS.get(dialect)
        if statement is None:
            statement = (
                insert_for(self._session, TABLE)  # type: ignore[arg-type]
                .values(channel=bindparam("channel"), update_key=bindparam("update_key"))
                .on_conflict_do_nothing(index_elements=["channel", "update_key"])
            )
            _CLAIMS[dialect] = statement
        return statement

    async def forget_before(self, moment: datetime) -> int:
        """Drop old dedupe rows; platforms stop redelivering after a day or so."""
        statement = delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment)
        result = await self._session.execute(statement)
        assert isinstance(result, CursorResult)
        return result.rowcount
