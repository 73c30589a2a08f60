"""Citizen-channel jobs: complaint deadlines (reminder to the unit's admins on the last working
day, escalation once the deadline has passed) and the retention of citizens' data.

Both are idempotent (each reminder/escalation is recorded on the complaint and queued under a
dedupe key), so a second worker or a re-run sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kinerja.services.citizen import CitizenPolicy, forget_old
from kinerja.services.complaints import check_deadlines
from storage.uow import SessionFactory, UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class CitizenJobs:
    sessions: SessionFactory
    policy: CitizenPolicy
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def deadlines(self) -> tuple[int, int]:
        async with UnitOfWork(self.sessions) as uow:
            reminded, escalated = await check_deadlines(uow, self.clock())
            await uow.commit()
        log.info("complaints: %d reminders, %d escalations", reminded, escalated)
        return reminded, escalated

    async def retention(self) -> tuple[int, int]:
        async with UnitOfWork(self.sessions) as uow:
            ratings, complaints = await forget_old(uow, self.clock(), self.policy)
            await uow.commit()
        log.info(
            "citizen retention: %d ratings anonymised, %d complaints deleted", ratings, complaints
        )
        return ratings, complaints
