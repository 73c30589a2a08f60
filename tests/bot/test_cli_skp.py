"""`kinerja skp import` as an admin runs it, on every backend (see tests/bot/test_cli.py)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, insert, select

from kinerja.skp import RhkItem
from storage.models import Activity, Rhk
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ATASAN, STAFF, seed
from tests.support.cli import isolate, kinerja, run

YEAR = date.today().year
HEADER = "nip;tahun;rhk;indikator;target;satuan"
GOOD = (
    f"{STAFF};{YEAR};Tersusunnya laporan evaluasi kinerja;Jumlah laporan;12;laporan",
    f"{STAFF};{YEAR};Terbangunnya aplikasi layanan;;2,5;modul",
    f"{ATASAN};{YEAR};Terlaksananya koordinasi bidang;;1.000;kegiatan",
)


def summary(
    rows: int = 3,
    employees: int = 2,
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    deleted: int = 0,
    kept: int = 0,
) -> str:
    return (
        f"Selesai: {rows} baris dibaca; SKP {employees} pegawai: {created} RHK baru, "
        f"{updated} diperbarui, {unchanged} tetap, {deleted} dihapus, {kept} dipertahankan "
        "karena sudah dipakai kegiatan."
    )


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No `.env` and no settings from the caller's shell: each test sets what it needs."""
    isolate(monkeypatch, tmp_path)


