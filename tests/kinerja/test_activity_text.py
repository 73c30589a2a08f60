import dataclasses
from datetime import date, time
from decimal import Decimal

import pytest

from kinerja.activities import ACTIVITY_ERROR_CODES
from kinerja.activity_text import (
    ActivityTextError,
    QuickEntry,
    check_description,
    parse_duration,
    parse_quantity,
    parse_quick_entry,
    parse_time,
    parse_time_range,
    parse_work_date,
)
from kinerja.errors import RuleViolation

TODAY = date(2026, 11, 23)  # a Monday


def _error(call: object, *args: object, **kwargs: object) -> tuple[str, dict[str, object]]:
    assert callable(call)
    with pytest.raises(ActivityTextError) as caught:
        call(*args, **kwargs)
    assert isinstance(caught.value, RuleViolation)
    assert caught.value.code in ACTIVITY_ERROR_CODES
    return caught.value.code, dict(caught.value.params)


# --- times -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08.00", time(8, 0)),
        ("8.00", time(8, 0)),
        ("08:00", time(8, 0)),
        ("8:00", time(8, 0)),
        ("8", time(8, 0)),
        ("08", time(8, 0)),
        ("08.30", time(8, 30)),
        ("13.15", time(13, 15)),
        ("0", time(0, 0)),
        ("00.00", time(0, 0)),
        ("23.59", time(23, 59)),
        ("  7.45  ", time(7, 45)),
        ("jam 8", time(8, 0)),
        ("Pukul 07:45", time(7, 45)),
        ("pkl. 13.00", time(13, 0)),
    ],
)
def test_times_in_local_formats(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "8:5",
        "08.5",
        "0800",
        "24.00",
        "24",
        "25",
        "8.60",
        "8,30",
        "08.00.00",
        "-8",
        "jam",
        "delapan",
        "8 pagi",
        "08.00 WIB",
    ],
)
def test_bad_times_are_refused(text: str) -> None:
    assert _error(parse_time, text) == ("activity.time", {})


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("08.00-10.30", time(8), time(10, 30)),
        ("08:00 - 10:30", time(8), time(10, 30)),
        ("8-10", time(8), time(10)),
        ("7.30-8", time(7, 30), time(8)),
        ("08.00 s.d. 10.30", time(8), time(10, 30)),
        ("08.00 s.d 10.30", time(8), time(10, 30)),
        ("08.00 s/d 10.30", time(8), time(10, 30)),
        ("08.00 sd 10.30", time(8), time(10, 30)),
        ("08.00 sampai 10.30", time(8), time(10, 30)),
        ("08.00 sampai dengan 10.30", time(8), time(10, 30)),
        ("08.00 hingga 10.30", time(8), time(10, 30)),
        ("08.00 SAMPAI 10.30", time(8), time(10, 30)),
        ("08.00–10.30", time(8), time(10, 30)),
        ("08.00 — 10.30", time(8), time(10, 30)),
        ("jam 8-10", time(8), time(10)),
        ("pukul 13.00-15.00", time(13), time(15)),
        ("00.00-23.59", time(0), time(23, 59)),
        ("23.58-23.59", time(23, 58), time(23, 59)),
    ],
)
def test_time_ranges(text: str, start: time, end: time) -> None:
    assert parse_time_range(text) == (start, end)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "activity.time_range"),
        ("08.00", "activity.time_range"),
        ("08.00-", "activity.time_range"),
        ("-10.30", "activity.time_range"),
        ("08.00 10.30", "activity.time_range"),
        ("08.00 to 10.30", "activity.time_range"),
        ("08.00-10.30-12.00", "activity.time_range"),
        ("jam delapan sampai sepuluh", "activity.time_range"),
        ("2026-11-21", "activity.time_range"),
        ("08.00-24.00", "activity.time"),
        ("25.00-26.00", "activity.time"),
        ("8:5-10", "activity.time"),
        ("0800-1000", "activity.time"),
        ("08.60-09.00", "activity.time"),
        ("10.00-08.00", "activity.end_before_start"),
        ("08.00-08.00", "activity.end_before_start"),
        ("22.00-02.00", "activity.end_before_start"),
        ("10-9", "activity.end_before_start"),
    ],
)
def test_bad_time_ranges(text: str, code: str) -> None:
    assert _error(parse_time_range, text) == (code, {})


