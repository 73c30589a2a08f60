"""The approval jobs: each working morning, the atasan's digest and the escalation check.

They only write outbox rows (DESIGN.md rule 2); the outbox drainer delivers them. Each row has
a dedupe key per (purpose, recipient, day), so a job that runs twice (a restart, two workers)
sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kinerja.activities import WorkPolicy
from kinerja.services.approvals import queue_digests, queue_escalations
from storage.uow import SessionFactory, UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class ApprovalJobs:
    sessions: SessionFactory
    policy: WorkPolicy
    escalation_days: int
    # Committing queued rows wakes the outbox drainer (SessionFactory.on_outbox_commit).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def morning(self, zone: str) -> int:
        """Queue today's digests and escalations for atasan in units of time zone `zone`."""
        now = self.clock()
        async with UnitOfWork(self.sessions) as uow:
            digests = await queue_digests(uow, zone, now, self.policy)
            escalations = await queue_escalations(
                uow, zone, now, self.policy, self.escalation_days
            )
            await uow.commit()
        log.info(
            "approval jobs for %s: %d digests, %d escalations queued", zone, digests, escalations
        )
        return digests + escalations
