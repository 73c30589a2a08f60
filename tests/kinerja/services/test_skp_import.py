"""SKP import against a real database (SQLite and PostgreSQL): RHK ids survive re-imports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select, update

from kinerja.roster import RowError
from kinerja.services.skp_import import SkpImportSummary, import_skp
from kinerja.skp import RhkItem, SkpWarning, parse_skp
from kinerja.tabular import TableRow
from storage.models import Activity, AuditEntry, Employee, Rhk
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ATASAN, STAFF, seed

TODAY = date(2026, 3, 10)
HEADER = "nip,tahun,rhk,indikator,target,satuan\n"
BUDI = "199201102019031003"


def skp(*lines: str) -> list[TableRow]:
    return parse_skp((HEADER + "\n".join(lines) + "\n").encode(), "skp.csv")


async def run(
    sessions: SessionFactory,
    rows: list[TableRow],
    *,
    strict: bool = False,
    only_year: int | None = None,
) -> SkpImportSummary:
    async with UnitOfWork(sessions) as uow:
        summary = await import_skp(uow, rows, today=TODAY, strict=strict, only_year=only_year)
        await uow.commit()
    return summary


async def employee_id(sessions: SessionFactory, nip: str) -> int:
    async with UnitOfWork(sessions) as uow:
        person = await uow.employees.person_by_nip(nip)
    assert person is not None
    return person.id


async def rhk_of(sessions: SessionFactory, nip: str, year: int = 2026) -> list[RhkItem]:
    employee = await employee_id(sessions, nip)
    async with UnitOfWork(sessions) as uow:
        return await uow.rhk.for_employee(employee, year)


async def log_activity(sessions: SessionFactory, nip: str, rhk_id: int) -> None:
    employee = await employee_id(sessions, nip)
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            insert(Activity).values(
                employee_id=employee,
                work_date=date(2026, 3, 2),
                minutes=90,
                description="Menyusun draf laporan",
                rhk_id=rhk_id,
                status="diajukan",
            )
        )
        await uow.commit()


def counts(summary: SkpImportSummary) -> tuple[int, int, int, int, int, int]:
    return (
        summary.employees,
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.deleted,
        summary.kept,
    )


FIRST = skp(
    f"{STAFF},2026,Tersusunnya laporan evaluasi kinerja,Jumlah laporan,12,laporan",
    f"{ATASAN},2026,Terlaksananya koordinasi bidang,,4,kegiatan",
    f'{STAFF},2026,Terbangunnya aplikasi layanan,Jumlah modul,"2,5",modul',
    f"{STAFF},2026,Terkelolanya data kepegawaian,,1.000,berkas",
)


async def test_first_import_creates_numbered_rhk(sessions: SessionFactory) -> None:
    await seed(sessions)
    summary = await run(sessions, FIRST)
    assert counts(summary) == (2, 4, 0, 0, 0, 0)
    assert summary.rows == 4
    assert summary.errors == ()
    assert summary.warnings == ()

    items = await rhk_of(sessions, STAFF)
    assert [(item.number, item.title, item.target, item.unit) for item in items] == [
        (1, "Tersusunnya laporan evaluasi kinerja", Decimal(12), "laporan"),
        (2, "Terbangunnya aplikasi layanan", Decimal("2.5"), "modul"),
        (3, "Terkelolanya data kepegawaian", Decimal(1000), "berkas"),
    ]
    assert items[0].indicator == "Jumlah laporan"
    assert await rhk_of(sessions, STAFF, 2025) == []
    async with UnitOfWork(sessions) as uow:
        assert await uow.rhk.get(items[1].id) == items[1]
        assert await uow.rhk.get(items[-1].id + 1000) is None
        audit = (
            await uow.session.execute(
                select(AuditEntry.actor, AuditEntry.subject_type, AuditEntry.detail).where(
                    AuditEntry.action == "skp.import"
                )
            )
        ).one()
    assert audit.actor == "cli"
    assert audit.subject_type == "skp"
    assert audit.detail == {
        "rows": 4,
        "employees": 2,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "kept": 0,
        "skipped": 0,
        "bad_rows": 0,
        "year": None,
    }


async def test_reimporting_the_same_file_changes_nothing(sessions: SessionFactory) -> None:
    await seed(sessions)
    await run(sessions, FIRST)
    before = await rhk_of(sessions, STAFF)
    summary = await run(sessions, FIRST)
    assert counts(summary) == (2, 0, 0, 4, 0, 0)
    assert await rhk_of(sessions, STAFF) == before


async def test_a_changed_target_updates_the_rhk_in_place(sessions: SessionFactory) -> None:
    await seed(sessions)
    await run(sessions, FIRST)
    before = await rhk_of(sessions, STAFF)
    changed = skp(
        f"{STAFF},2026,Tersusunnya laporan evaluasi kinerja,Jumlah laporan,12,laporan",
        f"{STAFF},2026,Terbangunnya aplikasi layanan,Jumlah modul,3,modul",
        f"{STAFF},2026,Terkelolanya arsip kepegawaian,Jumlah berkas,1.000,berkas",
    )
    summary = await run(sessions, changed)
    assert counts(summary) == (1, 0, 2, 1, 0, 0)
    after = await rhk_of(sessions, STAFF)
    assert [item.id for item in after] == [item.id for item in before]
    assert after[1].target == Decimal(3)
    assert (after[2].title, after[2].indicator) == (
        "Terkelolanya arsip kepegawaian",
        "Jumlah berkas",
    )
    # The atasan's SKP is not in the file, so it is left alone.
    assert len(await rhk_of(sessions, ATASAN)) == 1


async def test_growing_an_skp_adds_the_new_numbers(sessions: SessionFactory) -> None:
    await seed(sessions)
    await run(sessions, FIRST)
    grown = skp(
        f"{ATASAN},2026,Terlaksananya koordinasi bidang,,4,kegiatan",
        f"{ATASAN},2026,Tersusunnya rencana strategis,,1,dokumen",
    )
    summary = await run(sessions, grown)
    assert counts(summary) == (1, 1, 0, 1, 0, 0)
    assert [item.number for item in await rhk_of(sessions, ATASAN)] == [1, 2]


async def test_shrinking_deletes_unused_rhk(sessions: SessionFactory) -> None:
    await seed(sessions)
    await run(sessions, FIRST)
    shrunk = skp(f"{STAFF},2026,Tersusunnya laporan evaluasi kinerja,Jumlah laporan,12,laporan")
    summary = await run(sessions, shrunk)
    assert counts(summary) == (1, 0, 0, 1, 2, 0)
    assert summary.warnings == ()
    assert [item.number for item in await rhk_of(sessions, STAFF)] == [1]


async def test_shrinking_keeps_rhk_that_activities_use(sessions: SessionFactory) -> None:
    await seed(sessions)
    await run(sessions, FIRST)
    third = (await rhk_of(sessions, STAFF))[2]
    await log_activity(sessions, STAFF, third.id)
    await log_activity(sessions, STAFF, third.id)

    shrunk = skp(f"{STAFF},2026,Tersusunnya laporan evaluasi kinerja,Jumlah laporan,12,laporan")
    summary = await run(sessions, shrunk)
    assert counts(summary) == (1, 0, 0, 1, 1, 1)
    assert summary.errors == ()
    assert summary.warnings == (
        SkpWarning(
            "skp.kept_referenced", {"nip": STAFF, "year": 2026, "number": 3, "activities": 2}
        ),
    )
    left = await rhk_of(sessions, STAFF)
    assert [(item.number, item.id) for item in left] == [(1, left[0].id), (3, third.id)]
    async with UnitOfWork(sessions) as uow:
        linked = await uow.session.scalar(
            select(func.count(Activity.id)).where(Activity.rhk_id == third.id)
        )
    assert linked == 2


async def test_other_years_and_other_people_are_untouched(sessions: SessionFactory) -> None:
    await seed(sessions)
    await run(sessions, FIRST)
    await run(sessions, skp(f"{STAFF},2025,Tersusunnya laporan tahun lalu,,6,laporan"))
    assert len(await rhk_of(sessions, STAFF)) == 3
    assert [item.title for item in await rhk_of(sessions, STAFF, 2025)] == [
        "Tersusunnya laporan tahun lalu"
    ]
    assert len(await rhk_of(sessions, ATASAN)) == 1


async def test_bad_rows_hold_back_their_employee_year_only(sessions: SessionFactory) -> None:
    await seed(sessions)
    await run(sessions, FIRST)
    before = await rhk_of(sessions, STAFF)
    mixed = skp(
        f"{STAFF},2026,Tersusunnya laporan evaluasi kinerja,Jumlah laporan,99,laporan",
        f"{STAFF},2026,Terbangunnya aplikasi layanan,,0,modul",
        f"{ATASAN},2026,Terlaksananya koordinasi bidang,,8,kegiatan",
    )
    summary = await run(sessions, mixed)
    assert counts(summary) == (1, 0, 1, 0, 0, 0)
    assert [(error.row, error.code) for error in summary.errors] == [
        (2, "skp.group_rejected"),
        (3, "skp.target"),
    ]
    assert summary.bad_rows == 2
    assert await rhk_of(sessions, STAFF) == before
    assert (await rhk_of(sessions, ATASAN))[0].target == Decimal(8)


async def test_strict_import_with_a_bad_row_changes_nothing(sessions: SessionFactory) -> None:
    await seed(sessions)
    rows = skp(
        f"{ATASAN},2026,Terlaksananya koordinasi bidang,,4,kegiatan",
        f"{STAFF},2026,Tersusunnya laporan,,12,",
    )
    summary = await run(sessions, rows, strict=True)
    assert not summary.applied
    assert summary.errors == (RowError(3, "satuan", "skp.unit", {"max": 64}),)
    async with UnitOfWork(sessions) as uow:
        assert await uow.session.scalar(select(func.count(Rhk.id))) == 0
        assert await uow.audit.actions("skp") == []


async def test_only_year_leaves_the_other_years_of_the_file_alone(
    sessions: SessionFactory,
) -> None:
    await seed(sessions)
    rows = skp(
        f"{STAFF},2025,Tersusunnya laporan tahun lalu,,6,laporan",
        f"{STAFF},2026,Tersusunnya laporan evaluasi kinerja,,12,laporan",
        f"{ATASAN},2027,Tersusunnya rencana,,1,dokumen",
    )
    summary = await run(sessions, rows, only_year=2026)
    assert counts(summary) == (1, 1, 0, 0, 0, 0)
    assert (summary.rows, summary.skipped) == (3, 2)
    assert await rhk_of(sessions, STAFF, 2025) == []
    assert await rhk_of(sessions, ATASAN, 2027) == []
    assert len(await rhk_of(sessions, STAFF)) == 1


async def test_an_inactive_employee_gets_no_skp(sessions: SessionFactory) -> None:
    await seed(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            update(Employee).where(Employee.nip == BUDI).values(active=False)
        )
        await uow.commit()
    summary = await run(sessions, skp(f"{BUDI},2026,Tersusunnya laporan,,1,laporan"))
    assert [(error.row, error.code) for error in summary.errors] == [(2, "skp.unknown_nip")]
    assert summary.employees == 0
    assert await rhk_of(sessions, BUDI) == []


async def test_a_large_file_is_applied_in_batches(sessions: SessionFactory) -> None:
    await seed(sessions)
    nips = [STAFF, ATASAN, BUDI]
    lines = [
        f"{nip},2026,RHK nomor {n} milik {nip},,{n},dokumen" for nip in nips for n in range(1, 51)
    ]
    assert counts(await run(sessions, skp(*lines))) == (3, 150, 0, 0, 0, 0)
    changed = [line.replace(",dokumen", ",laporan") for line in lines[:75]] + lines[75:100]
    summary = await run(sessions, skp(*changed))
    assert counts(summary) == (2, 0, 75, 25, 0, 0)
    assert [item.unit for item in await rhk_of(sessions, ATASAN)][:26] == ["laporan"] * 25 + [
        "dokumen"
    ]
