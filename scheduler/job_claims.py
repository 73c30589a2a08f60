"""Each scheduled job fires once in total, however many workers share the database.

Every worker runs the same APScheduler timers (DESIGN.md rule 6: scale-out is configuration).
When a timer fires, the worker first claims the run in `job_runs`, keyed by the job and its
slot: the local date in the job's time zone for a daily job, the interval's number for an
interval job. The first claim commits; the others find the row (on PostgreSQL a concurrent
insert waits for the first one's transaction, then conflicts) and skip the run. A claim is
committed before the job starts, so a worker that dies mid-job does not hand the run to another
one: daily jobs are safe to miss once rather than send everything twice (their own dedupe keys
make a manual re-run harmless), and an interval job runs again at its next slot.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.repositories.job_runs import JobRunRepository
from storage.uow import SessionFactory, UnitOfWork

log = logging.getLogger(__name__)
Job = Callable[..., Awaitable[Any]]
# Told of every firing: (job id, "ok" | "skipped" | "error").
JobObserver = Callable[[str, str], None]
KEEP = timedelta(days=2)  # no worker asks about an older slot
PRUNE_EVERY = timedelta(hours=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


class JobClaims:
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        worker: str | None = None,
        clock: Callable[[], datetime] | None = None,
        observer: JobObserver | None = None,
    ) -> None:
        self.sessions = sessions
        self.worker = worker or worker_name()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.observer = observer
        self._pruned_at: datetime | None = None

    def daily(self, job_id: str, zone: str, function: Job) -> Job:
        """`function`, run at most once per local day of `zone` across workers."""

        async def run(*args: Any) -> None:
            slot = self.clock().astimezone(ZoneInfo(zone)).date().isoformat()
            await self.run_claimed(job_id, slot, function, *args)

        return run

    def every(self, job_id: str, seconds: float, function: Job) -> Job:
        """`function`, run at most once per `seconds`-long slot across workers."""

        async def run(*args: Any) -> None:
            slot = str(int(self.clock().timestamp() // seconds))
            await self.run_claimed(job_id, slot, function, *args)

        return run

    async def run_claimed(self, job_id: str, slot: str, function: Job, *args: Any) -> str:
        """Claim (job_id, slot), run `function` if the claim is ours; the outcome."""
        try:
            claimed = await self.claim(job_id, slot)
        except Exception:
            log.exception("job %s: could not claim slot %s; not run", job_id, slot)
            return self._observe(job_id, "error")
        if not claimed:
            log.debug("job %s slot %s runs on another worker", job_id, slot)
            return self._observe(job_id, "skipped")
        try:
            await function(*args)
        except Exception:
            log.exception("job %s (slot %s) failed", job_id, slot)
            return self._observe(job_id, "error")
        return self._observe(job_id, "ok")

    async def claim(self, job_id: str, slot: str) -> bool:
        now = self.clock()
        async with UnitOfWork(self.sessions) as uow:
            runs = JobRunRepository(uow.session)
            claimed = await runs.claim(job_id, slot, now=now, worker=self.worker)
            if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
                await runs.forget_before(now - KEEP)
                self._pruned_at = now
            await uow.commit()
        return claimed

    def _observe(self, job_id: str, outcome: str) -> str:
        if self.observer is not None:
            self.observer(job_id, outcome)
        return outcome
