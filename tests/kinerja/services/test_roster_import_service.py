"""Roster import against a real database (SQLite and PostgreSQL): history survives re-imports."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select

from kinerja.roster import RawRow, parse_roster
from kinerja.services.roster_import import ImportSummary, import_roster
from storage.models import Activity, AuditEntry
from storage.uow import SessionFactory, UnitOfWork

HEADER = "nip,nama,jabatan,unit,atasan_nip,telepon,peran\n"
BOSS = "197503152000031002"
ANA = "199008242015032001"
BUDI = "199201102019031003"


def roster(*lines: str) -> list[RawRow]:
    return parse_roster((HEADER + "\n".join(lines) + "\n").encode(), "r.csv")


async def run(
    sessions: SessionFactory, rows: list[RawRow], *, partial: bool = False, strict: bool = False
) -> ImportSummary:
    async with UnitOfWork(sessions) as uow:
        summary = await import_roster(
            uow, rows, default_timezone="Asia/Makassar", partial=partial, strict=strict
        )
        await uow.commit()
    return summary


FIRST = roster(
    f"{BOSS},Bos,Kepala,Dinas Kominfo,,081200000001,admin",
    f"{ANA},Ana,Staf,Dinas Kominfo,{BOSS},081200000002,",
    f"{BUDI},Budi,Staf,Dinas Kominfo,{BOSS},,pegawai",
)


async def test_first_import_creates_people_units_and_supervisors(sessions: SessionFactory) -> None:
    summary = await run(sessions, FIRST)
    assert (summary.created, summary.updated, summary.unchanged) == (3, 0, 0)
    assert summary.units_created == ("DINAS-KOMINFO",)
    async with UnitOfWork(sessions) as uow:
        ana = await uow.employees.person_by_nip(ANA)
        boss = await uow.employees.person_by_nip(BOSS)
        units = await uow.units.all()
        audit = await uow.session.scalar(select(func.count(AuditEntry.id)))
    assert ana is not None and boss is not None
    assert ana.supervisor_nip == BOSS and boss.staff_count == 2
    assert boss.menu_role.value == "admin"
    assert units[0].timezone == "Asia/Makassar"
    assert audit == 1


async def test_reimport_moves_people_and_keeps_their_history(sessions: SessionFactory) -> None:
    await run(sessions, FIRST)
    async with UnitOfWork(sessions) as uow:
        ana_before = await uow.employees.person_by_nip(ANA)
        assert ana_before is not None
        await uow.session.execute(
            insert(Activity).values(
                employee_id=ana_before.id,
                work_date=date(2026, 11, 2),
                minutes=90,
                description="Rapat koordinasi",
            )
        )
        await uow.commit()

    moved = roster(
        f"{BOSS},Bos,Kepala,DINAS-KOMINFO,,081200000001,admin",
        f"{BUDI},Budi,Kepala Seksi,UPT Timur,{BOSS},,pegawai",
        f"{ANA},Ana,Staf,upt timur,{BUDI},081200000002,pegawai",
    )
    summary = await run(sessions, moved)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, 1)
    assert summary.units_created == ("UPT-TIMUR",)
    async with UnitOfWork(sessions) as uow:
        ana = await uow.employees.person_by_nip(ANA)
        owners = list(await uow.session.scalars(select(Activity.employee_id)))
    assert ana is not None and ana_before is not None
    assert ana.id == ana_before.id and owners == [ana.id]
    assert (ana.unit_code, ana.supervisor_nip) == ("UPT-TIMUR", BUDI)


async def test_missing_people_are_deactivated_then_reactivated(sessions: SessionFactory) -> None:
    await run(sessions, FIRST)
    without_budi = roster(
        f"{BOSS},Bos,Kepala,Dinas Kominfo,,081200000001,admin",
        f"{ANA},Ana,Staf,Dinas Kominfo,{BOSS},081200000002,",
    )
    summary = await run(sessions, without_budi)
    assert summary.deactivated == 1
    async with UnitOfWork(sessions) as uow:
        budi = await uow.employees.person_by_nip(BUDI)
    assert budi is not None and not budi.active

    summary = await run(sessions, FIRST)
    assert (summary.reactivated, summary.updated, summary.unchanged) == (1, 0, 2)


async def test_partial_import_deactivates_nobody_and_may_name_existing_atasan(
    sessions: SessionFactory,
) -> None:
    await run(sessions, FIRST)
    newcomer = "199603172020122005"
    summary = await run(
        sessions, roster(f"{newcomer},Nurul,Staf,Dinas Kominfo,{BOSS},,"), partial=True
    )
    assert (summary.created, summary.deactivated, summary.errors) == (1, 0, ())
    async with UnitOfWork(sessions) as uow:
        boss = await uow.employees.person_by_nip(BOSS)
    assert boss is not None and boss.staff_count == 3


async def test_bad_rows_are_reported_and_valid_rows_applied(sessions: SessionFactory) -> None:
    rows = roster(
        f"{BOSS},Bos,Kepala,Dinas Kominfo,,081200000001,admin",
        "12345,Salah,Staf,Dinas Kominfo,,,",
        f"{ANA},Ana,Staf,Dinas Kominfo,199001012015031999,,",
    )
    summary = await run(sessions, rows)
    assert summary.created == 1
    assert [(error.row, error.column, error.code) for error in summary.errors] == [
        (3, "nip", "nip.length"),
        (4, "atasan_nip", "row.supervisor_unknown"),
    ]


async def test_strict_imports_nothing_when_a_row_is_bad(sessions: SessionFactory) -> None:
    rows = roster(f"{BOSS},Bos,Kepala,Dinas Kominfo,,,admin", "12345,Salah,Staf,Dinas,,,")
    summary = await run(sessions, rows, strict=True)
    assert not summary.applied and summary.created == 0
    async with UnitOfWork(sessions) as uow:
        assert await uow.employees.snapshot() == {}
        assert await uow.units.all() == []


async def test_a_unit_admin_is_an_admin_scoped_to_their_unit_and_exports_as_such(
    sessions: SessionFactory,
) -> None:
    await run(
        sessions,
        roster(
            f"{BOSS},Bos,Kepala,Dinas Kominfo,,,admin",
            f"{ANA},Ana,Operator,Dinas Kesehatan,,,admin_unit",
        ),
        partial=True,
    )
    async with UnitOfWork(sessions) as uow:
        ana = await uow.employees.person_by_nip(ANA)
        boss = await uow.employees.person_by_nip(BOSS)
        assert ana is not None and boss is not None
        health = {unit.name: unit.id for unit in await uow.units.all()}["Dinas Kesehatan"]
        assert ana.menu_role.value == "admin"
        assert await uow.reminders.admin_unit_of(ana.id) == health
        assert await uow.reminders.admin_unit_of(boss.id) is None
        exported = {row[0]: row[6] for row in await uow.employees.export_rows()}
    assert exported == {BOSS: "admin", ANA: "admin_unit"}

    # Made a whole-organisation admin by the next import: the scope goes; unchanged stays so.
    again = roster(f"{ANA},Ana,Operator,Dinas Kesehatan,,,admin")
    assert (await run(sessions, again, partial=True)).updated == 1
    assert (await run(sessions, again, partial=True)).unchanged == 1
    async with UnitOfWork(sessions) as uow:
        ana = await uow.employees.person_by_nip(ANA)
        assert ana is not None
        assert await uow.reminders.admin_unit_of(ana.id) is None
