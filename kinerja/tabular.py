"""Reading an admin's CSV or XLSX upload into rows keyed by a fixed set of column names.

Every import (SKP now; the roster in ``kinerja.roster`` still has its own copy of this reader,
to be switched over in a later refactor) gets the same tolerances: any column order and case,
``;`` or ``,`` separators, UTF-8 with or without a BOM or the Windows ANSI code page, Excel's
``sep=`` line, blank rows, and row numbers that match what Excel shows. Parsing only reshapes
the file; judging the values is left to the caller so all problems are reported together.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import TypeAlias

from openpyxl import load_workbook

from kinerja.errors import RuleViolation

MAX_FILE_MB = 20
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
# Bounds the time a zip-bombed XLSX or a runaway CSV can take.
MAX_ROWS = 200_000

FILE_ERROR_CODES = (
    "file.empty",
    "file.too_large",
    "file.not_text",
    "file.bad_xlsx",
    "file.header",
    "file.too_many_rows",
)

_ZIP_MAGIC = b"PK\x03\x04"
# C0/C1 control characters never appear in a hand-made sheet; they mean a binary file.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The first line Excel writes (and honours) to declare a CSV's separator.
_SEPARATOR_HINT = re.compile(r"sep=([,;\t])\r?\n", re.IGNORECASE)
_MAX_LISTED_COLUMNS = 10
_MAX_HEADER_CHARS = 40
# bool is excluded on purpose: TRUE/FALSE cells are not numbers Excel could have rounded.
_NUMBER_TYPES = (int, float)

_Record: TypeAlias = tuple[int, Sequence[object]]


class TableFileError(RuleViolation):
    """The upload cannot be read as the expected table at all, so no row can be judged."""


@dataclass(frozen=True)
class TableRow:
    """One non-blank data row as written in the file, every known column present and stripped.

    ``numeric_columns`` names cells an XLSX stored as numbers: the text of a float can no longer
    tell a rounded NIP or a decimal point from what the admin typed. ``extra_cells`` counts
    filled cells outside the known columns, a sign of an unquoted separator shifting values.
    """

    row: int
    values: Mapping[str, str]
    numeric_columns: frozenset[str] = frozenset()
    extra_cells: int = 0


def read_table(data: bytes, filename: str, columns: Sequence[str]) -> list[TableRow]:
    """Read an upload whose header must name exactly ``columns``; raise ``TableFileError``.

    The zip signature wins over the name, so an XLSX renamed to ``.csv`` still reads. A header
    without data rows is ``file.empty``: importing it would look like success while doing nothing.
    """
    if not data:
        raise TableFileError("file.empty")
    if len(data) > MAX_FILE_BYTES:
        raise TableFileError("file.too_large", {"max_mb": MAX_FILE_MB})
    if data.startswith(_ZIP_MAGIC) or filename.lower().endswith(".xlsx"):
        records = _xlsx_records(data)
    else:
        records = _csv_records(data)
    rows = _table_rows(records, columns) if records else []
    if not rows:
        raise TableFileError("file.empty")
    return rows


def cell_text(value: object) -> str:
    """The text a cell shows, as the admin would retype it (no ``.0`` on whole numbers)."""
    # Exact type checks first: this runs for every cell of files with 100,000 rows.
    if type(value) is str:
        text = value.strip()
        # ="0812…" is how exports keep Excel from turning a long number into 8.12E+10.
        if text.startswith('="') and text.endswith('"') and len(text) > 2:
            return text[2:-1].strip()
        return text
    if value is None:
        return ""
    if type(value) is float and value.is_integer():
        return str(int(value))
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    return str(value).strip()


def _csv_records(data: bytes) -> list[_Record]:
    text = _decode(data)
    if hint := _SEPARATOR_HINT.match(text):
        # Excel hides its "sep=;" line, so numbering starts after it, as the admin sees it.
        delimiter, text = hint[1], text[hint.end() :]
    else:
        delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Numbering records (not lines) matches Excel when a quoted cell spans lines.
        return _bounded_records(reader)
    except csv.Error:
        # Oversized fields and the like: garbage, or a stray quote swallowing the file.
        raise TableFileError("file.not_text") from None


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise TableFileError("file.not_text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Excel on Windows saves "CSV" in the ANSI code page.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise TableFileError("file.not_text") from None
    if _CONTROL_CHARS.search(text):
        raise TableFileError("file.not_text")
    return text


def _delimiter(text: str) -> str:
    """Pick ``;`` (Excel with an Indonesian locale) or ``,`` from the header line."""
    header = next((line for line in io.StringIO(text) if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def _xlsx_records(data: bytes) -> list[_Record]:
    # openpyxl's UserWarnings about harmless quirks are left alone: silencing them needs
    # warnings.catch_warnings, which is not thread-safe, and parsing belongs in a worker thread.
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not workbook.worksheets:
                return []
            sheet = workbook.worksheets[0]
            # Some generators write a wrong size; trusting it would truncate or pad rows.
            sheet.reset_dimensions()
            rows: Iterable[Sequence[object]] = sheet.iter_rows(values_only=True)
            return _bounded_records(rows)
        finally:
            workbook.close()
    except TableFileError:
        raise
    except Exception as exc:
        # A damaged workbook fails in many library-specific ways; they all mean the same.
        raise TableFileError("file.bad_xlsx") from exc


def _bounded_records(rows: Iterable[Sequence[object]]) -> list[_Record]:
    """Number the rows (as Excel does), keep the filled ones, and stop at `MAX_ROWS`."""
    records: list[_Record] = []
    for number, cells in enumerate(rows, start=1):
        if number > MAX_ROWS + 1:  # + 1 for the header
            raise TableFileError("file.too_many_rows", {"max": MAX_ROWS})
        if any(cell_text(cell) for cell in cells):
            records.append((number, cells))
    return records


def _table_rows(records: list[_Record], columns: Sequence[str]) -> list[TableRow]:
    _, header = records[0]
    positions = _header_positions(header, columns)
    known = set(positions.values())
    width = len(header)
    rows = []
    for number, cells in records[1:]:
        texts = [cell_text(cell) for cell in cells]
        texts.extend([""] * (width - len(texts)))
        values = {column: texts[index] for column, index in positions.items()}
        numeric = frozenset(
            column
            for column, index in positions.items()
            if index < len(cells) and type(cells[index]) in _NUMBER_TYPES
        )
        extra = sum(1 for index, text in enumerate(texts) if text and index not in known)
        rows.append(TableRow(number, values, numeric, extra))
    return rows


def _header_positions(header: Sequence[object], columns: Sequence[str]) -> dict[str, int]:
    wanted = set(columns)
    found: dict[str, int] = {}
    unknown: list[str] = []
    duplicate: list[str] = []
    for index, cell in enumerate(header):
        text = cell_text(cell)
        # "NIP", " Tahun " and "atasan nip" are the same column to the admin.
        name = "_".join(text.lower().split())
        if not name:
            continue
        if name not in wanted:
            unknown.append(_shorten(text))
        elif name in found:
            duplicate.append(name)
        else:
            found[name] = index
    missing = [column for column in columns if column not in found]
    if missing or unknown or duplicate:
        params = {
            "missing": _listing(missing),
            "unknown": _listing(unknown),
            "duplicate": _listing(duplicate),
        }
        raise TableFileError("file.header", params)
    return {column: found[column] for column in columns}


def _listing(names: list[str]) -> str:
    shown = ",".join(names[:_MAX_LISTED_COLUMNS])
    return shown + ",…" if len(names) > _MAX_LISTED_COLUMNS else shown


def _shorten(text: str) -> str:
    # A text document uploaded by mistake has a paragraph where the header should be.
    return text if len(text) <= _MAX_HEADER_CHARS else text[: _MAX_HEADER_CHARS - 1] + "…"
