import functools
import io
import random
import re
import zipfile
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from openpyxl import Workbook

from kinerja import roster as roster_module
from kinerja import tabular as tabular_module
from kinerja.nip import NIP_ERROR_CODES
from kinerja.phone import PHONE_ERROR_CODES
from kinerja.roster import (
    FILE_ERROR_CODES,
    MAX_FILE_BYTES,
    ROSTER_COLUMNS,
    ROW_ERROR_CODES,
    ExistingRoster,
    RawRow,
    RosterFileError,
    RosterRow,
    RosterValidation,
    RowError,
    parse_roster,
    validate_roster,
)

TODAY = date(2025, 6, 1)
HEADER = ",".join(ROSTER_COLUMNS)
HEAD = "197001011995031001"
STAFF = "199001012015032002"
PPPK = "198505152021212003"
LOCALES = Path(__file__).resolve().parents[2] / "locales"


def make_nip(index: int) -> str:
    """A distinct valid NIP per index (up to 15,000 × 999)."""
    born = date(1960, 1, 1) + timedelta(days=index % 15_000)
    return f"{born:%Y%m%d}201001{1 + index % 2}{1 + index // 15_000:03d}"


def raw(row: int, **values: str) -> RawRow:
    return RawRow(row, {column: values.get(column, "") for column in ROSTER_COLUMNS})


def person(row: int, nip: str, **values: str) -> RawRow:
    return raw(row, **{"nip": nip, "nama": f"Pegawai {row}", "unit": "Bagian Umum", **values})


def validate(*rows: RawRow, **options: object) -> RosterValidation:
    return validate_roster(rows, today=TODAY, **options)  # type: ignore[arg-type]


def found(result: RosterValidation) -> list[tuple[int, str | None, str]]:
    return [(error.row, error.column, error.code) for error in result.errors]


def file_error(data: bytes, filename: str = "pegawai.csv") -> RosterFileError:
    with pytest.raises(RosterFileError) as caught:
        parse_roster(data, filename)
    return caught.value


def csv_bytes(lines: Iterable[str], encoding: str = "utf-8") -> bytes:
    return "\n".join(lines).encode(encoding)


# --- reading files ---------------------------------------------------------------------------


def test_csv_rows_are_numbered_as_excel_shows_them() -> None:
    data = csv_bytes(
        [
            HEADER,
            f"{HEAD}, Siti Aminah ,Kepala Bagian,Bagian Umum,,0812-3456-7890,admin",
            ",,,,,,",
            "",
            f'{STAFF},"Budi\nSantoso",Staf,Bagian Umum,{HEAD},,',
            f"{PPPK},Ani,Staf,Bagian Umum,{HEAD},,",
        ]
    )

    rows = parse_roster(data, "pegawai.csv")

    assert [row.row for row in rows] == [2, 5, 6]
    assert dict(rows[0].values) == {
        "nip": HEAD,
        "nama": "Siti Aminah",
        "jabatan": "Kepala Bagian",
        "unit": "Bagian Umum",
        "atasan_nip": "",
        "telepon": "0812-3456-7890",
        "peran": "admin",
    }
    assert rows[1].values["nama"] == "Budi\nSantoso"
    assert rows[0].numeric_columns == frozenset()


def test_semicolon_bom_and_any_column_order() -> None:
    data = "\ufeffNama;  NIP ;Unit;Peran;Atasan NIP;TELEPON;jabatan\r\n".encode()
    data += f"Dewi, S.Kom;{STAFF};Bagian Umum;;{HEAD};;Analis\r\n".encode()

    [row] = parse_roster(data, "Pegawai.CSV")

    assert row.row == 2
    assert row.values["nip"] == STAFF
    assert row.values["nama"] == "Dewi, S.Kom"
    assert row.values["jabatan"] == "Analis"
    assert row.values["atasan_nip"] == HEAD


def test_excel_separator_hint_line_is_honoured_and_not_counted() -> None:
    data = csv_bytes(["sep=;", HEADER.replace(",", ";"), f"{STAFF};Dewi;;Umum;;;"])

    [row] = parse_roster(data, "pegawai.csv")

    assert (row.row, row.values["nama"]) == (2, "Dewi")


