"""The scheduler under a clock that jumps: across midnight, backwards (an NTP step), forward over
days (a suspended VM), in the three Indonesian zones, none of which has daylight saving.

What must hold: a job reads "today" in each unit's own zone, so one instant can be Monday in
WIB and Tuesday in WITA and WIT; a re-run after the clock stepped back queues nothing twice;
days off stay quiet whatever the jump; and the cron triggers fire at the same local time every
24 hours exactly, from any instant.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from kinerja.activities import WorkPolicy
from scheduler.reminder_jobs import ReminderJobs
from scheduler.runner import ZONES
from storage.models import Employee, OutboxMessage, Unit
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, ATASAN_WITA, STAFF, link, seed

DEWI = "199405122021212001"  # moved to a WIT unit below
PEOPLE = {
    "rina": (ADMIN, "Asia/Jakarta"),
    "ahmad": (ATASAN, "Asia/Jakarta"),
    "siti": (STAFF, "Asia/Jakarta"),
    "andi": (ATASAN_WITA, "Asia/Makassar"),
    "dewi": (DEWI, "Asia/Jayapura"),
}
# Monday 30 November 2026, 23:59:59 in Jakarta = Tuesday 00:59:59 WITA = 01:59:59 WIT.
BEFORE_MIDNIGHT_WIB = datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)


async def prepare(sessions: SessionFactory) -> None:
    await seed(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.units.create("PAPUA", "UPT Papua", "Asia/Jayapura")
        papua = await uow.session.scalar(select(Unit.id).where(Unit.code == "PAPUA"))
        await uow.session.execute(
            update(Employee).where(Employee.nip == DEWI).values(unit_id=papua)
        )
        await uow.commit()
    for name, (nip, _zone) in PEOPLE.items():
        await link(sessions, "web", name, nip)


async def nudged(sessions: SessionFactory) -> collections.Counter[tuple[str, str]]:
    """(recipient, local day) of every daily nudge queued, with how often."""
    async with UnitOfWork(sessions) as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.payload).where(
                OutboxMessage.purpose == "reminder_daily"
            )
        )
    return collections.Counter((str(to), str(payload["day"])) for to, payload in rows)


def _fixed(instant: datetime) -> Callable[[], datetime]:
    return lambda: instant


async def test_a_clock_that_jumps_across_midnight_and_back_nudges_each_day_once(
    sessions: SessionFactory,
) -> None:
    await prepare(sessions)
    instants = [
        BEFORE_MIDNIGHT_WIB,  # Mon in WIB, Tue in WITA/WIT
        BEFORE_MIDNIGHT_WIB + timedelta(seconds=2),  # Tue everywhere
        BEFORE_MIDNIGHT_WIB,  # the clock steps back: Mon again in WIB
        BEFORE_MIDNIGHT_WIB - timedelta(hours=30),  # further back: Sun in WIB
        BEFORE_MIDNIGHT_WIB + timedelta(days=4, hours=12),  # a suspended VM wakes: Sat
        BEFORE_MIDNIGHT_WIB + timedelta(days=7),  # Mon 7 Dec (Tue in WITA/WIT)
    ]
    expected: set[tuple[str, str]] = set()
    for instant in instants:
        jobs = ReminderJobs(sessions, WorkPolicy(), clock=_fixed(instant))
        for zone in ZONES:
            await jobs.afternoon(zone)
            local_day = instant.astimezone(ZoneInfo(zone)).date()
            if local_day.weekday() < 5:  # the demo units work Monday to Friday
                expected |= {
                    (to, local_day.isoformat()) for to, (_, z) in PEOPLE.items() if z == zone
                }
    found = await nudged(sessions)
    assert set(found) == expected
    assert set(found.values()) == {1}  # nothing twice, whatever the clock did
    assert ("siti", "2026-11-30") in found and ("andi", "2026-12-01") in found
    assert not any(day in ("2026-11-29", "2026-12-05") for _to, day in found)  # Sun, Sat


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    now=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 30, 59]),
)
def test_cron_triggers_fire_at_the_same_local_time_every_24_hours(
    now: datetime, zone: str, hour: int, minute: int
) -> None:
    trigger = CronTrigger(hour=hour, minute=minute, timezone=zone)
    first = trigger.get_next_fire_time(None, now)
    assert first is not None
    assert now <= first < now + timedelta(days=1)
    local = first.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (hour, minute)
    second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
    assert second is not None and second - first == timedelta(days=1)  # no DST, ever
    offset = {"Asia/Jakarta": 7, "Asia/Makassar": 8, "Asia/Jayapura": 9}[zone]
    assert local.utcoffset() == timedelta(hours=offset)


def test_the_zones_have_no_daylight_saving_in_the_tz_database() -> None:
    """The fixed offsets the reminders rely on, on every day of a decade."""
    for zone, hours in (("Asia/Jakarta", 7), ("Asia/Makassar", 8), ("Asia/Jayapura", 9)):
        info = ZoneInfo(zone)
        day = date(2025, 1, 1)
        while day.year < 2035:
            moment = datetime(day.year, day.month, day.day, 12, tzinfo=info)
            assert moment.utcoffset() == timedelta(hours=hours)
            assert moment.dst() in (None, timedelta(0))
            day += timedelta(days=17)