# --- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90 menit", 90),
        ("90 Menit", 90),
        ("90menit", 90),
        ("90 mnt", 90),
        ("90m", 90),
        ("90 m", 90),
        ("30 min", 30),
        ("30 mins", 30),
        ("30 minutes", 30),
        ("1,5 jam", 90),
        ("1.5 jam", 90),
        ("0,25 jam", 15),
        ("2 jam", 120),
        ("2 JAM", 120),
        ("2 jm", 120),
        ("2j", 120),
        ("1 jam 30 menit", 90),
        ("2j 15m", 135),
        ("2j15m", 135),
        ("2h 15m", 135),
        ("1 hour", 60),
        ("3 hours", 180),
        ("2 hrs", 120),
        ("1 jam 90 menit", 150),
        ("24 jam", 1440),
        ("23 jam 60 menit", 1440),
        ("1.000 menit", 1000),
        ("  1   jam   30   menit ", 90),
    ],
)
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("45", "activity.duration", {}),
        ("1,5", "activity.duration", {}),
        ("", "activity.duration", {}),
        ("menit", "activity.duration", {}),
        ("0 menit", "activity.duration", {}),
        ("0 jam", "activity.duration", {}),
        ("0 jam 0 menit", "activity.duration", {}),
        ("-30 menit", "activity.duration", {}),
        ("1,33 jam", "activity.duration", {}),
        ("1,5 menit", "activity.duration", {}),
        ("setengah jam", "activity.duration", {}),
        ("1 jam 30", "activity.duration", {}),
        ("2 hari", "activity.duration", {}),
        ("2 minggu", "activity.duration", {}),
        ("90 menit lagi", "activity.duration", {}),
        ("25 jam", "activity.duration_too_long", {"max_hours": 24}),
        ("24 jam 1 menit", "activity.duration_too_long", {"max_hours": 24}),
        ("1441 menit", "activity.duration_too_long", {"max_hours": 24}),
        ("1.500 menit", "activity.duration_too_long", {"max_hours": 24}),
        ("2.000 jam", "activity.duration_too_long", {"max_hours": 24}),
    ],
)
def test_bad_durations(text: str, code: str, params: dict[str, object]) -> None:
    assert _error(parse_duration, text) == (code, params)