def test_excel_text_formula_wrapper_is_unwrapped() -> None:
    [row] = parse_roster(csv_bytes([HEADER, f'="{STAFF}",Dewi,,Umum,,="081234567890",']), "p")

    assert (row.values["nip"], row.values["telepon"]) == (STAFF, "081234567890")


def test_cp1252_is_accepted_when_not_utf8() -> None:
    data = csv_bytes([HEADER, f"{STAFF},André Wijayakusumaé,,Umum,,,"], encoding="cp1252")

    [row] = parse_roster(data, "pegawai.csv")

    assert row.values["nama"] == "André Wijayakusumaé"


def test_unquoted_separator_inside_a_value_is_reported() -> None:
    rows = parse_roster(csv_bytes([HEADER, f"{STAFF},Dewi, S.Kom,Analis,Umum,,,pegawai"]), "p.csv")

    assert rows[0].extra_cells == 1
    assert ("row.extra_cells", {"count": 1}) in [
        (error.code, error.params) for error in validate(*rows).errors
    ]


def test_wrong_header_names_what_is_missing_and_unknown() -> None:
    error = file_error(csv_bytes(["nip,nama,jabatan,unit_kerja,telepon,peran,no,nip", "1,2"]))

    assert error.code == "file.header"
    assert dict(error.params) == {
        "missing": "unit,atasan_nip",
        "unknown": "unit_kerja,no",
        "duplicate": "nip",
    }


def test_header_of_a_text_document_stays_short() -> None:
    words = " ".join(["kata"] * 500)
    error = file_error(csv_bytes([",".join([words] * 30), "x"]))

    assert error.code == "file.header"
    assert len(str(error.params["unknown"])) < 500


@pytest.mark.parametrize(
    "data", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf", b",,,\n, ,\n", HEADER.encode() + b"\n\n"]
)
def test_files_without_employees_are_empty(data: bytes) -> None:
    assert file_error(data).code == "file.empty"


def test_oversized_file_is_refused_before_reading() -> None:
    error = file_error(b"x" * (MAX_FILE_BYTES + 1))

    assert (error.code, dict(error.params)) == ("file.too_large", {"max_mb": 20})


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 100,
        "nip,nama\n\u0007\u0008".encode(),
        b"\x81\x8d\x8f" * 10,
        b'"' + b"x" * 300_000,
    ],
)
def test_binary_or_unreadable_files_are_not_text(data: bytes) -> None:
    assert file_error(data).code == "file.not_text"


def test_ten_megabytes_of_random_garbage_are_refused() -> None:
    rng = random.Random(20250601)
    data = rng.randbytes(10 * 1024 * 1024)
    printable = bytes(rng.choice(b"abc,;\"'\r\n\x81\xff ") for _ in range(500_000))

    assert file_error(data).code == "file.not_text"
    assert file_error(printable).code in {"file.not_text", "file.header"}
    assert file_error(data, "pegawai.xlsx").code == "file.bad_xlsx"


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"PK\x03\x04" + b"\x00broken" * 100, "pegawai.csv"),
        (csv_bytes([HEADER, f"{STAFF},Dewi,,Umum,,,"]), "pegawai.xlsx"),
    ],
)
def test_corrupt_workbooks_are_bad_xlsx(data: bytes, filename: str) -> None:
    assert file_error(data, filename).code == "file.bad_xlsx"


def test_zip_that_is_not_a_workbook_is_bad_xlsx() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("catatan.txt", "bukan excel")

    assert file_error(buffer.getvalue(), "pegawai.xlsx").code == "file.bad_xlsx"