@pytest.fixture
async def database(db_url: str, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test database with the demo roster, and the CLI pointed at it."""
    await seed(sessions)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def good_file(tmp_path: Path) -> Path:
    return write(tmp_path / "skp.csv", *GOOD)


async def rhk_of(sessions: SessionFactory, nip: str, year: int = YEAR) -> list[RhkItem]:
    async with UnitOfWork(sessions) as uow:
        person = await uow.employees.person_by_nip(nip)
        assert person is not None
        return await uow.rhk.for_employee(person.id, year)


async def rhk_count(sessions: SessionFactory) -> int:
    async with UnitOfWork(sessions) as uow:
        return int(await uow.session.scalar(select(func.count(Rhk.id))) or 0)


def lines(text: str) -> list[str]:
    assert "Traceback" not in text
    return text.strip().splitlines()


# --- help ----------------------------------------------------------------------------------------


def test_import_help_lists_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("skp", "import", "--help") == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "[--strict] [--dry-run] [--year YYYY] FILE" in text
    assert "Jangan impor apa pun jika ada baris bermasalah." in text
    assert "Hanya impor baris tahun ini; baris tahun lain dilewati." in text


def test_the_main_help_lists_skp(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--help") == 0
    assert "Impor Sasaran Kinerja Pegawai (SKP)." in " ".join(capsys.readouterr().out.split())


# --- importing -----------------------------------------------------------------------------------


async def test_a_good_file_is_imported_then_unchanged(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = good_file(tmp_path)
    assert await kinerja("skp", "import", str(path)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert lines(out) == [summary(created=3)]
    items = await rhk_of(sessions, STAFF)
    assert [(item.number, item.title, item.target) for item in items] == [
        (1, "Tersusunnya laporan evaluasi kinerja", Decimal(12)),
        (2, "Terbangunnya aplikasi layanan", Decimal("2.5")),
    ]
    assert (await rhk_of(sessions, ATASAN))[0].target == Decimal(1000)

    assert await kinerja("skp", "import", str(path)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert lines(out) == [summary(unchanged=3)]


async def test_an_xlsx_file_is_imported(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["NIP", "Tahun", "RHK", "Indikator", "Target", "Satuan"])
    sheet.append([STAFF, YEAR, "Tersusunnya laporan evaluasi kinerja", None, 12.5, "laporan"])
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "skp.xlsx"
    path.write_bytes(buffer.getvalue())
    assert await kinerja("skp", "import", str(path)) == 0
    assert summary(rows=1, employees=1, created=1) in capsys.readouterr().out
    assert (await rhk_of(sessions, STAFF))[0].target == Decimal("12.5")


async def test_bad_rows_are_reported_in_indonesian_and_the_rest_imported(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "campur.csv",
        *GOOD,
        f"12345;{YEAR};Tersusunnya laporan;;1;laporan",
        f"{ATASAN};{YEAR};Tersusunnya rencana strategis;;0;dokumen",
        f"199001012015031001;{YEAR};Tersusunnya kajian;;1;kajian",
        f"{STAFF};{YEAR - 5};Tersusunnya laporan lama;;1;",
    )
    assert await kinerja("skp", "import", str(path)) == 1
    out, err = capsys.readouterr()
    assert lines(err) == [
        "Baris 4: RHK lain milik NIP ini untuk tahun "
        f"{YEAR} bermasalah (baris 6), sehingga SKP tahun {YEAR} pegawai ini belum diimpor "
        "agar nomor RHK tidak bergeser. Perbaiki baris tersebut lalu impor ulang berkas ini.",
        "Baris 5, kolom NIP: NIP harus 18 digit (tertulis 5 digit). Contoh: 199008242015032001",
        "Baris 6, kolom Target: Target harus angka lebih dari nol dengan paling banyak dua angka "
        'desimal, tertulis "0". Gunakan koma untuk desimal dan titik untuk ribuan. '
        "Contoh: 12; 2,5; 1.000; 1.500.000,50",
        "Baris 7, kolom NIP: Tidak ada pegawai aktif dengan NIP 199001012015031001. Periksa NIP, "
        "atau impor data pegawai terlebih dahulu, contohnya: kinerja roster import pegawai.xlsx",
        f"Baris 8, kolom Tahun: Tahun harus empat digit antara {YEAR - 1} dan {YEAR + 1}, "
        f'tertulis "{YEAR - 5}". Contoh: {YEAR}',
        "Baris 8, kolom Satuan: Satuan wajib diisi, paling banyak 64 karakter. "
        "Contoh: laporan, dokumen, kegiatan, persen",
        "5 baris bermasalah tidak diimpor.",
    ]
    assert lines(out) == [summary(rows=7, employees=1, created=2)]
    assert len(await rhk_of(sessions, STAFF)) == 2
    assert await rhk_of(sessions, ATASAN) == []


async def test_strict_with_a_bad_row_imports_nothing(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "campur.csv", *GOOD, f"{ATASAN};{YEAR};Rapat;;0;kali")
    assert await kinerja("skp", "import", "--strict", str(path)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    reported = lines(err)
    assert reported[0].startswith(f"Baris 4: RHK lain milik NIP ini untuk tahun {YEAR} bermasalah")
    assert reported[1].startswith("Baris 5, kolom Target: ")
    assert reported[2:] == [
        "2 baris bermasalah tidak diimpor.",
        "Mode --strict: tidak ada data yang diimpor karena ada baris bermasalah.",
    ]
    assert await rhk_count(sessions) == 0


async def test_strict_with_a_clean_file_imports_it(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("skp", "import", "--strict", str(good_file(tmp_path))) == 0
    assert summary(created=3) in capsys.readouterr().out
    assert await rhk_count(sessions) == 3


async def test_dry_run_saves_nothing(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("skp", "import", "--dry-run", str(good_file(tmp_path))) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert lines(out) == [
        summary(created=3),
        "Uji coba (--dry-run): tidak ada perubahan yang disimpan.",
    ]
    assert await rhk_count(sessions) == 0


async def test_year_imports_only_that_year(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "dua-tahun.csv",
        *GOOD,
        f"{STAFF};{YEAR + 1};Tersusunnya laporan tahun depan;;6;laporan",
        f"{STAFF};{YEAR - 7};Lama sekali;;0;",
    )
    assert await kinerja("skp", "import", "--year", str(YEAR), str(path)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert lines(out) == [
        summary(rows=5, created=3),
        f"2 baris tahun lain dilewati (--year {YEAR}).",
    ]
    assert await rhk_of(sessions, STAFF, YEAR + 1) == []

    assert await kinerja("skp", "import", "--year", str(YEAR + 1), str(path)) == 0
    assert lines(capsys.readouterr().out) == [
        summary(rows=5, employees=1, created=1),
        f"4 baris tahun lain dilewati (--year {YEAR + 1}).",
    ]
    assert len(await rhk_of(sessions, STAFF, YEAR + 1)) == 1
    assert len(await rhk_of(sessions, STAFF)) == 2


async def test_a_year_outside_the_window_is_one_clear_message(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("skp", "import", "--year", "2062", str(good_file(tmp_path))) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert lines(err) == [
        f'Tahun harus empat digit antara {YEAR - 1} dan {YEAR + 1}, tertulis "2062". '
        f"Contoh: {YEAR}"
    ]
    assert await rhk_count(sessions) == 0


async def test_rhk_in_use_are_kept_with_a_warning(
    database: str, sessions: SessionFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("skp", "import", str(good_file(tmp_path))) == 0
    second = (await rhk_of(sessions, STAFF))[1]
    async with UnitOfWork(sessions) as uow:
        person = await uow.employees.person_by_nip(STAFF)
        assert person is not None
        await uow.session.execute(
            insert(Activity).values(
                employee_id=person.id,
                work_date=date(YEAR, 1, 5),
                minutes=60,
                description="Menyusun modul",
                rhk_id=second.id,
                status="diajukan",
            )
        )
        await uow.commit()
    capsys.readouterr()

    path = write(tmp_path / "kecil.csv", GOOD[0])
    assert await kinerja("skp", "import", str(path)) == 0
    out, err = capsys.readouterr()
    assert lines(err) == [
        f"Peringatan: RHK nomor 2 milik NIP {STAFF} tahun {YEAR} tidak ada lagi di berkas, "
        "tetapi tidak dihapus karena sudah dipakai oleh 1 kegiatan. Pindahkan kegiatan "
        "tersebut ke RHK lain bila RHK ini memang sudah tidak berlaku."
    ]
    assert lines(out) == [summary(rows=1, employees=1, unchanged=1, kept=1)]
    assert [item.id for item in await rhk_of(sessions, STAFF)][1] == second.id


EMPTY = "Berkas tidak berisi data SKP."
NOT_TEXT = "Berkas tidak dapat dibaca sebagai CSV."
BAD_XLSX = "Berkas Excel rusak atau bukan berkas .xlsx."
HEADER_ERROR = "Judul kolom pada baris pertama tidak sesuai."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("kosong.csv", b"", EMPTY, id="empty"),
        pytest.param("judul.csv", HEADER.encode() + b"\n", EMPTY, id="header-only"),
        pytest.param("pegawai.csv", b"nip,nama,unit\n1,a,b\n", HEADER_ERROR, id="roster"),
        pytest.param("biner.csv", bytes(range(256)) * 100, NOT_TEXT, id="binary"),
        pytest.param("rusak.xlsx", b"PK\x03\x04" + bytes(range(256)) * 40, BAD_XLSX, id="zip"),
        pytest.param("teks.xlsx", HEADER.encode(), BAD_XLSX, id="text-xlsx"),
    ],
)
async def test_an_unreadable_file_is_one_clear_message(
    name: str,
    content: bytes,
    message: str,
    database: str,
    sessions: SessionFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert await kinerja("skp", "import", str(path)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(lines(err)) == 1
    assert err.startswith(message)
    assert await rhk_count(sessions) == 0


async def test_a_missing_file_is_one_clear_message(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "tidak-ada.csv"
    assert await kinerja("skp", "import", str(missing)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert lines(err) == [f"Berkas tidak ditemukan: {missing}"]


async def test_english_when_the_default_language_is_english(
    database: str,
    sessions: SessionFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    path = write(tmp_path / "campur.csv", *GOOD[2:], f"{STAFF};{YEAR};Rapat;;banyak;kali")
    assert await kinerja("skp", "import", str(path)) == 1
    out, err = capsys.readouterr()
    assert lines(err) == [
        "Row 3, column Target: The target must be a number above zero with at most two "
        'decimals; "banyak" given. Use a comma for decimals and a period for thousands. '
        "For example: 12; 2,5; 1.000; 1.500.000,50",
        "1 bad rows were not imported.",
    ]
    assert lines(out) == [
        "Done: 2 rows read; SKP of 1 employees: 1 new RHK, 0 updated, 0 unchanged, 0 deleted, "
        "0 kept because activities use them."
    ]

    assert run("skp", "import", "--help") == 0
    assert "Import only the rows of this year" in " ".join(capsys.readouterr().out.split())
