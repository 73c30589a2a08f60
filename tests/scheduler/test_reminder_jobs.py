"""Reminder jobs at fixed instants: who is nudged, in which zone, on which days, and never twice.

The demo roster: Rina (admin, BKPSDM) and Ahmad with his staff Siti, Budi and Dewi (DISKOMINFO)
in WIB, Andi and Nurul (UPT-TIMUR) in WITA; Dewi is moved to a WIT unit here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, update

from bot.chat.capabilities import WEB
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.chat.replies import Text
from handlers import ROUTERS
from kinerja.activities import WorkPolicy
from kinerja.calendar import DayKind
from kinerja.reminders import Audience, AudienceKind
from scheduler.reminder_jobs import ReminderJobs
from storage.models import Activity, Employee, OutboxMessage, Rhk, Unit
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, ATASAN_WITA, STAFF, link, seed

BUDI = "199201102019031003"
DEWI = "199405122021212001"
NURUL = "199603172020122005"


def at(year: int, month: int, day: int, hour_utc: int) -> datetime:
    return datetime(year, month, day, hour_utc, 0, tzinfo=UTC)


async def prepare(sessions: SessionFactory) -> dict[str, int]:
    """Everyone linked on the web chat as `<name>`; Dewi moved to a WIT unit."""
    await seed(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.units.create("PAPUA", "UPT Papua", "Asia/Jayapura")
        papua = await uow.session.scalar(select(Unit.id).where(Unit.code == "PAPUA"))
        await uow.session.execute(
            update(Employee).where(Employee.nip == DEWI).values(unit_id=papua)
        )
        await uow.commit()
    ids = {}
    for name, nip in (
        ("rina", ADMIN),
        ("ahmad", ATASAN),
        ("siti", STAFF),
        ("budi", BUDI),
        ("dewi", DEWI),
        ("andi", ATASAN_WITA),
        ("nurul", NURUL),
    ):
        ids[name] = (await link(sessions, "web", name, nip)).id
    return ids


def jobs(sessions: SessionFactory, instant: datetime) -> ReminderJobs:
    return ReminderJobs(sessions, WorkPolicy(), clock=lambda: instant)


async def queued(sessions: SessionFactory, purpose: str | None = None) -> list[tuple[str, Any]]:
    async with UnitOfWork(sessions) as uow:
        query = select(OutboxMessage.recipient, OutboxMessage.payload, OutboxMessage.purpose)
        rows = (await uow.session.execute(query.order_by(OutboxMessage.id))).all()
    found = [(r[0], r[1]) for r in rows if purpose is None or r[2] == purpose]
    return sorted(found, key=lambda row: (row[0], repr(row[1])))


async def recipients(sessions: SessionFactory, purpose: str) -> list[str]:
    return sorted(recipient for recipient, _ in await queued(sessions, purpose))


async def log(
    sessions: SessionFactory, employee_id: int, day: date, status: str = "diajukan"
) -> None:
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            insert(Activity).values(
                employee_id=employee_id,
                work_date=day,
                minutes=60,
                description="Rapat",
                status=status,
            )
        )
        await uow.commit()


async def test_daily_nudge_at_local_afternoon_in_each_zone_once(sessions: SessionFactory) -> None:
    ids = await prepare(sessions)
    await log(sessions, ids["siti"], date(2026, 11, 25))  # Siti logged today
    async with UnitOfWork(sessions) as uow:
        await uow.calendar.add_leave(ids["budi"], date(2026, 11, 24), date(2026, 11, 26), "", None)
        await uow.commit()
    # Wed 25 Nov 2026, 14.00 WIB = 07.00 UTC.
    wib = at(2026, 11, 25, 7)
    assert await jobs(sessions, wib).afternoon("Asia/Jakarta") == 2
    assert await jobs(sessions, wib).afternoon("Asia/Jakarta") == 0  # a re-run: nothing twice
    assert await recipients(sessions, "reminder_daily") == ["ahmad", "rina"]
    # 14.00 WITA and WIT are earlier in UTC; each zone reaches only its own units.
    assert await jobs(sessions, at(2026, 11, 25, 6)).afternoon("Asia/Makassar") == 2
    assert await jobs(sessions, at(2026, 11, 25, 5)).afternoon("Asia/Jayapura") == 1
    assert await recipients(sessions, "reminder_daily") == [
        "ahmad",
        "andi",
        "dewi",
        "nurul",
        "rina",
    ]
    payloads = {r: p for r, p in await queued(sessions, "reminder_daily")}
    assert payloads["dewi"] == {"day": "2026-11-25"}


async def test_no_nudge_on_holidays_cuti_bersama_weekends_or_admins_days_off(
    sessions: SessionFactory,
) -> None:
    await prepare(sessions)
    for instant in (
        at(2026, 12, 24, 7),  # Thu: cuti bersama Natal (packaged)
        at(2026, 12, 25, 7),  # Fri: Natal
        at(2026, 11, 28, 7),  # Saturday
    ):
        assert await jobs(sessions, instant).afternoon("Asia/Jakarta") == 0
    async with UnitOfWork(sessions) as uow:
        await uow.calendar.set_day(date(2026, 11, 26), DayKind.DAY_OFF, "Libur daerah", None)
        await uow.commit()
    assert await jobs(sessions, at(2026, 11, 26, 7)).afternoon("Asia/Jakarta") == 0
    # A packaged holiday an admin marks as worked gets reminders again.
    async with UnitOfWork(sessions) as uow:
        await uow.calendar.set_day(date(2026, 12, 24), DayKind.WORKED, "Masuk", None)
        await uow.commit()
    assert await jobs(sessions, at(2026, 12, 24, 7)).afternoon("Asia/Jakarta") == 4


async def test_a_six_day_unit_is_nudged_on_saturday(sessions: SessionFactory) -> None:
    await prepare(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            update(Unit).where(Unit.code == "DISKOMINFO").values(six_day_week=True)
        )
        await uow.commit()
    assert await jobs(sessions, at(2026, 11, 28, 7)).afternoon("Asia/Jakarta") == 3
    assert await recipients(sessions, "reminder_daily") == ["ahmad", "budi", "siti"]


async def test_deactivated_unlinked_and_unreachable_get_nothing(sessions: SessionFactory) -> None:
    ids = await prepare(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            update(Employee).where(Employee.id == ids["siti"]).values(active=False)
        )
        await uow.identities.unlink_employee(ids["rina"])
        await uow.reminders.mark_unreachable("web", "ahmad", at(2026, 11, 1, 0))
        await uow.commit()
    assert await jobs(sessions, at(2026, 11, 25, 7)).afternoon("Asia/Jakarta") == 1
    assert await recipients(sessions, "reminder_daily") == ["budi"]


async def test_next_morning_nudge_for_the_last_working_day(sessions: SessionFactory) -> None:
    ids = await prepare(sessions)
    friday = date(2026, 11, 27)
    await log(sessions, ids["siti"], friday)
    async with UnitOfWork(sessions) as uow:
        await uow.calendar.add_leave(ids["budi"], friday, friday, "", None)
        await uow.commit()
    monday = at(2026, 11, 30, 1)  # 08.00 WIB
    await jobs(sessions, monday).morning("Asia/Jakarta")
    await jobs(sessions, monday).morning("Asia/Jakarta")
    gaps = await queued(sessions, "reminder_gap")
    assert gaps == [("ahmad", {"day": "2026-11-27"}), ("rina", {"day": "2026-11-27"})]


async def test_month_end_and_cut_off_warnings_h3_h1(sessions: SessionFactory) -> None:
    ids = await prepare(sessions)
    await log(sessions, ids["siti"], date(2026, 11, 20), status="revisi")
    await log(sessions, ids["budi"], date(2026, 11, 20), status="diajukan")
    # November ends on Monday 30th: H-3 is Friday 27th; H-1 (Sunday) moves to Friday too.
    assert await jobs(sessions, at(2026, 11, 26, 1)).morning("Asia/Jakarta") >= 0
    assert await queued(sessions, "reminder_closing") == []
    await jobs(sessions, at(2026, 11, 27, 1)).morning("Asia/Jakarta")
    await jobs(sessions, at(2026, 11, 27, 1)).morning("Asia/Jakarta")
    closing = await queued(sessions, "reminder_closing")
    assert [(r, p["kind"], p["role"]) for r, p in closing] == [
        ("ahmad", "month_end", "atasan"),
        ("siti", "month_end", "owner"),
    ]
    # The cut-off (5 Dec, a Saturday; cutoff day 5): H-3 on Wednesday 2 Dec, H-1 on Friday 4th.
    await jobs(sessions, at(2026, 12, 2, 1)).morning("Asia/Jakarta")
    closing = await queued(sessions, "reminder_closing")
    cutoff = [(r, p["month"], p["deadline"]) for r, p in closing if p["kind"] == "cutoff"]
    assert cutoff == [("ahmad", "2026-11-01", "2026-12-05"), ("siti", "2026-11-01", "2026-12-05")]


async def test_deadline_reminders_at_offsets_skip_those_done(sessions: SessionFactory) -> None:
    ids = await prepare(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.reminders.add_deadline(
            "SKP 2027",
            date(2026, 12, 31),
            Audience(AudienceKind.ATASAN),
            (7, 3, 1, 0),
            "skp",
            None,
        )
        await uow.session.execute(
            insert(Rhk).values(
                employee_id=ids["andi"], year=2026, number=1, title="x", target=1, unit="x"
            )
        )
        await uow.commit()
    # H-7 is Thursday 24 Dec, a cuti bersama day: it comes on Wednesday 23rd.
    await jobs(sessions, at(2026, 12, 23, 1)).morning("Asia/Jakarta")
    await jobs(sessions, at(2026, 12, 23, 0)).morning("Asia/Makassar")
    assert [(r, p["offset"]) for r, p in await queued(sessions, "reminder_deadline")] == [
        ("ahmad", 7)
    ]  # Andi (WITA) has his SKP for the year already
    await jobs(sessions, at(2026, 12, 28, 1)).morning("Asia/Jakarta")  # H-3
    assert len(await queued(sessions, "reminder_deadline")) == 2


async def test_reminders_render_with_a_button_and_vanish_once_done(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    ids = await prepare(sessions)
    now = at(2026, 11, 25, 7)
    dispatcher = Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: now)
    async with UnitOfWork(sessions) as uow:
        out = await dispatcher.render_push(
            uow, "web", "ahmad", "reminder_daily", {"day": "2026-11-25"}, WEB
        )
    assert isinstance(out[0].reply, Text)
    assert "belum mencatat kegiatan" in out[0].reply.text
    assert [b.label for row in out[0].keyboard for b in row] == ["Catat sekarang"]
    await log(sessions, ids["ahmad"], date(2026, 11, 25))
    async with UnitOfWork(sessions) as uow:
        assert (
            await dispatcher.render_push(
                uow, "web", "ahmad", "reminder_daily", {"day": "2026-11-25"}, WEB
            )
            == []
        )
    # An atasan's closing warning opens the approvals.
    await log(sessions, ids["siti"], date(2026, 11, 20))
    async with UnitOfWork(sessions) as uow:
        out = await dispatcher.render_push(
            uow,
            "web",
            "ahmad",
            "reminder_closing",
            {
                "kind": "month_end",
                "role": "atasan",
                "month": "2026-11-01",
                "deadline": "2026-11-30",
            },
            WEB,
        )
    assert "1 kegiatan pegawai" in out[0].reply.text  # type: ignore[union-attr]
    assert [b.payload for row in out[0].keyboard for b in row] == ["al:0"]
