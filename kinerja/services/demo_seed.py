"""The demo organisation that `kinerja demo` starts with: small, but every role and two time zones.

It goes through the real roster import, so the demo exercises the same path as production data.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from kinerja.roster import parse_roster
from kinerja.services.roster_import import ImportSummary, import_roster
from kinerja.services.skp_import import import_skp
from kinerja.skp import parse_skp
from storage.uow import UnitOfWork

UNITS = (
    ("BKPSDM", "Badan Kepegawaian dan Pengembangan SDM", "Asia/Jakarta"),
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika", "Asia/Jakarta"),
    ("UPT-TIMUR", "UPT Layanan Wilayah Timur (Makassar)", "Asia/Makassar"),
)

ATASAN_KOMINFO = "197503152000031002"
ATASAN_TIMUR = "198811302012121001"
ROSTER = (
    ("nip", "nama", "jabatan", "unit", "atasan_nip", "telepon", "peran"),
    ("198507072010012004", "Rina Marlina, S.Kom.", "Analis Kepegawaian Ahli Muda", "BKPSDM",
     "", "081200000001", "admin"),
    (ATASAN_KOMINFO, "Drs. Ahmad Fauzi, M.Si.", "Kepala Bidang Aplikasi Informatika",
     "DISKOMINFO", "", "081200000002", "pegawai"),
    ("199008242015032001", "Siti Nurhaliza, S.T.", "Pranata Komputer Ahli Pertama",
     "DISKOMINFO", ATASAN_KOMINFO, "081200000003", "pegawai"),
    ("199201102019031003", "Budi Santoso, A.Md.", "Pranata Komputer Terampil", "DISKOMINFO",
     ATASAN_KOMINFO, "081200000004", "pegawai"),
    ("199405122021212001", "Dewi Lestari, S.Kom.", "Pranata Komputer Ahli Pertama (PPPK)",
     "DISKOMINFO", ATASAN_KOMINFO, "081200000005", "pegawai"),
    (ATASAN_TIMUR, "Andi Pratama, S.E.", "Kepala UPT Layanan Wilayah Timur", "UPT-TIMUR", "",
     "081200000006", "pegawai"),
    ("199603172020122005", "Nurul Hidayah, S.AP.", "Pengelola Layanan Operasional",
     "UPT-TIMUR", ATASAN_TIMUR, "081200000007", "pegawai"),
)  # fmt: skip


SITI = "199008242015032001"
SKP = (
    (ATASAN_KOMINFO, "Layanan aplikasi pemerintahan berjalan andal", "Layanan aktif", "95",
     "persen"),
    (SITI, "Laporan pengelolaan aplikasi tersusun", "Jumlah laporan", "12", "dokumen"),
    (SITI, "Permintaan layanan TI terselesaikan", "Jumlah permintaan", "120", "tiket"),
    ("199201102019031003", "Perangkat jaringan terpelihara", "Jumlah pemeliharaan", "48",
     "kegiatan"),
    ("199405122021212001", "Konten portal resmi diperbarui", "Jumlah konten", "60", "konten"),
    ("199603172020122005", "Layanan administrasi wilayah timur", "Jumlah layanan", "200",
     "layanan"),
)  # fmt: skip


def skp_csv(year: int) -> bytes:
    """The demo SKP targets for `year`, as the file `kinerja skp import` reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("nip", "tahun", "rhk", "indikator", "target", "satuan"))
    writer.writerows(
        (nip, year, rhk, indicator, target, unit) for nip, rhk, indicator, target, unit in SKP
    )
    return buffer.getvalue().encode()


def roster_csv() -> bytes:
    """The demo roster as the CSV file an admin would import."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(ROSTER)
    return buffer.getvalue().encode()


async def seed_demo(
    uow: UnitOfWork, today: date | None = None, *, with_skp: bool = True
) -> ImportSummary | None:
    """Create the demo units, roster and this year's SKP once; a second run changes nothing."""
    existing = {unit.code for unit in await uow.units.all()}
    if "DISKOMINFO" in existing:
        return None
    for code, name, timezone in UNITS:
        if code not in existing:
            await uow.units.create(code, name, timezone)
    rows = parse_roster(roster_csv(), "demo.csv")
    summary = await import_roster(uow, rows, default_timezone="Asia/Jakarta", actor="demo")
    if with_skp:
        day = today or date.today()
        await import_skp(uow, parse_skp(skp_csv(day.year), "skp.csv"), today=day, actor="demo")
    return summary
