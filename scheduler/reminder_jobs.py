"""Reminder, deadline and broadcast-progress jobs. Like the approval jobs they only write
outbox rows, each under a dedupe key per (purpose, recipient, period), so a job that runs twice
(a restart, two workers) sends nothing twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kinerja.activities import WorkPolicy
from kinerja.reminders import DEFAULT_CLOSING_OFFSETS
from kinerja.services import broadcasts, reminders
from storage.uow import SessionFactory, UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class ReminderJobs:
    sessions: SessionFactory
    policy: WorkPolicy
    closing_offsets: tuple[int, ...] = DEFAULT_CLOSING_OFFSETS
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def afternoon(self, zone: str) -> int:
        """The daily nudge to those who have logged nothing today."""
        now = self.clock()
        async with UnitOfWork(self.sessions) as uow:
            queued = await reminders.queue_daily(uow, zone, now)
            await uow.commit()
        log.info("daily reminders for %s: %d queued", zone, queued)
        return queued

    async def morning(self, zone: str) -> int:
        """Yesterday's gaps, month-end and cut-off warnings, admins' deadlines."""
        now = self.clock()
        async with UnitOfWork(self.sessions) as uow:
            gaps = await reminders.queue_gaps(uow, zone, now)
            closing = await reminders.queue_closing(
                uow, zone, now, self.policy.cutoff_day, self.closing_offsets
            )
            deadlines = await reminders.queue_deadlines(uow, zone, now)
            await uow.commit()
        log.info(
            "morning reminders for %s: %d gaps, %d closing, %d deadlines",
            *(zone, gaps, closing, deadlines),
        )
        return gaps + closing + deadlines

    async def broadcast_progress(self) -> int:
        """Edit admins' progress messages and send final reports."""
        async with UnitOfWork(self.sessions) as uow:
            queued = await broadcasts.queue_progress(uow, self.clock())
            await uow.commit()
        return queued