# --- quantities --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("3", Decimal(3), None),
        ("3 dokumen", Decimal(3), "dokumen"),
        ("3dokumen", Decimal(3), "dokumen"),
        ("12 berkas", Decimal(12), "berkas"),
        ("2,5 km", Decimal("2.5"), "km"),
        ("2,50 km", Decimal("2.50"), "km"),
        ("1.5", Decimal("1.5"), None),
        ("1.50", Decimal("1.50"), None),
        ("0.25", Decimal("0.25"), None),
        ("0,5", Decimal("0.5"), None),
        ("1.000 lembar", Decimal(1000), "lembar"),
        ("12.500,5 m²", Decimal("12500.5"), "m²"),
        ("1.000.000", Decimal(1_000_000), None),
        ("100%", Decimal(100), "%"),
        ("2 lembar   surat", Decimal(2), "lembar surat"),
        ("  4 kegiatan ", Decimal(4), "kegiatan"),
        ("1 " + "x" * 64, Decimal(1), "x" * 64),
    ],
)
def test_quantities(text: str, amount: Decimal, unit: str | None) -> None:
    assert parse_quantity(text) == (amount, unit)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "0,0",
        "-3",
        "-3 dokumen",
        "1.000.001",
        "2.000.000 lembar",
        "1,234",
        "2,555 km",
        "1.234.5",
        "dokumen",
        "tiga dokumen",
        "1 " + "x" * 65,
    ],
)
def test_bad_quantities(text: str) -> None:
    assert _error(parse_quantity, text) == ("activity.quantity", {})


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hari ini", TODAY),
        ("Hari  Ini", TODAY),
        ("today", TODAY),
        ("kemarin", date(2026, 11, 22)),
        ("Kemarin", date(2026, 11, 22)),
        ("kmrn", date(2026, 11, 22)),
        ("yesterday", date(2026, 11, 22)),
        ("kemarin lusa", date(2026, 11, 21)),
        ("21/11", date(2026, 11, 21)),
        ("21-11", date(2026, 11, 21)),
        ("1/1", date(2026, 1, 1)),
        ("23/11", TODAY),
        ("24/11", date(2025, 11, 24)),
        ("21/11/2026", date(2026, 11, 21)),
        ("21-11-2026", date(2026, 11, 21)),
        ("21/11/26", date(2026, 11, 21)),
        ("2026-11-21", date(2026, 11, 21)),
        ("2026-1-5", date(2026, 1, 5)),
        ("tgl 21/11", date(2026, 11, 21)),
        ("tgl. 21/11", date(2026, 11, 21)),
        ("tanggal 21-11-2026", date(2026, 11, 21)),
        # An explicit year is taken as written; refusing the future is check_entry's job.
        ("1/12/2026", date(2026, 12, 1)),
    ],
)
def test_work_dates(text: str, expected: date) -> None:
    assert parse_work_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (date(2027, 1, 2), "31/12", date(2026, 12, 31)),
        (date(2027, 1, 2), "2/1", date(2027, 1, 2)),
        (date(2027, 1, 2), "1/1", date(2027, 1, 1)),
        (date(2027, 1, 2), "3/1", date(2026, 1, 3)),
        (date(2027, 1, 1), "kemarin", date(2026, 12, 31)),
        (date(2027, 1, 1), "kemarin lusa", date(2026, 12, 30)),
        (date(2026, 12, 31), "31/12", date(2026, 12, 31)),
        (date(2026, 3, 1), "29/02", date(2024, 2, 29)),
        (date(2028, 3, 1), "29/02", date(2028, 2, 29)),
        (date(2028, 2, 28), "29/02", date(2024, 2, 29)),
        (date(2026, 3, 1), "kemarin", date(2026, 2, 28)),
    ],
)
def test_year_is_inferred_as_the_latest_such_date_up_to_today(
    today: date, text: str, expected: date
) -> None:
    assert parse_work_date(text, today=today) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "halo",
        "besok",
        "lusa",
        "senin",
        "21.11",
        "21 November",
        "2026",
        "21/11 pagi",
        "21/11-2026",
        "08.00-10.30",
        "kemarinnya",
    ],
)
def test_text_that_is_not_a_date(text: str) -> None:
    assert parse_work_date(text, today=TODAY) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("31/02", "31/02"),
        ("30/2", "30/2"),
        ("31/04", "31/04"),
        ("32/1", "32/1"),
        ("0/5", "0/5"),
        ("21/13", "21/13"),
        ("21-0", "21-0"),
        ("tgl 31/06", "31/06"),
        ("29/02/2026", "29/02/2026"),
        ("2026-02-30", "2026-02-30"),
        ("2026-13-01", "2026-13-01"),
        ("0000-01-01", "0000-01-01"),
    ],
)
def test_impossible_dates(text: str, value: str) -> None:
    assert _error(parse_work_date, text, today=TODAY) == ("activity.date", {"value": value})


# --- descriptions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rapat", "Rapat"),
        ("  Menyusun   laporan \n keuangan ", "Menyusun laporan keuangan"),
        ("abc", "abc"),
        (" a  b ", "a b"),
        ("x" * 1000, "x" * 1000),
        ("Menyusun\tSKP\u00a02026", "Menyusun SKP 2026"),
    ],
)
def test_descriptions_are_tidied(text: str, expected: str) -> None:
    assert check_description(text) == expected


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("", "activity.description_short", {"min": 3}),
        ("ab", "activity.description_short", {"min": 3}),
        ("  a \n\t ", "activity.description_short", {"min": 3}),
        ("x" * 1001, "activity.description_long", {"max": 1000}),
        ("x " * 501, "activity.description_long", {"max": 1000}),
    ],
)
def test_bad_descriptions(text: str, code: str, params: dict[str, object]) -> None:
    assert _error(check_description, text) == (code, params)


# --- one-message entries -----------------------------------------------------------------------


