"""The evaluation prompt job: scheduled per zone at the digest time, queues once per period."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kinerja.activities import WorkPolicy
from kinerja.evaluation import EvaluationPolicy
from scheduler.approval_jobs import ApprovalJobs
from scheduler.evaluation_jobs import EvaluationJobs
from scheduler.runner import ZONES, Scheduler, add_evaluation_jobs
from storage.models import OutboxMessage
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ATASAN, link, seed

AFTER_Q3 = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
MID_Q4 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


async def prompts(sessions: SessionFactory) -> list[tuple[str, dict[str, object]]]:
    async with UnitOfWork(sessions) as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.payload).where(
                OutboxMessage.purpose == "evaluation_prompt"
            )
        )
        return [(r, p) for r, p in rows]


async def test_prompts_once_per_open_period(sessions: SessionFactory) -> None:
    await seed(sessions)
    await link(sessions, "web", "ahmad", ATASAN)
    assert (
        await EvaluationJobs(sessions, EvaluationPolicy(), lambda: MID_Q4).morning("Asia/Jakarta")
        == 0
    )
    jobs = EvaluationJobs(sessions, EvaluationPolicy(), lambda: AFTER_Q3)
    assert await jobs.morning("Asia/Jakarta") == 1
    assert await jobs.morning("Asia/Jakarta") == 0
    assert await prompts(sessions) == [("ahmad", {"period": "2026-Q3"})]


async def test_scheduled_in_each_zone_at_the_digest_time(sessions: SessionFactory) -> None:
    scheduler = Scheduler(ApprovalJobs(sessions, WorkPolicy(), 3), (8, 0))
    add_evaluation_jobs(scheduler, EvaluationJobs(sessions, EvaluationPolicy()), (8, 0))
    scheduler.start()
    try:
        runs = dict(scheduler.jobs())
    finally:
        scheduler.shutdown()
    for zone in ZONES:
        local = datetime.fromisoformat(runs[f"evaluation-morning-{zone}"])
        assert (local.astimezone(ZoneInfo(zone)).hour, local.minute) == (8, 0)
