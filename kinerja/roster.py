"""Employee roster import: reading the admin's CSV/XLSX file and checking it as a whole.

Parsing only reshapes the file into rows and rejects files that are not a roster at all; every
judgement about the data is made in ``validate_roster`` so the admin gets all problems of a file
in one report, each pointing at the row number Excel shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeAlias

from kinerja.nip import Nip, NipError, parse_nip
from kinerja.phone import PhoneError, normalize_phone
from kinerja.tabular import (
    FILE_ERROR_CODES,
    MAX_FILE_BYTES,
    MAX_FILE_MB,
    MAX_ROWS,
    TableFileError,
    TableRow,
    read_table,
)

__all__ = [
    "FILE_ERROR_CODES",
    "MAX_FILE_BYTES",
    "MAX_FILE_MB",
    "MAX_ROWS",
    "ROSTER_COLUMNS",
    "ExistingRoster",
    "RawRow",
    "RosterFileError",
    "RosterRow",
    "RowError",
    "parse_roster",
    "validate_roster",
]

ROSTER_COLUMNS = ("nip", "nama", "jabatan", "unit", "atasan_nip", "telepon", "peran")
# "admin_unit": an admin of their own unit and its sub-units only (stored as role admin with
# employees.admin_unit_id set); "admin": BKPSDM/BKD, the whole organisation.
ROLES = ("pegawai", "admin", "admin_unit")
REQUIRED_COLUMNS = ("nip", "nama", "unit")
MAX_TEXT_LENGTH = 200
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

# What Excel writes for a long number saved to CSV: "1.99001E+17" or, in id-ID, "1,99001E+17".
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE][+-]?\d+")
_COLUMN_ORDER = {column: index for index, column in enumerate(ROSTER_COLUMNS)}
# Error params listing other rows stay readable (and small) even for thousands of duplicates.
_MAX_LISTED_ROWS = 10
_MAX_CHAIN_NIPS = 5
_DUPLICATE_CODES = {"nip": "row.duplicate_nip", "telepon": "row.duplicate_phone"}


RosterFileError = TableFileError
"""The upload cannot be read as a roster at all, so no row can be judged."""

RawRow = TableRow
"""One non-blank data row as written in the file (see `kinerja.tabular.TableRow`)."""


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


def parse_roster(data: bytes, filename: str) -> list[RawRow]:
    """Read a roster upload into rows; raise ``RosterFileError`` if it is not a roster.

    The shared reader (`kinerja.tabular`) handles CSV and XLSX quirks; a header alone is still
    "no employees", which in full mode would otherwise empty the roster.
    """
    return read_table(data, filename, ROSTER_COLUMNS)


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
