"""The monthly recap: the XLSX opened with openpyxl matches the database row by row (everyone
in scope, those who logged nothing with zeros and "—"), the chat shows the same figures, an empty
month is a valid file of zero rows, and the CLI writes it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from bot.chat.capabilities import TELEGRAM
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.chat.replies import Document
from bot.render.recap_file import recap_csv, recap_xlsx
from handlers import ROUTERS
from kinerja.evaluation import PeriodKind
from kinerja.recap import RECAP_COLUMNS
from kinerja.services.recap import monthly_recap
from storage.models import Activity, Employee, Unit
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, STAFF, Chat, link
from tests.support.cli import isolate, kinerja
from tests.support.performance import add_entry, add_evaluation, employee_id, seed_with_skp

BUDI = "199201102019031003"
NOV = date(2026, 11, 1)


async def fill(sessions: SessionFactory) -> None:
    await seed_with_skp(sessions)
    siti, budi = await employee_id(sessions, STAFF), await employee_id(sessions, BUDI)
    ahmad = await employee_id(sessions, ATASAN)
    await add_entry(sessions, siti, date(2026, 11, 2), 120)
    await add_entry(sessions, siti, date(2026, 11, 2), 90, "diajukan", on_time=False)
    await add_entry(sessions, siti, date(2026, 11, 3), 60, "ditolak")
    await add_entry(sessions, siti, date(2026, 11, 4), 45, "revisi")
    await add_entry(sessions, siti, date(2026, 11, 5), 30, "draft")  # not submitted: not counted
    await add_entry(sessions, budi, date(2026, 11, 20), 300, on_time=False)
    await add_entry(sessions, budi, date(2026, 10, 30), 300)  # another month
    await add_evaluation(sessions, budi, ahmad, "2026-Q4", "sangat_baik")


def header(key: str) -> str:
    return key


def name_of(value: str) -> str:
    return value


async def expected_from_database(sessions: SessionFactory, unit: str) -> dict[str, list[object]]:
    """The recap worked out independently, in Python, from the raw rows."""
    async with UnitOfWork(sessions) as uow:
        people = list(
            await uow.session.execute(
                select(Employee.id, Employee.nip)
                .join(Unit, Unit.id == Employee.unit_id)
                .where(Unit.code == unit, Employee.active.is_(True))
            )
        )
        entries = list(
            await uow.session.execute(
                select(
                    Activity.employee_id,
                    Activity.work_date,
                    Activity.minutes,
                    Activity.status,
                    Activity.on_time,
                ).where(Activity.work_date >= NOV, Activity.work_date <= date(2026, 11, 30))
            )
        )
    expected: dict[str, list[object]] = {}
    for person_id, nip in people:
        mine = [e for e in entries if e.employee_id == person_id and e.status != "draft"]
        count = len(mine)

        def pct(part: int, whole: int = count) -> float | str:
            if not whole:
                return "—"
            return float((Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP))

        expected[nip] = [
            len({e.work_date for e in mine}),
            count,
            sum(e.minutes for e in mine if e.status != "ditolak"),
            sum(e.minutes for e in mine if e.status == "disetujui"),
            pct(sum(1 for e in mine if e.status == "disetujui")),
            pct(sum(1 for e in mine if e.on_time)),
            sum(1 for e in mine if e.status == "diajukan"),
        ]
    return expected


async def test_xlsx_matches_the_database(sessions: SessionFactory) -> None:
    await fill(sessions)
    async with UnitOfWork(sessions) as uow:
        recap = await monthly_recap(uow, NOV, PeriodKind.QUARTERLY, unit_code="diskominfo")
    data = recap_xlsx(recap, header, name_of, "2026-11")
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(RECAP_COLUMNS)
    expected = await expected_from_database(sessions, "DISKOMINFO")
    assert {row[0] for row in rows[1:]} == set(expected)  # everyone, those who logged nothing too
    by_nip = {row[0]: row for row in rows[1:]}
    for nip, figures in expected.items():
        row = by_nip[nip]
        assert row[3:10] == figures, nip
    assert by_nip[STAFF][3:10] == [3, 4, 255, 120, 25.0, 75.0, 1]
    assert by_nip[ATASAN][3:10] == [0, 0, 0, 0, "—", "—", 0]  # logged nothing, still listed
    assert by_nip[BUDI][10] == "sangat_baik" and by_nip[STAFF][10] is None
    assert isinstance(by_nip[STAFF][0], str)  # the NIP stays text

    # CSV carries the same rows.
    lines = list(csv.reader(io.StringIO(recap_csv(recap, header, name_of).decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == [row[0] for row in rows[1:]]


async def test_an_empty_month_lists_everyone_with_zeros(sessions: SessionFactory) -> None:
    await fill(sessions)
    async with UnitOfWork(sessions) as uow:
        recap = await monthly_recap(uow, date(2026, 5, 1), PeriodKind.QUARTERLY, unit_code="ALL")
        active = set(
            await uow.session.scalars(select(Employee.nip).where(Employee.active.is_(True)))
        )
    assert {row.nip for row in recap.rows} == active and len(recap.rows) == len(active)
    assert recap.entries == 0 and recap.approved_pct is None
    sheet = load_workbook(io.BytesIO(recap_xlsx(recap, header, name_of, "x"))).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(RECAP_COLUMNS)
    assert {row[0] for row in rows[1:]} == active
    assert all(row[3:10] == [0, 0, 0, 0, "—", "—", 0] for row in rows[1:])
    lines = list(csv.reader(io.StringIO(recap_csv(recap, header, name_of).decode("utf-8-sig"))))
    assert {line[0] for line in lines[1:]} == active
    assert all(line[3:10] == ["0", "0", "0", "0", "—", "—", "0"] for line in lines[1:])


async def test_a_unit_without_employees_is_a_header_only_file(sessions: SessionFactory) -> None:
    await fill(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(insert(Unit).values(code="KOSONG", name="Unit kosong"))
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        recap = await monthly_recap(uow, NOV, PeriodKind.QUARTERLY, unit_code="KOSONG")
    assert recap.rows == ()
    sheet = load_workbook(io.BytesIO(recap_xlsx(recap, header, name_of, "x"))).active
    assert sheet is not None
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [list(RECAP_COLUMNS)]


async def test_chat_shows_the_figures_of_the_file(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await fill(sessions)
    now = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    dispatcher = Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: now)
    await link(sessions, "telegram", "r1", ADMIN)
    admin = Chat(dispatcher, "r1", channel="telegram", caps=TELEGRAM)
    await admin.send("/laporan")
    await admin.press("DISKOMINFO")
    text = admin.text
    assert "Rekap November 2026</b> — DISKOMINFO" in text
    assert "Siti Nurhaliza, S.T.</b>: 3 hari, 4 entri, 255 menit, disetujui 25%" in text
    assert "tepat waktu 75%, menunggu 1" in text
    assert "Budi Santoso, A.Md.</b>: 1 hari, 1 entri, 300 menit, disetujui 100%" in text
    assert "predikat Sangat Baik" in text
    # Who logged nothing is listed too, with "—" for shares of no entries.
    assert (
        "Ahmad Fauzi, M.Si.</b>: 0 hari, 0 entri, 0 menit, disetujui —, tepat waktu —, menunggu 0"
        in text
    )
    await admin.press("Unduh XLSX")
    [out] = admin.last
    assert (
        isinstance(out.reply, Document) and out.reply.filename == "rekap-diskominfo-2026-11.xlsx"
    )
    sheet = load_workbook(io.BytesIO(out.reply.data)).active
    assert sheet is not None
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[STAFF][3:10] == (3, 4, 255, 120, 25, 75, 1)
    assert rows[BUDI][10] == "Sangat Baik"

    # An atasan sees only their own staff, whatever the button says.
    await link(sessions, "telegram", "a1", ATASAN)
    atasan = Chat(dispatcher, "a1", channel="telegram", caps=TELEGRAM)
    await atasan.press_payload("rp:UPT-TIMUR:2026-11")
    assert "staf Bapak/Ibu" in atasan.text and "Nurul" not in atasan.text
    assert "Siti" in atasan.text
    # Staff cannot ask for a recap.
    await link(sessions, "telegram", "s1", STAFF)
    staff = Chat(dispatcher, "s1", channel="telegram", caps=TELEGRAM)
    await staff.press_payload("rf:ALL:2026-11:xlsx")
    assert not any(isinstance(out.reply, Document) for out in staff.last)


async def test_cli_writes_the_monthly_recap(
    db_url: str, sessions: SessionFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await fill(sessions)
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert await kinerja("report", "monthly", "--unit", "DISKOMINFO", "--month", "2026-11") == 0
    sheet = load_workbook(tmp_path / "rekap-diskominfo-2026-11.xlsx").active
    assert sheet is not None
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[STAFF][3:10] == (3, 4, 255, 120, 25, 75, 1)
    out = tmp_path / "all.csv"
    assert (
        await kinerja("report", "monthly", "--unit", "ALL", "--month", "2026-11", "-o", str(out))
        == 0
    )
    assert out.read_bytes().startswith(b"\xef\xbb\xbfNIP,")
    assert await kinerja("report", "monthly", "--unit", "NOPE", "--month", "2026-11") == 1
    assert await kinerja("report", "monthly", "--unit", "ALL", "--month", "2026-13") == 1
