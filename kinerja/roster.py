"""Employee roster import: reading the admin's CSV/XLSX file and checking it as a whole.

Parsing only reshapes the file into rows and rejects files that are not a roster at all; every
judgement about the data is made in ``validate_roster`` so the admin gets all problems of a file
in one report, each pointing at the row number Excel shows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import TypeAlias

from openpyxl import load_workbook

from kinerja.errors import RuleViolation
from kinerja.nip import Nip, NipError, parse_nip
from kinerja.phone import PhoneError, normalize_phone

ROSTER_COLUMNS = ("nip", "nama", "jabatan", "unit", "atasan_nip", "telepon", "peran")
ROLES = ("pegawai", "admin")
REQUIRED_COLUMNS = ("nip", "nama", "unit")
MAX_TEXT_LENGTH = 200
MAX_FILE_MB = 20
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
# Four times the largest province: bounds the time a zip-bombed XLSX or a runaway CSV can take.
MAX_ROWS = 200_000

FILE_ERROR_CODES = (
    "file.empty",
    "file.too_large",
    "file.not_text",
    "file.bad_xlsx",
    "file.header",
    "file.too_many_rows",
)
ROW_ERROR_CODES = (
    "row.required",
    "row.too_long",
    "row.nip_numeric",
    "row.role",
    "row.extra_cells",
    "row.duplicate_nip",
    "row.duplicate_phone",
    "row.phone_taken",
    "row.supervisor_unknown",
    "row.supervisor_self",
    "row.supervisor_cycle",
    "row.supervisor_invalid",
)

_ZIP_MAGIC = b"PK\x03\x04"
# C0/C1 control characters never appear in a hand-made roster; they mean a binary file.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What Excel writes for a long number saved to CSV: "1.99001E+17" or, in id-ID, "1,99001E+17".
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE][+-]?\d+")
# The first line Excel writes (and honours) to declare a CSV's separator.
_SEPARATOR_HINT = re.compile(r"sep=([,;\t])\r?\n", re.IGNORECASE)
_COLUMN_ORDER = {column: index for index, column in enumerate(ROSTER_COLUMNS)}
# Error params listing other rows stay readable (and small) even for thousands of duplicates.
_MAX_LISTED_ROWS = 10
_MAX_CHAIN_NIPS = 5
_MAX_LISTED_COLUMNS = 10
_MAX_HEADER_CHARS = 40
# bool is excluded on purpose: TRUE/FALSE cells are not numbers Excel could have rounded.
_NUMBER_TYPES = (int, float)
_DUPLICATE_CODES = {"nip": "row.duplicate_nip", "telepon": "row.duplicate_phone"}


class RosterFileError(RuleViolation):
    """The upload cannot be read as a roster at all, so no row can be judged."""


@dataclass(frozen=True)
class RawRow:
    """One non-blank data row as written in the file, every column present and stripped.

    ``numeric_columns`` names cells an XLSX stored as numbers: for NIPs that means Excel has
    already rounded the value, which the text alone cannot reveal. ``extra_cells`` counts
    filled cells outside the known columns, a sign of an unquoted separator shifting values.
    """

    row: int
    values: Mapping[str, str]
    numeric_columns: frozenset[str] = frozenset()
    extra_cells: int = 0


@dataclass(frozen=True)
class ExistingRoster:
    """What the database already holds; phones are keys in normalized ``628…`` form."""

    nips: frozenset[str] = frozenset()
    phone_owner: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    code: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RosterRow:
    row: int
    nip: str
    name: str
    position: str
    unit: str
    supervisor_nip: str | None
    phone: str | None
    role: str


@dataclass(frozen=True)
class RosterValidation:
    valid: list[RosterRow]
    errors: list[RowError]


# --- reading the file -----------------------------------------------------------------------

_Record: TypeAlias = tuple[int, Sequence[object]]


def parse_roster(data: bytes, filename: str) -> list[RawRow]:
    """Read a roster upload into rows; raise ``RosterFileError`` if it is not a roster.

    The zip signature wins over the name, so an XLSX renamed to ``.csv`` still reads.
    """
    if not data:
        raise RosterFileError("file.empty")
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError("file.too_large", {"max_mb": MAX_FILE_MB})
    if data.startswith(_ZIP_MAGIC) or filename.lower().endswith(".xlsx"):
        records = _xlsx_records(data)
    else:
        records = _csv_records(data)
    rows = _raw_rows(records) if records else []
    if not rows:
        # A header alone is still "no employees"; importing it in full mode would empty the roster.
        raise RosterFileError("file.empty")
    return rows


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
        raise RosterFileError("file.not_text") from None


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise RosterFileError("file.not_text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Excel on Windows saves "CSV" in the ANSI code page.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise RosterFileError("file.not_text") from None
    if _CONTROL_CHARS.search(text):
        raise RosterFileError("file.not_text")
    return text


def _delimiter(text: str) -> str:
    """Pick ``;`` (Excel with an Indonesian locale) or ``,`` from the header line."""
    header = next((line for line in io.StringIO(text) if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def _xlsx_records(data: bytes) -> list[_Record]:
    # openpyxl's UserWarnings about harmless quirks (no default style, unsupported extensions)
    # are left alone: silencing them needs warnings.catch_warnings, which is not thread-safe,
    # and parsing large workbooks belongs in a worker thread.
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
    except RosterFileError:
        raise
    except Exception as exc:
        # A damaged workbook fails in many library-specific ways; they all mean the same.
        raise RosterFileError("file.bad_xlsx") from exc


def _bounded_records(rows: Iterable[Sequence[object]]) -> list[_Record]:
    """Number the rows (as Excel does), keep the filled ones, and stop at `MAX_ROWS`."""
    records: list[_Record] = []
    for number, cells in enumerate(rows, start=1):
        if number > MAX_ROWS + 1:  # + 1 for the header
            raise RosterFileError("file.too_many_rows", {"max": MAX_ROWS})
        if _filled(cells):
            records.append((number, cells))
    return records


def _raw_rows(records: list[_Record]) -> list[RawRow]:
    _, header = records[0]
    positions = _header_positions(header)
    known = set(positions.values())
    width = len(header)
    rows = []
    for number, cells in records[1:]:
        texts = [_cell_text(cell) for cell in cells]
        texts.extend([""] * (width - len(texts)))
        values = {column: texts[index] for column, index in positions.items()}
        numeric = frozenset(
            column
            for column, index in positions.items()
            if index < len(cells) and type(cells[index]) in _NUMBER_TYPES
        )
        extra = sum(1 for index, text in enumerate(texts) if text and index not in known)
        rows.append(RawRow(number, values, numeric, extra))
    return rows


def _header_positions(header: Sequence[object]) -> dict[str, int]:
    found: dict[str, int] = {}
    unknown: list[str] = []
    duplicate: list[str] = []
    for index, cell in enumerate(header):
        text = _cell_text(cell)
        # "NIP", " Atasan NIP " and "atasan_nip" are the same column to the admin.
        name = "_".join(text.lower().split())
        if not name:
            continue
        if name not in _COLUMN_ORDER:
            unknown.append(_shorten(text))
        elif name in found:
            duplicate.append(name)
        else:
            found[name] = index
    missing = [column for column in ROSTER_COLUMNS if column not in found]
    if missing or unknown or duplicate:
        params = {
            "missing": _listing(missing),
            "unknown": _listing(unknown),
            "duplicate": _listing(duplicate),
        }
        raise RosterFileError("file.header", params)
    return {column: found[column] for column in ROSTER_COLUMNS}


def _listing(names: list[str]) -> str:
    shown = ",".join(names[:_MAX_LISTED_COLUMNS])
    return shown + ",…" if len(names) > _MAX_LISTED_COLUMNS else shown


def _shorten(text: str) -> str:
    # A text document uploaded by mistake has a paragraph where the header should be.
    return text if len(text) <= _MAX_HEADER_CHARS else text[: _MAX_HEADER_CHARS - 1] + "…"


def _filled(cells: Sequence[object]) -> bool:
    return any(_cell_text(cell) for cell in cells)


def _cell_text(value: object) -> str:
    # Exact type checks first: this runs for every cell of files with 50,000 rows.
    if type(value) is str:
        text = value.strip()
        # ="0812…" is how exports keep Excel from turning a long number into 8.12E+10.
        if text.startswith('="') and text.endswith('"') and len(text) > 2:
            return text[2:-1].strip()
        return text
    if value is None:
        return ""
    if type(value) is float and value.is_integer():
        # Excel stores every number as a float; 81234567890.0 is the phone 81234567890.
        return str(int(value))
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    return str(value).strip()


# --- judging the rows -----------------------------------------------------------------------

_NipParser: TypeAlias = Callable[[str], Nip | NipError]


@dataclass(slots=True)
class _Row:
    """Working state of one row; ``errors`` stays None until the first problem (rosters are
    large and mostly clean, so avoiding 50,000 empty lists keeps validation fast)."""

    raw: RawRow
    nip: str | None = None
    supervisor: str | None = None
    phone: str | None = None
    role: str = ROLES[0]
    boss: int | None = None
    errors: list[RowError] | None = None

    def reject(
        self, column: str | None, code: str, params: Mapping[str, object] | None = None
    ) -> None:
        error = RowError(self.raw.row, column, code, dict(params or {}))
        if self.errors is None:
            self.errors = [error]
        else:
            self.errors.append(error)


def validate_roster(
    rows: Sequence[RawRow],
    *,
    existing: ExistingRoster | None = None,
    partial: bool = False,
    today: date | None = None,
) -> RosterValidation:
    """Check every row and the roster as a whole.

    In full mode the file is the entire roster, so supervisors must be in it. In partial mode
    the file updates part of ``existing``: a supervisor may be an employee already stored, and
    a phone must not belong to a stored employee the file leaves untouched. In both modes a
    stored phone stays with its owner while the owner's own row is rejected.
    """
    stored = existing or ExistingRoster()
    # In full mode everyone stored but absent from the file leaves, so only partial mode
    # may lean on stored employees.
    kept = stored.nips if partial else frozenset()
    parse = _nip_parser(today or date.today())
    checked = [_check_fields(raw, parse) for raw in rows]
    nip_row, duplicated = _reject_duplicates(checked, "nip", lambda row: row.nip)
    _reject_duplicates(checked, "telepon", lambda row: row.phone)
    phone_claims = _check_phone_owners(checked, nip_row, stored.phone_owner, partial=partial)
    staff = _check_supervisors(checked, nip_row, duplicated, kept)
    _reject_cycles(checked)
    _cascade(checked, nip_row, staff, phone_claims, kept)

    errors = sorted(
        (error for row in checked for error in row.errors or ()),
        key=lambda error: (error.row, _COLUMN_ORDER.get(error.column or "", -1)),
    )
    valid = [_roster_row(row) for row in checked if row.errors is None]
    return RosterValidation(valid=valid, errors=errors)


def _check_fields(raw: RawRow, parse: _NipParser) -> _Row:
    row = _Row(raw)
    values = raw.values
    row.nip = _check_nip(row, "nip", parse)
    for column in ("nama", "jabatan", "unit"):
        text = values.get(column, "")
        if not text and column in REQUIRED_COLUMNS:
            row.reject(column, "row.required")
        elif len(text) > MAX_TEXT_LENGTH:
            row.reject(column, "row.too_long", {"max": MAX_TEXT_LENGTH, "length": len(text)})
    if values.get("atasan_nip"):
        row.supervisor = _check_nip(row, "atasan_nip", parse)
    if phone := values.get("telepon"):
        try:
            row.phone = normalize_phone(phone)
        except PhoneError as exc:
            row.reject("telepon", exc.code, exc.params)
    role = values.get("peran", "").lower() or ROLES[0]
    if role in ROLES:
        row.role = role
    else:
        allowed = ", ".join(ROLES)
        row.reject("peran", "row.role", {"value": values.get("peran", ""), "allowed": allowed})
    if raw.extra_cells:
        row.reject(None, "row.extra_cells", {"count": raw.extra_cells})
    return row


def _check_nip(row: _Row, column: str, parse: _NipParser) -> str | None:
    text = row.raw.values.get(column, "")
    if column in row.raw.numeric_columns:
        row.reject(column, "row.nip_numeric")
        return None
    if not text:
        row.reject(column, "row.required")
        return None
    nip = parse(text)
    if isinstance(nip, NipError):
        numeric = nip.code == "nip.digits" and _SCIENTIFIC.fullmatch(text)
        row.reject(column, "row.nip_numeric" if numeric else nip.code, nip.params)
        return None
    return nip.value


def _nip_parser(today: date) -> _NipParser:
    """Parse each distinct text once: a supervisor's NIP repeats on all their staff's rows."""
    seen: dict[str, Nip | NipError] = {}

    def parse(text: str) -> Nip | NipError:
        known = seen.get(text)
        if known is None:
            try:
                known = parse_nip(text, today=today)
            except NipError as exc:
                known = exc.with_traceback(None)
            seen[text] = known
        return known

    return parse


def _reject_duplicates(
    rows: list[_Row], column: str, key: Callable[[_Row], str | None]
) -> tuple[dict[str, int], set[str]]:
    """Reject every occurrence of a repeated value: the file does not say which one is right.

    Returns the first row index per value and the set of repeated values.
    """
    first: dict[str, int] = {}
    repeats: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        value = key(row)
        if value is None:
            continue
        seen = first.setdefault(value, index)
        if seen != index:
            repeats.setdefault(value, [seen]).append(index)
    code = _DUPLICATE_CODES[column]
    for members in repeats.values():
        numbers = [rows[index].raw.row for index in members]
        for index in members:
            own = rows[index].raw.row
            others = [number for number in numbers[: _MAX_LISTED_ROWS + 1] if number != own]
            listed = ", ".join(str(number) for number in others[:_MAX_LISTED_ROWS])
            if len(numbers) - 1 > _MAX_LISTED_ROWS:
                listed += ", …"
            rows[index].reject(column, code, {"rows": listed})
    return first, set(repeats)


def _check_phone_owners(
    rows: list[_Row], nip_row: Mapping[str, int], phone_owner: Mapping[str, str], *, partial: bool
) -> dict[str, list[int]]:
    """Reject phones held by stored employees outside the file (partial mode only: in full
    mode those employees leave).

    Returns, per owner present in the file, the rows claiming the owner's stored phone: those
    rows are fine only if the owner's own row is accepted (it then changes the phone).
    """
    claims: dict[str, list[int]] = {}
    if not phone_owner:
        return claims
    for index, row in enumerate(rows):
        owner = phone_owner.get(row.phone) if row.phone else None
        if owner is None or owner == row.nip:
            continue
        if owner in nip_row:
            claims.setdefault(owner, []).append(index)
        elif partial:
            row.reject("telepon", "row.phone_taken", {"nip": owner})
    return claims


def _check_supervisors(
    rows: list[_Row], nip_row: Mapping[str, int], duplicated: set[str], kept: frozenset[str]
) -> dict[str, list[int]]:
    """Reject supervisors that cannot exist, link each row to its supervisor's row, and
    return the staff rows of each supervisor NIP found in the file."""
    staff: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        supervisor = row.supervisor
        if supervisor is None:
            continue
        if supervisor == row.nip:
            row.reject("atasan_nip", "row.supervisor_self")
        elif supervisor in nip_row:
            members = staff.get(supervisor)
            if members is None:
                staff[supervisor] = [index]
            else:
                members.append(index)
            if supervisor not in duplicated:
                row.boss = nip_row[supervisor]
        elif supervisor not in kept:
            row.reject("atasan_nip", "row.supervisor_unknown", {"nip": supervisor})
    return staff


def _reject_cycles(rows: list[_Row]) -> None:
    """Reject every row on a supervisor cycle.

    Each row has at most one supervisor, so following the links from every unvisited row
    finds all cycles in linear time; iteration (not recursion) copes with very deep chains.
    """
    new, on_path, finished = 0, 1, 2
    state = [new] * len(rows)
    path: list[int] = []
    for start in range(len(rows)):
        node: int | None = start
        while node is not None and state[node] == new:
            state[node] = on_path
            path.append(node)
            node = rows[node].boss
        if node is not None and state[node] == on_path:
            _reject_cycle(rows, path[path.index(node) :])
        for visited in path:
            state[visited] = finished
        path.clear()


def _reject_cycle(rows: list[_Row], cycle: list[int]) -> None:
    nips = [rows[index].nip or "" for index in cycle]
    size = len(cycle)
    for offset, index in enumerate(cycle):
        shown = [nips[(offset + step) % size] for step in range(min(size, _MAX_CHAIN_NIPS))]
        if size > _MAX_CHAIN_NIPS:
            shown.append("…")
        chain = " → ".join([*shown, nips[offset]])
        rows[index].reject("atasan_nip", "row.supervisor_cycle", {"chain": chain})


def _cascade(
    rows: list[_Row],
    nip_row: Mapping[str, int],
    staff: Mapping[str, list[int]],
    phone_claims: Mapping[str, list[int]],
    kept: frozenset[str],
) -> None:
    """Spread rejections until stable: staff of a rejected supervisor lose their supervisor,
    and a phone stays taken while its stored owner's update is rejected.

    A supervisor already stored (partial mode) still exists when their row is rejected, so
    their staff stay valid.
    """
    pending = [index for index, row in enumerate(rows) if row.errors is not None]
    settled: set[str] = set()
    while pending:
        index = pending.pop()
        nip = rows[index].nip
        # Every row carrying this NIP is rejected: duplicates are rejected together.
        if nip is None or nip in settled:
            continue
        settled.add(nip)
        number = rows[nip_row[nip]].raw.row
        if nip not in kept:
            for member in staff.get(nip, ()):
                if rows[member].errors is None:
                    rows[member].reject("atasan_nip", "row.supervisor_invalid", {"row": number})
                    pending.append(member)
        for claimant in phone_claims.get(nip, ()):
            if rows[claimant].errors is None:
                rows[claimant].reject("telepon", "row.phone_taken", {"nip": nip})
                pending.append(claimant)


def _roster_row(row: _Row) -> RosterRow:
    values = row.raw.values
    return RosterRow(
        row=row.raw.row,
        nip=row.nip or "",
        name=values.get("nama", ""),
        position=values.get("jabatan", ""),
        unit=values.get("unit", ""),
        supervisor_nip=row.supervisor,
        phone=row.phone,
        role=row.role,
    )
