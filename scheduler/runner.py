"""APScheduler wiring (DESIGN.md: APScheduler 3's AsyncIOScheduler, not PTB's JobQueue).

Times are each unit's local time: one cron trigger per Indonesian time zone, so 08:00 means
08:00 WIB in Jakarta and 08:00 WIT in Jayapura. Jobs decide themselves whether today is a
working day, from the same policy the chat uses.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.approval_jobs import ApprovalJobs
from scheduler.citizen_jobs import CitizenJobs
from scheduler.evaluation_jobs import EvaluationJobs
from scheduler.job_claims import Job, JobClaims
from scheduler.reminder_jobs import ReminderJobs

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
log = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self,
        approval_jobs: ApprovalJobs,
        digest_at: tuple[int, int],
        reminder_jobs: ReminderJobs | None = None,
        *,
        daily_at: tuple[int, int] = (14, 0),
        morning_at: tuple[int, int] = (7, 30),
        progress_every: float = 5.0,
        claims: JobClaims | None = None,
    ) -> None:
        """With `claims`, each job fires once across all workers sharing the database."""
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self.claims = claims
        hour, minute = digest_at
        for zone in ZONES:
            self._scheduler.add_job(
                self.daily(f"approval-morning-{zone}", zone, approval_jobs.morning),
                CronTrigger(hour=hour, minute=minute, timezone=zone),
                args=[zone],
                id=f"approval-morning-{zone}",
                # After downtime, run a missed morning once (within 4 h), not once per miss.
                coalesce=True,
                misfire_grace_time=4 * 3600,
                max_instances=1,
            )

        if reminder_jobs is not None:
            self._add_reminders(reminder_jobs, daily_at, morning_at, progress_every)

    def _add_reminders(
        self,
        jobs: ReminderJobs,
        daily_at: tuple[int, int],
        morning_at: tuple[int, int],
        progress_every: float,
    ) -> None:
        for zone in ZONES:
            for name, job, (hour, minute) in (
                ("reminder-daily", jobs.afternoon, daily_at),
                ("reminder-morning", jobs.morning, morning_at),
            ):
                self._scheduler.add_job(
                    self.daily(f"{name}-{zone}", zone, job),
                    CronTrigger(hour=hour, minute=minute, timezone=zone),
                    args=[zone],
                    id=f"{name}-{zone}",
                    coalesce=True,
                    misfire_grace_time=2 * 3600,
                    max_instances=1,
                )
        self._scheduler.add_job(
            self.every("broadcast-progress", progress_every, jobs.broadcast_progress),
            IntervalTrigger(seconds=progress_every),
            id="broadcast-progress",
            coalesce=True,
            max_instances=1,
            # Late is fine for a progress poll (a busy loop delays it): run it then, once,
            # instead of APScheduler's default of skipping it with a warning after 1 s.
            misfire_grace_time=None,
        )

    def daily(self, job_id: str, zone: str, function: Job) -> Job:
        return function if self.claims is None else self.claims.daily(job_id, zone, function)

    def every(self, job_id: str, seconds: float, function: Job) -> Job:
        return function if self.claims is None else self.claims.every(job_id, seconds, function)

    def start(self) -> None:
        """Start on the running event loop (call from inside it)."""
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def jobs(self) -> list[tuple[str, str]]:
        """(job id, next run as ISO text) for logs and tests."""
        return [
            (job.id, job.next_run_time.isoformat() if job.next_run_time else "")
            for job in self._scheduler.get_jobs()
        ]


def add_evaluation_jobs(scheduler: Scheduler, jobs: EvaluationJobs, at: tuple[int, int]) -> None:
    """Each morning per time zone: prompt atasan whose evaluation period has ended."""
    hour, minute = at
    for zone in ZONES:
        scheduler._scheduler.add_job(
            scheduler.daily(f"evaluation-morning-{zone}", zone, jobs.morning),
            CronTrigger(hour=hour, minute=minute, timezone=zone),
            args=[zone],
            id=f"evaluation-morning-{zone}",
            coalesce=True,
            misfire_grace_time=4 * 3600,
            max_instances=1,
        )


def add_citizen_jobs(scheduler: Scheduler, jobs: CitizenJobs, at: tuple[int, int]) -> None:
    """Complaint deadlines each working morning per zone (jobs check every complaint's own
    zone, so running per zone is only for timeliness), retention nightly."""
    hour, minute = at
    scheduler._scheduler.add_job(
        jobs.deadlines,
        CronTrigger(hour=hour, minute=minute, timezone="Asia/Jakarta"),
        id="citizen-complaint-deadlines",
        coalesce=True,
        misfire_grace_time=4 * 3600,
        max_instances=1,
    )
    scheduler._scheduler.add_job(
        jobs.retention,
        CronTrigger(hour=2, minute=30, timezone="Asia/Jakarta"),
        id="citizen-retention",
        coalesce=True,
        misfire_grace_time=12 * 3600,
        max_instances=1,
    )
