"""The `kinerja` command as an operator runs it: help, settings errors, migrations, roster files.

Commands run in-process through `bot.cli.main`. Each one starts its own event loop (as from a
shell), so tests that touch the database run it in a worker thread and then check the result with
a unit of work on the same database, on every backend.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, update

from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.cli import Cli
from handlers import ROUTERS
from kinerja.people import Person
from kinerja.services.demo_seed import ROSTER, roster_csv
from storage.models import Activity, Employee, OutboxMessage
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, ATASAN_WITA, STAFF, Chat, link, seed
from tests.support.cli import isolate, kinerja, run

BUDI = "199201102019031003"
SUMMARY_ID = (
    "Selesai: {rows} baris dibaca; {created} pegawai baru, {updated} diperbarui, "
    "{unchanged} tetap, {deactivated} dinonaktifkan, {reactivated} diaktifkan kembali."
)
BAD_ROWS = (
    ("12345", "Orang Salah", "Staf", "DISKOMINFO", "", "", ""),
    ("199501012020011001", "Bos Palsu", "Staf", "DISKOMINFO", "", "", "bos"),
    ("199601012020012002", "", "Staf", "DISKOMINFO", "", "", ""),
    ("199701012020011003", "Tanpa Atasan", "Staf", "DISKOMINFO", "199912312020011009", "", ""),
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No `.env` and no settings from the caller's shell: each test sets what it needs."""
    isolate(monkeypatch, tmp_path)


