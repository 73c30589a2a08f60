"""The morning approval jobs: digests and escalations become outbox rows, once per day, on
working days, at each unit's local time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from bot.config import Settings
from kinerja.activities import WorkPolicy
from scheduler.approval_jobs import ApprovalJobs
from scheduler.runner import ZONES, Scheduler
from storage.models import Activity, Employee, OutboxMessage
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, STAFF, link, seed

SUBMITTED = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wed 25 Nov, 10.00 WIB


async def prepare(sessions: SessionFactory) -> None:
    await seed(sessions)
    staff = await link(sessions, "telegram", "s1", STAFF)
    await link(sessions, "telegram", "a1", ATASAN)
    await link(sessions, "web", "rina-web", ADMIN)
    async with UnitOfWork(sessions) as uow:
        admin_id = await uow.session.scalar(select(Employee.id).where(Employee.nip == ADMIN))
        # The atasan reports to the admin here, so escalations have somewhere to go.
        await uow.session.execute(
            update(Employee).where(Employee.nip == ATASAN).values(supervisor_id=admin_id)
        )
        await uow.session.execute(
            insert(Activity),
            [
                {
                    "employee_id": staff.id,
                    "work_date": date(2026, 11, 24),
                    "minutes": 60,
                    "description": f"Pekerjaan {n}",
                    "status": "diajukan",
                    "submitted_at": SUBMITTED,
                }
                for n in range(2)
            ],
        )
        await uow.commit()


def jobs_at(sessions: SessionFactory, instant: datetime, days: int = 3) -> ApprovalJobs:
    return ApprovalJobs(sessions, WorkPolicy(), days, clock=lambda: instant)


async def queued(sessions: SessionFactory) -> list[tuple[str, str, str, dict[str, object]]]:
    async with UnitOfWork(sessions) as uow:
        rows = await uow.session.execute(
            select(
                OutboxMessage.purpose,
                OutboxMessage.channel,
                OutboxMessage.recipient,
                OutboxMessage.payload,
            ).order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]


async def test_digest_once_per_working_day_for_atasan_on_the_digest(
    sessions: SessionFactory,
) -> None:
    await prepare(sessions)
    thursday = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 08.00 WIB
    assert await jobs_at(sessions, thursday).morning("Asia/Jakarta") == 1
    assert await jobs_at(sessions, thursday).morning("Asia/Jakarta") == 0  # a re-run
    assert await queued(sessions) == [("approval_digest", "telegram", "a1", {})]
    # Other zones have nobody waiting; Saturday is no working day.
    assert await jobs_at(sessions, thursday).morning("Asia/Makassar") == 0
    saturday = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    assert await jobs_at(sessions, saturday).morning("Asia/Jakarta") == 0
    friday = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    assert await jobs_at(sessions, friday).morning("Asia/Jakarta") == 1


async def test_atasan_on_instant_cards_get_no_digest(sessions: SessionFactory) -> None:
    await prepare(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            update(Employee).where(Employee.nip == ATASAN).values(approval_mode="instant")
        )
        await uow.commit()
    thursday = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert await jobs_at(sessions, thursday).morning("Asia/Jakarta") == 0


async def test_escalation_after_n_working_days_goes_one_level_up(
    sessions: SessionFactory,
) -> None:
    await prepare(sessions)
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 3 working days after Wednesday
    await jobs_at(sessions, monday).morning("Asia/Jakarta")
    assert [row for row in await queued(sessions) if row[0] == "approval_escalation"] == []
    tuesday = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # the 4th: more than 3
    await jobs_at(sessions, tuesday).morning("Asia/Jakarta")
    await jobs_at(sessions, tuesday).morning("Asia/Jakarta")
    escalations = [row for row in await queued(sessions) if row[0] == "approval_escalation"]
    assert len(escalations) == 1
    _purpose, channel, recipient, payload = escalations[0]
    assert (channel, recipient) == ("web", "rina-web")
    assert payload["count"] == 2 and payload["days"] == 3
    # Turned off with 0.
    wednesday = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    await jobs_at(sessions, wednesday, days=0).morning("Asia/Jakarta")
    assert len([r for r in await queued(sessions) if r[0] == "approval_escalation"]) == 1


async def test_each_zone_runs_at_its_own_local_digest_time(sessions: SessionFactory) -> None:
    settings = Settings(approval_digest_time="7:30")
    scheduler = Scheduler(jobs_at(sessions, SUBMITTED), settings.digest_hour_minute)
    scheduler.start()
    try:
        runs = dict(scheduler.jobs())
    finally:
        scheduler.shutdown()
    assert set(runs) == {f"approval-morning-{zone}" for zone in ZONES}
    for zone in ZONES:
        local = datetime.fromisoformat(runs[f"approval-morning-{zone}"]).astimezone(ZoneInfo(zone))
        assert (local.hour, local.minute) == (7, 30)
