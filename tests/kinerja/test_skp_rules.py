"""SKP file rules without a database: reading, numbering, every row check, and the catalog."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from openpyxl import Workbook

from kinerja import tabular
from kinerja.nip import NIP_ERROR_CODES
from kinerja.skp import (
    MAX_RHK_PER_YEAR,
    SKP_COLUMNS,
    SKP_ERROR_CODES,
    SKP_WARNING_CODES,
    SkpError,
    SkpRow,
    SkpValidation,
    check_year,
    error_key,
    parse_skp,
    parse_target,
    validate_skp,
    warning_key,
)
from kinerja.tabular import FILE_ERROR_CODES, MAX_FILE_BYTES, TableFileError, TableRow

TODAY = date(2026, 3, 10)
ANA = "199008242015032001"
BUDI = "199201102019031003"
CICI = "198507072010012004"
ACTIVE = frozenset({ANA, BUDI, CICI})
HEADER = ",".join(SKP_COLUMNS)
LOCALES = Path(__file__).resolve().parents[2] / "locales"


def raw(row: int, **values: str) -> TableRow:
    return TableRow(row, {column: values.get(column, "") for column in SKP_COLUMNS})


def rhk(row: int, nip: str = ANA, year: str = "2026", **values: str) -> TableRow:
    defaults = {"rhk": f"Tersusunnya laporan {row}", "target": "12", "satuan": "laporan"}
    return raw(row, nip=nip, tahun=year, **{**defaults, **values})


def validate(*rows: TableRow, only_year: int | None = None) -> SkpValidation:
    return validate_skp(rows, active_nips=ACTIVE, today=TODAY, only_year=only_year)


def found(result: SkpValidation) -> list[tuple[int, str | None, str]]:
    return [(error.row, error.column, error.code) for error in result.errors]


def file_error(data: bytes, filename: str = "skp.csv") -> TableFileError:
    with pytest.raises(TableFileError) as caught:
        parse_skp(data, filename)
    return caught.value


def csv_bytes(lines: Iterable[str], encoding: str = "utf-8") -> bytes:
    return "\n".join(lines).encode(encoding)


# --- target and year -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", "12"),
        (" 12 ", "12"),
        ("12,5", "12.5"),
        ("0,75", "0.75"),
        ("12.5", "12.5"),  # a period not grouping three digits is a decimal point
        ("1.000", "1000"),
        ("1.250", "1250"),
        ("1.000.000", "1000000"),
        ("1.500.000,50", "1500000.50"),
        ("12,50", "12.50"),
        ("9.999.999.999,99", "9999999999.99"),
        ("100", "100"),
    ],
)
def test_targets_read_the_indonesian_way(text: str, expected: str) -> None:
    assert parse_target(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "0,00",
        "-5",
        "+5",
        "abc",
        "dua belas",
        "1,000",  # English thousands or three decimals: ambiguous, refused
        "12,345",
        "1,5,0",
        "1.5.0",
        "12.",
        ",5",
        "10.000.000.000",  # beyond NUMERIC(12, 2)
        "5 dokumen",
        "Rp 5.000",
        "100%",
        "1e3",
        "NaN",
        "Infinity",
    ],
)
def test_bad_targets_are_refused(text: str) -> None:
    with pytest.raises(SkpError) as caught:
        parse_target(text)
    assert caught.value.code == "skp.target"
    assert caught.value.params == {"value": text.strip()}


@pytest.mark.parametrize(
    ("text", "expected"), [("1.25", "1.25"), ("1250", "1250"), ("0.5", "0.5"), ("3", "3")]
)
def test_number_cells_read_as_numbers_not_as_indonesian_text(text: str, expected: str) -> None:
    assert parse_target(text, numeric=True) == Decimal(expected)


@pytest.mark.parametrize("text", ["1.125", "0.30000000000000004", "-1", "0", "nan", "inf"])
def test_number_cells_with_more_precision_than_stored_are_refused(text: str) -> None:
    with pytest.raises(SkpError):
        parse_target(text, numeric=True)


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_years_around_this_one_are_accepted(year: int) -> None:
    assert check_year(year, today=TODAY) == year


@pytest.mark.parametrize("year", [2024, 2028, 2062, 0])
def test_other_years_are_refused_with_the_window(year: int) -> None:
    with pytest.raises(SkpError) as caught:
        check_year(year, today=TODAY)
    assert caught.value.code == "skp.year"
    assert caught.value.params == {"value": year, "min": 2025, "max": 2027, "current": 2026}


# --- numbering -----------------------------------------------------------------------------------


def test_rows_of_one_nip_and_year_are_numbered_in_file_order() -> None:
    result = validate(
        rhk(2, ANA),
        rhk(3, BUDI),
        rhk(4, ANA),
        rhk(5, ANA, "2027"),
        rhk(6, ANA),
        rhk(7, BUDI),
    )
    assert result.errors == []
    assert [(row.row, row.nip, row.year, row.number) for row in result.valid] == [
        (2, ANA, 2026, 1),
        (3, BUDI, 2026, 1),
        (4, ANA, 2026, 2),
        (5, ANA, 2027, 1),
        (6, ANA, 2026, 3),
        (7, BUDI, 2026, 2),
    ]


def test_a_valid_row_keeps_what_the_admin_wrote_minus_layout_whitespace() -> None:
    row = raw(
        2,
        nip="19900824 201503 2 001",
        tahun="2026",
        rhk="  Tersusunnya\nlaporan   evaluasi ",
        indikator="Jumlah\tlaporan",
        target="1.000,5",
        satuan=" lembar  kerja ",
    )
    assert validate(row).valid == [
        SkpRow(
            row=2,
            nip=ANA,
            year=2026,
            number=1,
            title="Tersusunnya laporan evaluasi",
            indicator="Jumlah laporan",
            target=Decimal("1000.5"),
            unit="lembar kerja",
        )
    ]


def test_the_indicator_is_optional() -> None:
    result = validate(rhk(2, indikator=""))
    assert result.errors == []
    assert result.valid[0].indicator == ""


# --- row checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "column", "code", "params"),
    [
        ({"nip": ""}, "nip", "nip.required", {}),
        ({"nip": "12345"}, "nip", "nip.length", {"length": 5}),
        ({"nip": "1990-0824-2015"}, "nip", "nip.digits", {}),
        ({"nip": "1.99008E+17"}, "nip", "skp.nip_numeric", {}),
        ({"nip": "199013242015032001"}, "nip", "nip.birth_date", {"value": "19901324"}),
        ({"nip": "199008242015033001"}, "nip", "nip.gender", {"value": "3"}),
        ({"nip": "199001012015031001"}, "nip", "skp.unknown_nip", {"nip": "199001012015031001"}),
        ({"tahun": ""}, "tahun", "skp.year", {"value": ""}),
        ({"tahun": "26"}, "tahun", "skp.year", {"value": "26"}),
        ({"tahun": "2026/2027"}, "tahun", "skp.year", {"value": "2026/2027"}),
        ({"tahun": "2024"}, "tahun", "skp.year", {"value": "2024"}),
        ({"tahun": "2028"}, "tahun", "skp.year", {"value": "2028"}),
        ({"rhk": ""}, "rhk", "skp.rhk_required", {"min": 3}),
        ({"rhk": " a \n  "}, "rhk", "skp.rhk_required", {"min": 3}),
        ({"rhk": "x" * 1001}, "rhk", "skp.rhk_long", {"max": 1000, "length": 1001}),
        ({"indikator": "y" * 1001}, "indikator", "skp.indicator_long", {"length": 1001}),
        ({"target": ""}, "target", "skp.target", {"value": ""}),
        ({"target": "0"}, "target", "skp.target", {"value": "0"}),
        ({"target": "-3"}, "target", "skp.target", {"value": "-3"}),
        ({"target": "banyak"}, "target", "skp.target", {"value": "banyak"}),
        ({"satuan": ""}, "satuan", "skp.unit", {"max": 64}),
        ({"satuan": "s" * 65}, "satuan", "skp.unit", {"max": 64}),
    ],
)
def test_each_bad_value_is_reported_on_its_column(
    values: dict[str, str], column: str, code: str, params: dict[str, object]
) -> None:
    result = validate(raw(2, **{**rhk(2).values, **values}))
    assert found(result) == [(2, column, code)]
    assert params.items() <= result.errors[0].params.items()
    assert result.valid == []


def test_boundary_lengths_are_accepted() -> None:
    row = rhk(2, rhk="abc", indikator="i" * 1000, satuan="s" * 64)
    assert validate(row).errors == []
    assert validate(rhk(2, rhk="r" * 1000)).errors == []


def test_all_problems_of_a_row_are_reported_together_in_column_order() -> None:
    row = TableRow(
        5,
        {"nip": "123", "tahun": "20x6", "rhk": "", "indikator": "", "target": "0", "satuan": ""},
        extra_cells=1,
    )
    assert found(validate(row)) == [
        (5, "nip", "nip.length"),
        (5, "tahun", "skp.year"),
        (5, "rhk", "skp.rhk_required"),
        (5, "target", "skp.target"),
        (5, "satuan", "skp.unit"),
        (5, None, "skp.extra_cells"),
    ]


def test_a_nip_stored_as_a_number_in_xlsx_is_refused_even_if_it_looks_right() -> None:
    row = TableRow(2, rhk(2).values, numeric_columns=frozenset({"nip"}))
    assert found(validate(row)) == [(2, "nip", "skp.nip_numeric")]


def test_a_target_number_cell_is_read_as_a_number() -> None:
    row = TableRow(2, {**rhk(2).values, "target": "1.5"}, numeric_columns=frozenset({"target"}))
    assert validate(row).valid[0].target == Decimal("1.5")
    thousands = TableRow(2, {**rhk(2).values, "target": "1.500"})
    assert validate(thousands).valid[0].target == Decimal(1500)


def test_extra_cells_are_reported_without_a_column() -> None:
    row = TableRow(2, rhk(2).values, extra_cells=2)
    result = validate(row)
    assert found(result) == [(2, None, "skp.extra_cells")]
    assert result.errors[0].params == {"count": 2}


# --- whole SKPs ----------------------------------------------------------------------------------


def test_one_bad_row_holds_back_its_whole_employee_year_only() -> None:
    result = validate(
        rhk(2, ANA),
        rhk(3, ANA, target="0"),
        rhk(4, ANA),
        rhk(5, ANA, "2027"),
        rhk(6, BUDI),
    )
    assert found(result) == [
        (2, None, "skp.group_rejected"),
        (3, "target", "skp.target"),
        (4, None, "skp.group_rejected"),
    ]
    assert result.errors[0].params == {"rows": "3", "year": 2026}
    assert [(row.row, row.number) for row in result.valid] == [(5, 1), (6, 1)]


def test_an_unreadable_year_holds_back_every_year_of_that_nip() -> None:
    result = validate(rhk(2, ANA), rhk(3, ANA, "2O26"), rhk(4, ANA, "2027"), rhk(5, BUDI))
    assert found(result) == [
        (2, None, "skp.group_rejected"),
        (3, "tahun", "skp.year"),
        (4, None, "skp.group_rejected"),
    ]
    assert result.errors[2].params == {"rows": "3", "year": 2027}
    assert [row.row for row in result.valid] == [5]


def test_an_out_of_range_year_holds_back_only_that_year() -> None:
    result = validate(rhk(2, ANA, "2020"), rhk(3, ANA))
    assert found(result) == [(2, "tahun", "skp.year")]
    assert [(row.row, row.number) for row in result.valid] == [(3, 1)]


def test_a_row_without_a_readable_nip_cannot_hold_back_anyone() -> None:
    result = validate(rhk(2, ANA), rhk(3, "1990082420150320"), rhk(4, ANA))
    assert found(result) == [(3, "nip", "nip.length")]
    assert [row.number for row in result.valid] == [1, 2]


def test_many_bad_rows_are_listed_briefly() -> None:
    rows = [rhk(2, ANA), *(rhk(n, ANA, target="0") for n in range(3, 15))]
    params = validate(*rows).errors[0].params
    assert params["rows"] == "3, 4, 5, 6, 7, 8, 9, 10, 11, 12, …"


def test_more_than_fifty_rhk_for_one_employee_year_is_refused() -> None:
    rows = [rhk(n + 1, ANA) for n in range(1, MAX_RHK_PER_YEAR + 3)]
    rows.append(rhk(100, BUDI))
    rows.extend(rhk(200 + n, ANA, "2027") for n in range(MAX_RHK_PER_YEAR))
    result = validate(*rows)
    too_many = [error for error in result.errors if error.code == "skp.too_many"]
    assert [error.row for error in too_many] == [MAX_RHK_PER_YEAR + 2, MAX_RHK_PER_YEAR + 3]
    assert too_many[0].params == {"max": MAX_RHK_PER_YEAR, "year": 2026}
    assert len(result.errors) == MAX_RHK_PER_YEAR + 2
    assert {row.nip for row in result.valid} == {BUDI, ANA}
    assert len(result.valid) == 1 + MAX_RHK_PER_YEAR


def test_an_unknown_nip_is_reported_on_each_of_its_rows() -> None:
    stranger = "199001012015031001"
    result = validate(rhk(2, stranger), rhk(3, stranger), rhk(4, ANA))
    assert found(result) == [(2, "nip", "skp.unknown_nip"), (3, "nip", "skp.unknown_nip")]
    assert [row.row for row in result.valid] == [4]


def test_only_year_skips_other_years_without_judging_them() -> None:
    result = validate(
        rhk(2, ANA, "2026"),
        rhk(3, ANA, "2019", target="0"),
        rhk(4, BUDI, "2027"),
        rhk(5, ANA, "20x6"),
        only_year=2026,
    )
    assert result.skipped == 2
    assert found(result) == [(2, None, "skp.group_rejected"), (5, "tahun", "skp.year")]


def test_only_year_numbers_rows_as_the_full_file_would() -> None:
    rows = (rhk(2, ANA, "2027"), rhk(3, ANA), rhk(4, ANA, "2027"), rhk(5, ANA))
    result = validate(*rows, only_year=2026)
    assert [(row.row, row.number) for row in result.valid] == [(3, 1), (5, 2)]


# --- reading files -------------------------------------------------------------------------------


def test_csv_header_in_any_order_case_and_separator() -> None:
    data = csv_bytes(
        [
            "Satuan;TARGET; Indikator ;RHK;Tahun;NIP",
            f"laporan;1.000,5;Jumlah laporan;Tersusunnya laporan;2026;{ANA}",
            ";;;;;",
            f"dokumen;3;;Tersusunnya kajian;2026;{BUDI}",
        ]
    )
    rows = parse_skp(data, "skp.csv")
    assert [row.row for row in rows] == [2, 4]
    assert rows[0].values == {
        "nip": ANA,
        "tahun": "2026",
        "rhk": "Tersusunnya laporan",
        "indikator": "Jumlah laporan",
        "target": "1.000,5",
        "satuan": "laporan",
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings_excel_writes(encoding: str) -> None:
    data = csv_bytes([HEADER, f"{ANA},2026,Penyusunan rencana – tahap ½,,1,kegiatan"], encoding)
    assert parse_skp(data, "skp.csv")[0].values["rhk"] == "Penyusunan rencana – tahap ½"


def test_excel_separator_line_is_honoured_and_not_counted() -> None:
    data = csv_bytes(["sep=;", HEADER.replace(",", ";"), f"{ANA};2026;Rapat;;1;kali"])
    rows = parse_skp(data, "skp.csv")
    assert rows[0].row == 2
    assert rows[0].values["satuan"] == "kali"


def test_quoted_commas_stay_in_their_cell() -> None:
    data = csv_bytes([HEADER, f'{ANA},2026,"Laporan, kajian, dan rekomendasi",,"2,5",dokumen'])
    row = parse_skp(data, "skp.csv")[0]
    assert row.values["rhk"] == "Laporan, kajian, dan rekomendasi"
    assert row.values["target"] == "2,5"
    assert validate(row).valid[0].target == Decimal("2.5")


def test_xlsx_cells_keep_their_types(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["nip", "tahun", "rhk", "indikator", "target", "satuan"])
    sheet.append([ANA, 2026, "Tersusunnya laporan", None, 1.5, "laporan"])
    sheet.append([int(BUDI), 2026.0, "Tersusunnya kajian", "Jumlah kajian", 1000, "kajian"])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = parse_skp(buffer.getvalue(), "skp.csv")  # the zip signature wins over the name
    assert rows[0].values["tahun"] == "2026"
    assert rows[0].numeric_columns == frozenset({"tahun", "target"})
    assert rows[1].numeric_columns == frozenset({"nip", "tahun", "target"})
    result = validate(*rows)
    assert [row.target for row in result.valid] == [Decimal("1.5")]
    assert found(result) == [(3, "nip", "skp.nip_numeric")]


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "skp.csv", "file.empty"),
        (csv_bytes([HEADER]), "skp.csv", "file.empty"),
        (csv_bytes([HEADER, ",,,,,", ""]), "skp.csv", "file.empty"),
        (b"x" * (MAX_FILE_BYTES + 1), "skp.csv", "file.too_large"),
        (bytes(range(256)), "skp.csv", "file.not_text"),
        (b"nip,tahun\x01\n", "skp.csv", "file.not_text"),
        (b"PK\x03\x04garbage", "skp.csv", "file.bad_xlsx"),
        (csv_bytes([HEADER, f"{ANA},2026,Rapat,,1,kali"]), "skp.xlsx", "file.bad_xlsx"),
    ],
)
def test_files_that_are_not_an_skp(data: bytes, filename: str, code: str) -> None:
    assert file_error(data, filename).code == code


def test_a_wrong_header_names_what_is_missing_unknown_and_doubled() -> None:
    data = csv_bytes(["nip,nip,tahun,uraian,target,satuan", f"{ANA},{ANA},2026,x,1,kali"])
    error = file_error(data)
    assert error.code == "file.header"
    assert error.params == {"missing": "rhk,indikator", "unknown": "uraian", "duplicate": "nip"}


def test_a_roster_file_is_not_an_skp() -> None:
    data = csv_bytes(["nip,nama,jabatan,unit,atasan_nip,telepon,peran", f"{ANA},Ana,,Umum,,,"])
    assert file_error(data).code == "file.header"


# --- catalogs ------------------------------------------------------------------------------------


def _catalog(language: str) -> dict[str, str]:
    with (LOCALES / language / "LC_MESSAGES" / "skp.po").open("rb") as file:
        catalog = read_po(file, locale=language)
    return {str(message.id): str(message.string) for message in catalog if message.id}


def test_every_skp_key_exists_in_both_languages_with_the_same_placeholders() -> None:
    indonesian, english = _catalog("id"), _catalog("en")
    assert indonesian.keys() == english.keys()
    for key, text in indonesian.items():
        assert text and english[key], key
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", english[key]))


def test_every_code_and_column_has_a_message_with_an_example() -> None:
    codes = {*NIP_ERROR_CODES, *FILE_ERROR_CODES, *SKP_ERROR_CODES}
    keys = {error_key(code) for code in codes} | {warning_key(c) for c in SKP_WARNING_CODES}
    keys |= {f"skp.column.{column}" for column in SKP_COLUMNS}
    indonesian, english = _catalog("id"), _catalog("en")
    assert keys <= indonesian.keys()
    assert {key for key in indonesian if key.startswith(("skp.error.", "skp.column."))} <= keys
    for code in codes - {"skp.group_rejected"}:
        key = error_key(code)
        assert "contoh" in indonesian[key].lower(), key
        assert "for example" in english[key].lower(), key


def test_error_keys_follow_the_activity_convention() -> None:
    assert error_key("skp.target") == "skp.error.target"
    assert error_key("nip.length") == "skp.error.nip.length"
    assert error_key("file.header") == "skp.error.file.header"
    assert warning_key("skp.kept_referenced") == "skp.warning.kept_referenced"


def test_raised_errors_render_with_their_params_in_both_languages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Trigger every code for real, so a placeholder the code never fills fails here."""
    rows = [
        rhk(2, ""),
        rhk(3, "12345"),
        rhk(4, "1990-0824"),
        rhk(5, "1.99E+17"),
        rhk(6, "199013242015032001"),
        rhk(7, "199008242015033001"),
        rhk(8, "199001012015031001"),
        rhk(9, BUDI, "26", rhk="", target="0", satuan=""),
        rhk(10, CICI, rhk="r" * 1001, indikator="i" * 1001),
        TableRow(11, rhk(11, CICI, "2027").values, extra_cells=1),
        rhk(12, CICI, "2027"),
        *(rhk(100 + n, ANA) for n in range(MAX_RHK_PER_YEAR + 1)),
    ]
    raised = [(error.code, dict(error.params)) for error in validate(*rows).errors]
    for data, name in [
        (b"", "a.csv"),
        (b"x" * (MAX_FILE_BYTES + 1), "a.csv"),
        (b"\x00", "a.csv"),
        (b"PK\x03\x04", "a.xlsx"),
        (b"a,b\n1,2\n", "a.csv"),
    ]:
        error = file_error(data, name)
        raised.append((error.code, dict(error.params)))
    monkeypatch.setattr(tabular, "MAX_ROWS", 2)
    error = file_error(csv_bytes([HEADER, *[f"{ANA},2026,Rapat,,1,kali"] * 3]))
    raised.append((error.code, dict(error.params)))
    raised.append(
        ("skp.kept_referenced", {"nip": ANA, "year": 2026, "number": 3, "activities": 2})
    )
    expected = {*SKP_ERROR_CODES, *NIP_ERROR_CODES, *FILE_ERROR_CODES, *SKP_WARNING_CODES}
    assert {code for code, _ in raised} == expected
    for language in ("id", "en"):
        catalog = _catalog(language)
        for code, params in raised:
            key = warning_key(code) if code in SKP_WARNING_CODES else error_key(code)
            text = catalog[key].format(**params)
            assert "{" not in text, (language, key)