def entry(
    description: str,
    *,
    minutes: int,
    work_date: date = TODAY,
    start: time | None = None,
    end: time | None = None,
    rhk: int | None = None,
    quantity: Decimal | None = None,
    unit: str | None = None,
) -> QuickEntry:
    return QuickEntry(work_date, start, end, minutes, description, rhk, quantity, unit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "08.00-10.30 Menyusun laporan keuangan #2 3 dokumen",
            entry(
                "Menyusun laporan keuangan",
                start=time(8),
                end=time(10, 30),
                minutes=150,
                rhk=2,
                quantity=Decimal(3),
                unit="dokumen",
            ),
        ),
        (
            "kemarin 13.00-15.00 Rapat koordinasi",
            entry(
                "Rapat koordinasi",
                work_date=date(2026, 11, 22),
                start=time(13),
                end=time(15),
                minutes=120,
            ),
        ),
        (
            "21/11 08.00-09.00 Verifikasi berkas #1 12 berkas",
            entry(
                "Verifikasi berkas",
                work_date=date(2026, 11, 21),
                start=time(8),
                end=time(9),
                minutes=60,
                rhk=1,
                quantity=Decimal(12),
                unit="berkas",
            ),
        ),
        ("90 menit Membalas surat", entry("Membalas surat", minutes=90)),
        ("1 jam 30 menit Membalas surat masuk", entry("Membalas surat masuk", minutes=90)),
        ("hari ini 2j 15m Entri data SIPD", entry("Entri data SIPD", minutes=135)),
        (
            "kemarin lusa 1,5 jam Menyiapkan bahan paparan #3",
            entry("Menyiapkan bahan paparan", work_date=date(2026, 11, 21), minutes=90, rhk=3),
        ),
        (
            "2026-11-20 8-10 Apel pagi dan pembinaan",
            entry(
                "Apel pagi dan pembinaan",
                work_date=date(2026, 11, 20),
                start=time(8),
                end=time(10),
                minutes=120,
            ),
        ),
        # "8-10" alone is a time range; followed by another time it is the date 8 October.
        (
            "8-10 Rapat koordinasi",
            entry("Rapat koordinasi", start=time(8), end=time(10), minutes=120),
        ),
        (
            "8-10 08.00-09.00 Rapat",
            entry("Rapat", work_date=date(2026, 10, 8), start=time(8), end=time(9), minutes=60),
        ),
        (
            "21-11 08.00-09.00 Rapat",
            entry("Rapat", work_date=date(2026, 11, 21), start=time(8), end=time(9), minutes=60),
        ),
        (
            "21-11 90 menit Rapat",
            entry("Rapat", work_date=date(2026, 11, 21), minutes=90),
        ),
        (
            "tgl 20/11 08.00-09.00 Rapat",
            entry("Rapat", work_date=date(2026, 11, 20), start=time(8), end=time(9), minutes=60),
        ),
        (
            "Kemarin, 13.00-15.00 Rapat",
            entry(
                "Rapat", work_date=date(2026, 11, 22), start=time(13), end=time(15), minutes=120
            ),
        ),
        (
            "jam 13.00-15.00 Rapat koordinasi",
            entry("Rapat koordinasi", start=time(13), end=time(15), minutes=120),
        ),
        (
            "08.00 - 10.30: Menyusun laporan",
            entry("Menyusun laporan", start=time(8), end=time(10, 30), minutes=150),
        ),
        (
            "08.00-10.30 - Menyusun laporan",
            entry("Menyusun laporan", start=time(8), end=time(10, 30), minutes=150),
        ),
        (
            "08.00 s.d. 10.30 Menyusun   laporan\nkeuangan",
            entry("Menyusun laporan keuangan", start=time(8), end=time(10, 30), minutes=150),
        ),
        (
            "08.00 sampai 10.30 Menyusun laporan",
            entry("Menyusun laporan", start=time(8), end=time(10, 30), minutes=150),
        ),
        # Without #n every word is description, numbers included.
        (
            "08.00-10.30 Rapat persiapan HUT RI 80",
            entry("Rapat persiapan HUT RI 80", start=time(8), end=time(10, 30), minutes=150),
        ),
        (
            "08.00-10.30 Menyusun laporan 3 dokumen",
            entry("Menyusun laporan 3 dokumen", start=time(8), end=time(10, 30), minutes=150),
        ),
        (
            "08.00-10.30 Menyusun laporan #2",
            entry("Menyusun laporan", start=time(8), end=time(10, 30), minutes=150, rhk=2),
        ),
        (
            "08.00-10.30 Menyusun laporan #2 3",
            entry(
                "Menyusun laporan",
                start=time(8),
                end=time(10, 30),
                minutes=150,
                rhk=2,
                quantity=Decimal(3),
            ),
        ),
        (
            "07.00-11.00 Mengukur jalan desa #4 2,5 km",
            entry(
                "Mengukur jalan desa",
                start=time(7),
                end=time(11),
                minutes=240,
                rhk=4,
                quantity=Decimal("2.5"),
                unit="km",
            ),
        ),
        (
            "08.00-10.30 Mencetak undangan #1 1.000 lembar undangan",
            entry(
                "Mencetak undangan",
                start=time(8),
                end=time(10, 30),
                minutes=150,
                rhk=1,
                quantity=Decimal(1000),
                unit="lembar undangan",
            ),
        ),
        (
            "08.00-10.30 Rapat #abc persiapan",
            entry("Rapat #abc persiapan", start=time(8), end=time(10, 30), minutes=150),
        ),
        (
            "08.00-10.30 Rapat ke-#3 tim",
            entry("Rapat ke-#3 tim", start=time(8), end=time(10, 30), minutes=150),
        ),
    ],
)
def test_quick_entries(text: str, expected: QuickEntry) -> None:
    assert parse_quick_entry(text, today=TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "halo pak",
        "Selamat pagi",
        "rapat jam 8",
        "/start",
        "Menu",
        "ok",
        "terima kasih 🙏",
        "jam 8 rapat",
        "besok 08.00-10.00 Rapat",
        "lusa 08.00-10.00 Rapat",
        "3 dokumen selesai",
        "12 berkas",
        "45 Rapat",
        "2 minggu lalu",
        "#2 3 dokumen",
        "100%",
        "https://example.go.id/08.00",
        "Rapat 08.00-10.00",
    ],
)
def test_ordinary_chat_is_not_an_entry(text: str) -> None:
    assert parse_quick_entry(text, today=TODAY) is None


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("kemarin", "activity.time_range", {}),
        ("kemarin Rapat koordinasi", "activity.time_range", {}),
        ("hari ini saya izin", "activity.time_range", {}),
        ("21/11 Rapat", "activity.time_range", {}),
        ("21/11/2026 Rapat", "activity.time_range", {}),
        ("08.00 Rapat", "activity.time_range", {}),
        ("08.00-Rapat", "activity.time_range", {}),
        ("jam 13.00 Rapat", "activity.time_range", {}),
        ("kemarin 45 Rapat", "activity.time_range", {}),
        ("25.00-26.00 Rapat", "activity.time", {}),
        ("08.00-24.00 Lembur", "activity.time", {}),
        ("0800-1000 Rapat", "activity.time", {}),
        ("8:5-10 Rapat", "activity.time", {}),
        ("10.00-08.00 Rapat", "activity.end_before_start", {}),
        ("22.00-02.00 Piket malam", "activity.end_before_start", {}),
        ("31/02 08.00-09.00 Rapat", "activity.date", {"value": "31/02"}),
        ("31/02 Rapat", "activity.date", {"value": "31/02"}),
        ("30-02 08.00-09.00 Rapat", "activity.date", {"value": "30-02"}),
        ("0 menit Rapat", "activity.duration", {}),
        ("1,33 jam Rapat", "activity.duration", {}),
        ("25 jam Lembur", "activity.duration_too_long", {"max_hours": 24}),
        ("08.00-10.30 Ra", "activity.description_short", {"min": 3}),
        ("08.00-10.30", "activity.description_short", {"min": 3}),
        ("90 menit", "activity.description_short", {"min": 3}),
        ("08.00-10.30 #2 3 dokumen", "activity.description_short", {"min": 3}),
        ("08.00-10.30 " + "x" * 1001, "activity.description_long", {"max": 1000}),
        ("08.00-10.30 Rapat #0", "activity.rhk", {}),
        ("08.00-10.30 Rapat #100", "activity.rhk", {}),
        ("08.00-10.30 Rapat #2 dengan Bappeda", "activity.quantity", {}),
        ("08.00-10.30 Rapat #2 0 dokumen", "activity.quantity", {}),
        ("08.00-10.30 Rapat #2 #3", "activity.quantity", {}),
        ("08.00-10.30 Rapat #2 2.000.000 lembar", "activity.quantity", {}),
    ],
)
def test_entries_with_a_wrong_part_say_which(
    text: str, code: str, params: dict[str, object]
) -> None:
    assert _error(parse_quick_entry, text, today=TODAY) == (code, params)


def test_a_quick_entry_is_immutable() -> None:
    parsed = parse_quick_entry("90 menit Membalas surat", today=TODAY)
    assert parsed is not None

    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.minutes = 1  # type: ignore[misc]
