"""Claims of scheduled job runs, so several workers fire each job once (scheduler/job_claims)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete

from storage.database import Db
from storage.models import JobRun
from storage.repositories._dialect import insert_for


class JobRunRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def claim(self, job: str, slot: str, *, now: datetime, worker: str) -> bool:
        """Record that `worker` runs `job` for `slot`; False when another worker already did.

        On PostgreSQL a second worker's insert waits for the first one's transaction and then
        finds its row, so exactly one of them gets True.
        """
        statement = (
            insert_for(self._session, JobRun.__table__)  # type: ignore[arg-type]
            .values(job=job, slot=slot, claimed_at=now, worker=worker)
            .on_conflict_do_nothing(index_elements=["job", "slot"])
        )
        result = await self._session.execute(statement)
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def forget_before(self, moment: datetime) -> int:
        """Drop claims older than `moment` (no worker asks about such slots any more)."""
        result = await self._session.execute(delete(JobRun).where(JobRun.claimed_at < moment))
        assert isinstance(result, CursorResult)
        return result.rowcount