@pytest.fixture
def database(db_url: str, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at the test database (emptied by the `sessions` fixture on PostgreSQL)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def write_csv(path: Path, rows: Iterable[Sequence[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def demo_file(tmp_path: Path) -> Path:
    path = tmp_path / "pegawai.csv"
    path.write_bytes(roster_csv())
    return path


def summary(
    rows: int = 7,
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    deactivated: int = 0,
    reactivated: int = 0,
) -> str:
    return SUMMARY_ID.format(
        rows=rows,
        created=created,
        updated=updated,
        unchanged=unchanged,
        deactivated=deactivated,
        reactivated=reactivated,
    )


async def person(sessions: SessionFactory, nip: str) -> Person | None:
    async with UnitOfWork(sessions) as uow:
        return await uow.employees.person_by_nip(nip)


async def active_nips(sessions: SessionFactory) -> set[str]:
    async with UnitOfWork(sessions) as uow:
        return {nip for nip, row in (await uow.employees.snapshot()).items() if row.active}


async def employee_count(sessions: SessionFactory) -> int:
    async with UnitOfWork(sessions) as uow:
        return len(await uow.employees.snapshot())


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


# --- help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "description"),
    [
        ((), "kinerja-bot: layanan chat kinerja ASN"),
        (("run",), "Menjalankan layanan"),
        (("demo",), "Mengisi organisasi contoh"),
        (("db",), "Pengelolaan skema basis data."),
        (("db", "upgrade"), "Menerapkan migrasi sampai versi terbaru."),
        (("roster",), "Impor dan ekspor data pegawai."),
        (("roster", "import"), "Mengimpor data pegawai dari CSV atau XLSX"),
        (("roster", "export"), "Mengekspor pegawai aktif ke CSV atau XLSX"),
        (("skp",), "Impor Sasaran Kinerja Pegawai (SKP)."),
        (("skp", "import"), "Mengimpor RHK, indikator, dan target SKP dari CSV atau XLSX"),
    ],
)
def test_every_command_has_indonesian_help(
    argv: tuple[str, ...], description: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(*argv, "--help") == 0
    out, err = capsys.readouterr()
    assert err == ""
    text = " ".join(out.split())
    assert text.startswith("usage: kinerja")
    assert description in text


def test_help_lists_the_options_in_indonesian(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("roster", "import", "--help") == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Jangan impor apa pun jika ada baris bermasalah." in text
    assert "tanpa menyimpan" in text
    assert run("demo", "--help") == 0
    assert "Hapus berkas demo dan mulai dari awal." in " ".join(capsys.readouterr().out.split())


def test_a_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run() == 2
    assert "usage: kinerja" in capsys.readouterr().err


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://x"),
        ("HTTP_PORT", "abc"),
        ("HTTP_PORT", "70000"),
        ("TIMEZONE", "Mars/Base"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("APPROVAL_DIGEST_TIME", "25:00"),
        ("APPROVAL_DIGEST_TIME", "pagi"),
        ("APPROVAL_ESCALATION_DAYS", "-1"),
    ],
)
@pytest.mark.parametrize(
    "argv",
    [("run",), ("db", "upgrade"), ("roster", "import", "x.csv"), ("roster", "export", "x.csv")],
    ids=" ".join,
)
def test_a_bad_setting_stops_with_one_line_naming_it(
    variable: str,
    value: str,
    argv: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_server(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the server must not start with a bad setting")

    monkeypatch.setattr(Cli, "serve", no_server)
    monkeypatch.setenv(variable, value)
    assert run(*argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    line = one_line(err)
    assert line.startswith(f"Pengaturan {variable} tidak valid: ")
    assert not Path("x.csv").exists()
    assert not Path("kinerja.db").exists()


def test_bad_database_url_names_the_supported_schemes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    assert run("db", "upgrade") == 2
    line = one_line(capsys.readouterr().err)
    assert "'mysql'" in line
    assert "sqlite," in line
    assert "postgresql+asyncpg" in line


def test_settings_are_read_from_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text("TIMEZONE=Mars/Base\n", encoding="utf-8")
    assert run("db", "upgrade") == 2
    assert "TIMEZONE" in one_line(capsys.readouterr().err)


# --- db upgrade ----------------------------------------------------------------------------------


async def test_db_upgrade_reports_success(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("db", "upgrade") == 0
    out, err = capsys.readouterr()
    assert out.strip() == "Skema basis data sudah terbaru."
    assert err == ""
    # Running it again is harmless.
    assert await kinerja("db", "upgrade") == 0


async def test_db_upgrade_creates_a_new_sqlite_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'baru.db'}")
    assert await kinerja("db", "upgrade") == 0
    assert "Skema basis data sudah terbaru." in capsys.readouterr().out
    assert (tmp_path / "baru.db").is_file()


async def test_db_upgrade_on_an_unreachable_server_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert await kinerja("db", "upgrade") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert one_line(err).startswith("Basis data tidak dapat dihubungi: ")


# --- roster import -------------------------------------------------------------------------------


async def test_import_creates_then_leaves_the_roster_unchanged(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = demo_file(tmp_path)
    assert await kinerja("roster", "import", str(path)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert summary(created=7) in out
    assert "Unit kerja baru: BKPSDM, DISKOMINFO, UPT-TIMUR" in out
    assert await active_nips(sessions) == {row[0] for row in ROSTER[1:]}
    atasan = await person(sessions, ATASAN)
    assert atasan is not None
    assert atasan.staff_count == 3
    assert atasan.menu_role.value == "atasan"

    assert await kinerja("roster", "import", str(path)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert summary(unchanged=7) in out
    assert "Unit kerja baru" not in out


async def test_moving_someone_keeps_their_employee_id(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("roster", "import", str(demo_file(tmp_path))) == 0
    before = await person(sessions, STAFF)
    assert before is not None
    assert before.unit_code == "DISKOMINFO"
    assert before.supervisor_nip == ATASAN
    capsys.readouterr()

    moved = [
        (nip, name, position, "UPT-TIMUR", ATASAN_WITA, phone, role)
        if nip == STAFF
        else (nip, name, position, unit, boss, phone, role)
        for nip, name, position, unit, boss, phone, role in ROSTER
    ]
    assert await kinerja("roster", "import", str(write_csv(tmp_path / "pindah.csv", moved))) == 0
    assert summary(updated=1, unchanged=6) in capsys.readouterr().out

    after = await person(sessions, STAFF)
    assert after is not None
    assert after.id == before.id
    assert after.unit_code == "UPT-TIMUR"
    assert after.supervisor_nip == ATASAN_WITA
    assert after.supervisor_name == "Andi Pratama, S.E."
    old_boss = await person(sessions, ATASAN)
    assert old_boss is not None and old_boss.staff_count == 2


async def test_a_new_atasan_on_instant_cards_gets_cards_for_waiting_entries(
    database: str, sessions: SessionFactory, tmp_path: Path
) -> None:
    """Changing a supervisor in the roster moves pending entries to the new one."""
    assert await kinerja("roster", "import", str(demo_file(tmp_path))) == 0
    staff = await person(sessions, STAFF)
    new_boss = await person(sessions, ATASAN_WITA)
    assert staff is not None and new_boss is not None
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            insert(Activity).values(
                employee_id=staff.id,
                work_date=date.today() - timedelta(days=1),
                minutes=60,
                description="Menunggu persetujuan",
                status="diajukan",
            )
        )
        await uow.session.execute(
            update(Employee).where(Employee.id == new_boss.id).values(approval_mode="instant")
        )
        identity = await uow.identities.ensure("telegram", "777")
        await uow.identities.link_employee(identity.id, new_boss.id)
        await uow.commit()
    moved = [
        (nip, name, position, unit, ATASAN_WITA if nip == STAFF else boss, phone, role)
        for nip, name, position, unit, boss, phone, role in ROSTER
    ]
    assert await kinerja("roster", "import", str(write_csv(tmp_path / "pindah.csv", moved))) == 0
    async with UnitOfWork(sessions) as uow:
        cards = list(
            await uow.session.execute(select(OutboxMessage.recipient, OutboxMessage.purpose))
        )
    assert [tuple(card) for card in cards] == [("777", "approval_card")]


async def test_someone_missing_from_a_full_roster_is_deactivated(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = demo_file(tmp_path)
    assert await kinerja("roster", "import", str(path)) == 0
    capsys.readouterr()
    without_budi = [row for row in ROSTER if row[0] != BUDI]
    smaller = write_csv(tmp_path / "tanpa-budi.csv", without_budi)

    assert await kinerja("roster", "import", "--partial", str(smaller)) == 0
    assert summary(rows=6, unchanged=6) in capsys.readouterr().out
    assert BUDI in await active_nips(sessions)

    assert await kinerja("roster", "import", str(smaller)) == 0
    assert summary(rows=6, unchanged=6, deactivated=1) in capsys.readouterr().out
    budi = await person(sessions, BUDI)
    assert budi is not None and not budi.active

    assert await kinerja("roster", "import", str(path)) == 0
    assert summary(unchanged=6, reactivated=1) in capsys.readouterr().out
    budi_again = await person(sessions, BUDI)
    assert budi_again is not None and budi_again.active and budi_again.id == budi.id


async def test_partial_import_updates_only_the_rows_given(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("roster", "import", str(demo_file(tmp_path))) == 0
    capsys.readouterr()
    promoted = [
        ROSTER[0],
        (STAFF, "Siti Nurhaliza, S.T.", "Pranata Komputer Ahli Muda", "DISKOMINFO", ATASAN,
         "081200000003", "pegawai"),
    ]  # fmt: skip
    path = write_csv(tmp_path / "sebagian.csv", promoted)
    assert await kinerja("roster", "import", "--partial", str(path)) == 0
    assert summary(rows=1, updated=1) in capsys.readouterr().out
    siti = await person(sessions, STAFF)
    assert siti is not None and siti.position == "Pranata Komputer Ahli Muda"
    assert len(await active_nips(sessions)) == 7


async def test_dry_run_saves_nothing(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("roster", "import", "--dry-run", str(demo_file(tmp_path))) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert summary(created=7) in out
    assert "Uji coba (--dry-run): tidak ada perubahan yang disimpan." in out
    assert await employee_count(sessions) == 0
    async with UnitOfWork(sessions) as uow:
        assert await uow.units.all() == []


async def test_bad_rows_are_each_reported_and_the_rest_imported(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "campur.csv", [*ROSTER, *BAD_ROWS])
    assert await kinerja("roster", "import", str(path)) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert err.strip().splitlines() == [
        "Baris 9, kolom NIP: NIP harus 18 digit (tertulis 5 digit).",
        'Baris 10, kolom Peran: Peran "bos" tidak dikenal. Pilihan yang tersedia: pegawai, '
        "admin, admin_unit. Kosongkan untuk pegawai.",
        "Baris 11, kolom Nama: Kolom ini wajib diisi.",
        "Baris 12, kolom NIP atasan: Atasan dengan NIP 199912312020011009 tidak ditemukan "
        "dalam data pegawai.",
        "4 baris bermasalah tidak diimpor.",
    ]
    assert summary(rows=11, created=7) in out
    assert await active_nips(sessions) == {row[0] for row in ROSTER[1:]}


async def test_strict_import_with_a_bad_row_imports_nothing(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "campur.csv", [*ROSTER, BAD_ROWS[0]])
    assert await kinerja("roster", "import", "--strict", str(path)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().splitlines() == [
        "Baris 9, kolom NIP: NIP harus 18 digit (tertulis 5 digit).",
        "1 baris bermasalah tidak diimpor.",
        "Mode --strict: tidak ada data yang diimpor karena ada baris bermasalah.",
    ]
    assert await employee_count(sessions) == 0


async def test_strict_import_of_a_clean_file_imports_it(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("roster", "import", "--strict", str(demo_file(tmp_path))) == 0
    assert summary(created=7) in capsys.readouterr().out
    assert await employee_count(sessions) == 7


def _garbage() -> bytes:
    return random.Random(20240501).randbytes(10 * 1024 * 1024)


EMPTY = "Berkas tidak berisi data pegawai."
NOT_TEXT = "Berkas tidak dapat dibaca sebagai CSV."
BAD_XLSX = "Berkas Excel rusak atau bukan berkas .xlsx."
HEADER = "Judul kolom pada baris pertama tidak sesuai."


def _file(name: str, content: bytes | None, message: str) -> object:
    return pytest.param(name, content, message, id=name)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        _file("kosong.csv", b"", EMPTY),
        _file("judul-saja.csv", b"nip,nama,jabatan,unit,atasan_nip,telepon,peran\n", EMPTY),
        _file("salah-judul.csv", b"NIP;Nama Lengkap\n199008242015032001;Siti\n", HEADER),
        _file("biner.csv", bytes(range(256)) * 100, NOT_TEXT),
        _file("acak-10mb.csv", None, NOT_TEXT),
        _file("rusak.xlsx", b"PK\x03\x04" + bytes(range(256)) * 40, BAD_XLSX),
        _file("teks.xlsx", roster_csv(), BAD_XLSX),
    ],
)
async def test_an_unreadable_file_is_one_clear_message(
    name: str,
    content: bytes | None,
    message: str,
    database: str,
    sessions: SessionFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    path.write_bytes(_garbage() if content is None else content)
    assert await kinerja("roster", "import", str(path)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert one_line(err).startswith(message)
    assert await employee_count(sessions) == 0


async def test_a_missing_file_is_one_clear_message(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for missing in (tmp_path / "tidak-ada.csv", tmp_path):
        assert await kinerja("roster", "import", str(missing)) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert one_line(err) == f"Berkas tidak ditemukan: {missing}"
    assert await employee_count(sessions) == 0


async def test_a_wrong_header_names_the_missing_columns(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "lama.csv", [("nip", "nama", "unit", "gol"), (STAFF, "Siti", "X")])
    assert await kinerja("roster", "import", str(path)) == 1
    line = one_line(capsys.readouterr().err)
    assert "Kolom yang belum ada: jabatan,atasan_nip,telepon,peran." in line
    assert "Kolom yang tidak dikenal: gol." in line


# --- roster export -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["keluar.csv", "keluar.xlsx"])
async def test_export_then_import_changes_nothing(
    name: str,
    database: str,
    sessions: SessionFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await kinerja("roster", "import", str(demo_file(tmp_path))) == 0
    capsys.readouterr()

    assert await kinerja("roster", "export", name) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.strip() == f"7 pegawai aktif diekspor ke {name}."
    assert (tmp_path / name).stat().st_size > 0

    assert await kinerja("roster", "import", name) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert summary(unchanged=7) in out
    assert len(await active_nips(sessions)) == 7


async def test_xlsx_export_keeps_nips_as_text(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("roster", "import", str(demo_file(tmp_path))) == 0
    assert await kinerja("roster", "export", "pegawai.xlsx") == 0
    capsys.readouterr()

    workbook = load_workbook(tmp_path / "pegawai.xlsx", read_only=True)
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    assert rows[0] == ROSTER[0]
    assert len(rows) == 8
    nips = {row[0] for row in rows[1:]}
    assert nips == {row[0] for row in ROSTER[1:]}
    for row in rows[1:]:
        nip, boss, phone = row[0], row[4], row[5]
        assert isinstance(nip, str) and len(nip) == 18 and nip.isdigit(), nip
        assert isinstance(boss, str | None), boss
        if boss:
            assert len(boss) == 18 and boss.isdigit()
        assert isinstance(phone, str), phone
    staff = next(row for row in rows if row[0] == STAFF)
    assert staff[4] == ATASAN


async def test_export_of_an_empty_roster_is_a_header(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("roster", "export", "kosong.csv") == 0
    assert "0 pegawai aktif diekspor ke kosong.csv." in capsys.readouterr().out
    text = (tmp_path / "kosong.csv").read_text(encoding="utf-8-sig")
    assert text.strip() == ",".join(ROSTER[0])


async def test_export_to_an_unwritable_path_is_one_line(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "tidak" / "ada" / "keluar.csv"
    assert await kinerja("roster", "export", str(target)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert one_line(err).startswith(f"Tidak dapat menulis {target}: ")


# --- English ----------------------------------------------------------------------------------


async def test_default_language_en_reports_in_english(
    database: str,
    sessions: SessionFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    assert run("roster", "--help") == 0
    assert "Import and export the staff roster." in " ".join(capsys.readouterr().out.split())

    path = write_csv(tmp_path / "mixed.csv", [*ROSTER, BAD_ROWS[0]])
    assert await kinerja("roster", "import", str(path)) == 1
    out, err = capsys.readouterr()
    assert "Done: 8 rows read; 7 new employees, 0 updated, 0 unchanged" in out
    assert err.strip().splitlines() == [
        "Row 9, column NIP: A NIP has 18 digits (this one has 5).",
        "1 bad rows were not imported.",
    ]

    assert await kinerja("roster", "import", str(tmp_path / "missing.csv")) == 1
    assert one_line(capsys.readouterr().err) == f"File not found: {tmp_path / 'missing.csv'}"

    assert await kinerja("db", "upgrade") == 0
    assert capsys.readouterr().out.strip() == "The database schema is up to date."

    monkeypatch.setenv("HTTP_PORT", "abc")
    assert run("db", "upgrade") == 2
    assert one_line(capsys.readouterr().err).startswith("Invalid setting HTTP_PORT: ")
    assert await person(sessions, ADMIN) is not None


# --- roster invite / unlink ---------------------------------------------------------------------


async def test_invite_prints_a_single_use_code_that_registers(
    database: str, sessions: SessionFactory, capsys: pytest.CaptureFixture[str], catalogs: Catalogs
) -> None:
    await seed(sessions)
    assert await kinerja("roster", "invite", ATASAN, "--days", "3") == 0
    out = capsys.readouterr().out
    code = re.search(r"(inv_[A-Za-z0-9_-]+)", out)
    assert code is not None and "berlaku 3 hari" in out
    assert "t.me" not in out  # no bot token configured: the code alone
    chat = Chat(Dispatcher(ROUTERS, sessions, catalogs), "web-user")
    await chat.send(f"/start {code.group(1)}")
    assert "Ahmad Fauzi" in chat.text


async def test_invite_and_unlink_refuse_unknown_people_and_bad_days(
    database: str, sessions: SessionFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(sessions)
    assert await kinerja("roster", "invite", "199001012015031999") == 1
    assert "Tidak ada pegawai aktif" in capsys.readouterr().err
    assert await kinerja("roster", "invite", STAFF, "--days", "0") == 1
    assert "--days" in capsys.readouterr().err
    assert await kinerja("roster", "unlink", "199001012015031999") == 1


async def test_unlink_detaches_every_account(
    database: str, sessions: SessionFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(sessions)
    await link(sessions, "telegram", "1", STAFF)
    await link(sessions, "web", "2", STAFF)
    assert await kinerja("roster", "unlink", STAFF) == 0
    assert "2 akun chat dilepas" in capsys.readouterr().out
    async with UnitOfWork(sessions) as uow:
        person = await uow.employees.person_by_nip(STAFF)
        assert person is not None
        assert await uow.identities.of_employee(person.id) == []