def _workbook(tmp_path: Path, rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Pegawai"
    for values in rows:
        sheet.append(values)
    other = book.create_sheet("Catatan")
    other.append(["bukan", "data"])
    book.active = 1
    path = tmp_path / "pegawai.xlsx"
    book.save(path)
    return path.read_bytes()


def test_real_workbook_reads_first_sheet_with_excel_row_numbers(tmp_path: Path) -> None:
    data = _workbook(
        tmp_path,
        [
            ["NIP", "Nama", "Jabatan", "Unit", "Atasan_NIP", "Telepon", "Peran", None],
            [HEAD, " Siti ", "Kepala", "Umum", None, 81234567890, "Admin", None],
            [None, None, None, None, None, None, None, None],
            [199001012015032002, "Dewi", None, "Umum", HEAD, "0813 1111 2222", None, None],
            [PPPK, "Ani", None, "Umum", 1.97001011995031e17, 6281399998888.0, None, None],
        ],
    )

    for name in ("pegawai.xlsx", "pegawai.csv"):  # the zip signature wins over the name
        rows = parse_roster(data, name)
        assert [row.row for row in rows] == [2, 4, 5]

    assert rows[0].values["telepon"] == "81234567890"
    assert rows[0].values["atasan_nip"] == ""
    assert rows[0].values["nama"] == "Siti"
    assert rows[0].numeric_columns == frozenset({"telepon"})
    assert rows[1].numeric_columns == frozenset({"nip"})
    assert rows[2].numeric_columns == frozenset({"atasan_nip", "telepon"})

    result = validate(*rows)
    assert found(result) == [
        (4, "nip", "row.nip_numeric"),
        (5, "atasan_nip", "row.nip_numeric"),
    ]
    assert result.valid == [
        RosterRow(2, HEAD, "Siti", "Kepala", "Umum", None, "6281234567890", "admin")
    ]


def test_workbook_with_only_a_header_is_empty(tmp_path: Path) -> None:
    assert file_error(_workbook(tmp_path, [list(ROSTER_COLUMNS)]), "p.xlsx").code == "file.empty"


# --- judging rows ------------------------------------------------------------------------------


def test_clean_rows_become_normalised_roster_rows() -> None:
    result = validate(
        raw(2, nip=HEAD, nama="Siti", jabatan="Kepala", unit="Umum", peran="ADMIN"),
        raw(
            3,
            nip="19900101 201503 2 002",
            nama="Dewi",
            unit="Umum",
            atasan_nip=HEAD,
            telepon="+62 813-1111-2222",
        ),
    )

    assert result.errors == []
    assert result.valid == [
        RosterRow(2, HEAD, "Siti", "Kepala", "Umum", None, None, "admin"),
        RosterRow(3, STAFF, "Dewi", "", "Umum", HEAD, "6281311112222", "pegawai"),
    ]


def test_required_columns() -> None:
    result = validate(raw(2, jabatan="Staf"))

    assert found(result) == [
        (2, "nip", "row.required"),
        (2, "nama", "row.required"),
        (2, "unit", "row.required"),
    ]
    assert result.valid == []


def test_length_caps() -> None:
    result = validate(person(2, STAFF, jabatan="x" * 201), person(3, HEAD, jabatan="x" * 200))

    assert found(result) == [(2, "jabatan", "row.too_long")]
    assert result.errors[0].params == {"max": 200, "length": 201}


@pytest.mark.parametrize("text", ["1.99001E+17", "1,99001E+17", "1.99001012015031E17"])
def test_nip_mangled_by_excel_asks_for_a_text_cell(text: str) -> None:
    assert found(validate(person(2, text))) == [(2, "nip", "row.nip_numeric")]


def test_nip_and_phone_errors_use_their_own_codes_per_column() -> None:
    result = validate(
        person(2, "1990010120150310", telepon="021-5551234"),
        person(3, STAFF, atasan_nip="19900101201503 3 001", telepon="0812"),
    )

    assert [(e.row, e.column, e.code, e.params) for e in result.errors] == [
        (2, "nip", "nip.length", {"length": 16}),
        (2, "telepon", "phone.not_mobile", {}),
        (3, "atasan_nip", "nip.gender", {"value": "3"}),
        (3, "telepon", "phone.invalid", {}),
    ]


def test_roles() -> None:
    result = validate(
        person(2, HEAD, peran="Admin"),
        person(3, STAFF, peran=""),
        person(4, PPPK, peran="boss"),
        person(5, make_nip(7), peran="ADMIN_UNIT"),
    )

    assert [row.role for row in result.valid] == ["admin", "pegawai", "admin_unit"]
    assert [(e.row, e.column, e.code, e.params) for e in result.errors] == [
        (4, "peran", "row.role", {"value": "boss", "allowed": "pegawai, admin, admin_unit"})
    ]


def test_duplicate_nip_rejects_every_occurrence_and_their_staff() -> None:
    result = validate(
        person(2, HEAD),
        person(3, STAFF),
        person(4, "19700101 199503 1 001"),
        person(5, PPPK, atasan_nip=HEAD),
    )

    assert [(e.row, e.code, e.params) for e in result.errors] == [
        (2, "row.duplicate_nip", {"rows": "4"}),
        (4, "row.duplicate_nip", {"rows": "2"}),
        (5, "row.supervisor_invalid", {"row": 2}),
    ]
    assert [row.row for row in result.valid] == [3]


def test_duplicate_lists_are_capped() -> None:
    result = validate(*(person(row, STAFF) for row in range(2, 30)))

    assert len(result.errors) == 28
    assert result.errors[0].params == {"rows": "3, 4, 5, 6, 7, 8, 9, 10, 11, 12, …"}


def test_duplicate_phone_rejects_every_occurrence() -> None:
    result = validate(
        person(2, HEAD, telepon="0812-3456-7890"),
        person(3, STAFF, telepon="+6281234567890"),
        person(4, PPPK, telepon="81234567890"),
    )

    assert [(e.row, e.column, e.code, e.params) for e in result.errors] == [
        (2, "telepon", "row.duplicate_phone", {"rows": "3, 4"}),
        (3, "telepon", "row.duplicate_phone", {"rows": "2, 4"}),
        (4, "telepon", "row.duplicate_phone", {"rows": "2, 3"}),
    ]


def test_supervisor_must_be_in_the_file_in_full_mode() -> None:
    existing = ExistingRoster(nips=frozenset({HEAD}))
    result = validate(person(2, STAFF, atasan_nip=HEAD), existing=existing)

    assert [(e.row, e.column, e.code, e.params) for e in result.errors] == [
        (2, "atasan_nip", "row.supervisor_unknown", {"nip": HEAD})
    ]


def test_supervisor_self() -> None:
    assert found(validate(person(2, STAFF, atasan_nip="19900101 201503 2 002"))) == [
        (2, "atasan_nip", "row.supervisor_self")
    ]


def test_supervisor_cycle_rejects_every_member_and_cascades() -> None:
    a, b, c, d = (make_nip(index) for index in range(4))
    result = validate(
        person(2, a, atasan_nip=b),
        person(3, b, atasan_nip=a),
        person(4, c, atasan_nip=a),
        person(5, d, atasan_nip=c),
        person(6, HEAD),
    )

    assert [(e.row, e.code, e.params) for e in result.errors] == [
        (2, "row.supervisor_cycle", {"chain": f"{a} → {b} → {a}"}),
        (3, "row.supervisor_cycle", {"chain": f"{b} → {a} → {b}"}),
        (4, "row.supervisor_invalid", {"row": 2}),
        (5, "row.supervisor_invalid", {"row": 4}),
    ]
    assert [row.nip for row in result.valid] == [HEAD]


def test_long_cycle_chain_is_abbreviated() -> None:
    nips = [make_nip(index) for index in range(8)]
    result = validate(*(person(i + 2, nip, atasan_nip=nips[i - 1]) for i, nip in enumerate(nips)))

    assert len(result.errors) == 8
    chain = [nips[0], nips[7], nips[6], nips[5], nips[4], "…", nips[0]]
    assert result.errors[0].params["chain"] == " → ".join(chain)


def test_rejection_cascades_down_the_supervisor_chain() -> None:
    result = validate(
        person(2, HEAD, telepon="021-5551234"),
        person(3, STAFF, atasan_nip=HEAD),
        person(4, PPPK, atasan_nip=STAFF),
    )

    assert [(e.row, e.code, e.params) for e in result.errors] == [
        (2, "phone.not_mobile", {}),
        (3, "row.supervisor_invalid", {"row": 2}),
        (4, "row.supervisor_invalid", {"row": 3}),
    ]
    assert result.valid == []


def test_partial_mode_accepts_stored_supervisors_even_if_their_update_fails() -> None:
    existing = ExistingRoster(nips=frozenset({HEAD, make_nip(9)}))
    result = validate(
        person(2, STAFF, atasan_nip=make_nip(9)),
        person(3, HEAD, unit=""),
        person(4, PPPK, atasan_nip=HEAD),
        existing=existing,
        partial=True,
    )

    assert found(result) == [(3, "unit", "row.required")]
    assert [row.row for row in result.valid] == [2, 4]


def test_partial_mode_phone_owned_by_someone_outside_the_file_is_taken() -> None:
    owner = make_nip(7)
    existing = ExistingRoster(
        nips=frozenset({owner, STAFF}),
        phone_owner={"6281234567890": owner, "6281311112222": STAFF},
    )
    rows = (
        person(2, PPPK, telepon="0812-3456-7890"),
        person(3, STAFF, telepon="0813-1111-2222"),
    )

    partial = validate(*rows, existing=existing, partial=True)
    full = validate(*rows, existing=existing)

    assert [(e.row, e.code, e.params) for e in partial.errors] == [
        (2, "row.phone_taken", {"nip": owner})
    ]
    assert full.errors == []


@pytest.mark.parametrize("partial", [True, False])
def test_phone_moves_only_if_its_owner_update_succeeds(partial: bool) -> None:
    existing = ExistingRoster(nips=frozenset({HEAD}), phone_owner={"6281234567890": HEAD})
    moved = (person(2, HEAD, telepon="0813-0000-0001"), person(3, STAFF, telepon="081234567890"))
    stuck = (person(2, HEAD, nama=""), person(3, STAFF, telepon="081234567890"))

    assert validate(*moved, existing=existing, partial=partial).errors == []
    assert found(validate(*stuck, existing=existing, partial=partial)) == [
        (2, "nama", "row.required"),
        (3, "telepon", "row.phone_taken"),
    ]


def test_errors_are_sorted_by_row_then_column_position() -> None:
    result = validate(
        raw(3, nip=STAFF, peran="x", telepon="1", unit="U"), raw(2, nip="1", unit="U", nama="N")
    )

    assert [(e.row, e.column) for e in result.errors] == [
        (2, "nip"),
        (3, "nama"),
        (3, "telepon"),
        (3, "peran"),
    ]
    assert all(isinstance(error, RowError) for error in result.errors)


def _chain_csv(size: int, *, cycle: bool) -> bytes:
    nips = [make_nip(index) for index in range(size)]
    lines = [HEADER]
    for index, nip in enumerate(nips):
        boss = nips[index - 1] if index or cycle else ""
        lines.append(f"{nip},Pegawai {index},Staf,Unit {index % 50},{boss},08{index:010d},")
    return csv_bytes(lines)


@functools.cache
def _chain_rows(*, cycle: bool) -> tuple[RawRow, ...]:
    return tuple(parse_roster(_chain_csv(50_000, cycle=cycle), "pegawai.csv"))


@pytest.mark.parametrize("cycle", [False, True])
def test_fifty_thousand_rows_in_one_deep_chain_validate(cycle: bool) -> None:
    """A 50,000-deep supervisor chain (no recursion limit hit; speed is bench.roster_import's)."""
    rows = _chain_rows(cycle=cycle)

    result = validate(*rows)

    if cycle:
        assert (len(result.valid), len(result.errors)) == (0, 50_000)
        assert {error.code for error in result.errors} == {"row.supervisor_cycle"}
    else:
        assert (len(result.valid), result.errors) == (50_000, [])


def test_broken_head_of_a_deep_chain_rejects_everyone_below() -> None:
    rows = list(_chain_rows(cycle=False))
    head = rows[0]
    rows[0] = RawRow(head.row, {**head.values, "telepon": "021555"})

    result = validate(*rows)

    assert result.valid == []
    assert result.errors[-1].params == {"row": 50_000}


# --- catalogs ----------------------------------------------------------------------------------


def _catalog(language: str) -> dict[str, str]:
    with (LOCALES / language / "LC_MESSAGES" / "roster.po").open("rb") as file:
        catalog = read_po(file, locale=language)
    return {str(message.id): str(message.string) for message in catalog if message.id}


def test_every_roster_key_exists_in_both_languages() -> None:
    indonesian, english = _catalog("id"), _catalog("en")

    assert indonesian.keys() == english.keys()
    assert all(indonesian.values()) and all(english.values())
    for key, text in indonesian.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", english[key]))


def test_every_code_and_column_has_a_message() -> None:
    codes = {*NIP_ERROR_CODES, *PHONE_ERROR_CODES, *FILE_ERROR_CODES, *ROW_ERROR_CODES}
    expected = {f"roster.error.{code}" for code in codes}
    expected |= {f"roster.column.{column}" for column in ROSTER_COLUMNS}

    assert expected == _catalog("id").keys()


def test_raised_errors_render_with_their_params_in_both_languages(tmp_path: Path) -> None:
    """Trigger every row and file code for real, so a placeholder the code never fills fails."""
    a, b = make_nip(1), make_nip(2)
    existing = ExistingRoster(nips=frozenset({make_nip(3)}), phone_owner={"6281200000001": b})
    rows = [
        raw(2),
        person(3, STAFF, nama="n" * 201, peran="ketua", telepon="0812 0000 0001"),
        person(4, "1.99E+17"),
        person(5, HEAD, telepon="0812 0000 0002"),
        person(6, PPPK, telepon="0812 0000 0002", atasan_nip=HEAD),
        person(7, a, atasan_nip=a),
        person(8, make_nip(4), atasan_nip=make_nip(5)),
        person(9, make_nip(6), atasan_nip=make_nip(7)),
        person(10, make_nip(7), atasan_nip=make_nip(6)),
        person(11, make_nip(8), atasan_nip=PPPK),
        person(12, make_nip(9), atasan_nip="1", telepon="021 555 1234"),
        person(13, "1990", telepon="0812"),
        person(14, "19901301201503 1 001"),
        person(15, "19900101201503 3 001"),
        person(16, "x"),
        RawRow(17, person(17, make_nip(10)).values, extra_cells=2),
        person(18, make_nip(11), atasan_nip=make_nip(12)),
        person(19, make_nip(11)),
    ]
    errors: list[tuple[str, dict[str, object]]] = [
        (error.code, dict(error.params))
        for error in validate(*rows, existing=existing, partial=True).errors
    ]
    for data, name in [
        (b"", "a.csv"),
        (b"x" * (MAX_FILE_BYTES + 1), "a.csv"),
        (b"\x00", "a.csv"),
        (b"PK\x03\x04", "a.xlsx"),
        (b"nama\n1", "a.csv"),
    ]:
        error = file_error(data, name)
        errors.append((error.code, dict(error.params)))
    errors.append(("nip.required", {}))
    # Raised for real in test_too_many_rows_is_refused_without_reading_them_all.
    errors.append(("file.too_many_rows", {"max": roster_module.MAX_ROWS}))

    raised = {code for code, _ in errors}
    assert raised >= set(ROW_ERROR_CODES) | set(FILE_ERROR_CODES) | set(PHONE_ERROR_CODES)
    assert raised >= set(NIP_ERROR_CODES)
    for language in ("id", "en"):
        catalog = _catalog(language)
        for code, params in errors:
            assert catalog[f"roster.error.{code}"].format(**params)


def test_too_many_rows_is_refused_without_reading_them_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tabular_module, "MAX_ROWS", 3)
    lines = ["nip,nama,jabatan,unit,atasan_nip,telepon,peran"] + ["x,y,z,u,,,"] * 4
    with pytest.raises(RosterFileError) as caught:
        parse_roster("\n".join(lines).encode(), "r.csv")
    assert caught.value.code == "file.too_many_rows"
    assert caught.value.params == {"max": 3}
