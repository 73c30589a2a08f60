"""The evaluation prompt: each morning, atasan whose period has ended are asked to rate staff.

Only outbox rows (DESIGN.md rule 2), one per (atasan's chat, period) by dedupe key, so daily
re-runs while the period stays open send nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kinerja.evaluation import EvaluationPolicy
from kinerja.services.evaluation import queue_prompts
from storage.uow import SessionFactory, UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class EvaluationJobs:
    sessions: SessionFactory
    policy: EvaluationPolicy
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def morning(self, zone: str) -> int:
        async with UnitOfWork(self.sessions) as uow:
            queued = await queue_prompts(uow, zone, self.clock(), self.policy)
            await uow.commit()
        log.info("evaluation prompts for %s: %d queued", zone, queued)
        return queued
