"""Each scheduled job fires once per slot however many workers run the same timers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.job_claims import JobClaims
from storage.uow import SessionFactory

# 16:59 UTC is 23:59 in Jakarta and already the next day in Jayapura (UTC+9).
NOW = datetime(2026, 3, 2, 16, 59, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.storage
async def test_a_daily_job_fires_once_per_local_day_across_workers(
    sessions: SessionFactory,
) -> None:
    clock = Clock(NOW)
    outcomes: list[tuple[str, str]] = []
    ran: list[tuple[str, str]] = []

    async def job(zone: str) -> None:
        ran.append((zone, clock().isoformat()))

    workers = [
        JobClaims(sessions, worker=f"w{i}", clock=clock, observer=lambda *o: outcomes.append(o))
        for i in range(3)
    ]
    jakarta = [w.daily("reminder-daily-Asia/Jakarta", "Asia/Jakarta", job) for w in workers]
    await asyncio.gather(*(fire("Asia/Jakarta") for fire in jakarta))
    assert len(ran) == 1
    assert sorted(o for _, o in outcomes) == ["ok", "skipped", "skipped"]

    # Another zone's job is another job; two minutes later Jakarta is on a new day.
    jayapura = workers[0].daily("reminder-daily-Asia/Jayapura", "Asia/Jayapura", job)
    await jayapura("Asia/Jayapura")
    clock.now = NOW + timedelta(minutes=2)
    await asyncio.gather(*(fire("Asia/Jakarta") for fire in jakarta))
    assert [zone for zone, _ in ran] == ["Asia/Jakarta", "Asia/Jayapura", "Asia/Jakarta"]


@pytest.mark.storage
async def test_an_interval_job_fires_once_per_slot_and_a_failure_is_not_rerun(
    sessions: SessionFactory,
) -> None:
    clock = Clock(NOW)
    outcomes: list[str] = []
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    workers = [
        JobClaims(sessions, worker=f"w{i}", clock=clock, observer=lambda _j, o: outcomes.append(o))
        for i in range(2)
    ]
    fires = [w.every("broadcast-progress", 5, flaky) for w in workers]
    await asyncio.gather(*(fire() for fire in fires))
    await fires[0]()  # same 5-second slot: already claimed
    assert calls == 1
    assert sorted(outcomes) == ["error", "skipped", "skipped"]
    clock.now = NOW + timedelta(seconds=5)
    await fires[1]()
    assert calls == 2
