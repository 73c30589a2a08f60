"""SKP (PermenPANRB 6/2022): each ASN's yearly Rencana Hasil Kerja with indicators and targets."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from kinerja.errors import RuleViolation
from kinerja.nip import NipError, parse_nip
from kinerja.roster import RowError
from kinerja.tabular import TableRow, read_table


@dataclass(frozen=True, slots=True)
class RhkItem:
    """One RHK as the chat shows it; `number` is its 1-based place in the employee's SKP."""

    id: int
    number: int
    title: str
    indicator: str
    target: Decimal
    unit: str


# --- importing SKP targets from an admin's file ---------------------------------------------

SKP_COLUMNS = ("nip", "tahun", "rhk", "indikator", "target", "satuan")
# PermenPANRB 6/2022 SKPs hold a handful of RHK; fifty means a file that lost its NIP column
# alignment or merged several people, and every RHK is a line in the chat's picker.
MAX_RHK_PER_YEAR = 50
TITLE_MIN = 3
TITLE_MAX = 1000
INDICATOR_MAX = 1000
# rhk.unit is VARCHAR(64) and rhk.target NUMERIC(12, 2): refuse what the database would
# truncate or round rather than store a target the admin did not write.
UNIT_MAX = 64
TARGET_DECIMALS = 2
MAX_TARGET = Decimal("9999999999.99")
# SKPs are drafted late in the year before and corrected into the next one; a year further
# away is a typo (2062 for 2026), not a plan.
YEAR_WINDOW = 1

SKP_ERROR_CODES = (
    "skp.unknown_nip",
    "skp.nip_numeric",
    "skp.year",
    "skp.rhk_required",
    "skp.rhk_long",
    "skp.indicator_long",
    "skp.target",
    "skp.unit",
    "skp.too_many",
    "skp.extra_cells",
    "skp.group_rejected",
)
SKP_WARNING_CODES = ("skp.kept_referenced",)

_COLUMN_ORDER = {column: index for index, column in enumerate(SKP_COLUMNS)}
# What Excel writes for a long number saved to CSV: "1.99001E+17" or, in id-ID, "1,99001E+17".
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE][+-]?\d+")
_YEAR = re.compile(r"\d{4}")
# Indonesian writing: "1.000" and "12.500,5" group thousands with periods and use a decimal
# comma; otherwise a single "." or "," is the decimal mark, so "12.5" keeps its English meaning.
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")
_PLAIN_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_MAX_LISTED_ROWS = 10


class SkpError(RuleViolation):
    """One value of an SKP row that cannot be stored as the admin meant it."""


@dataclass(frozen=True)
class SkpRow:
    """A valid row, already numbered: ``number`` is its place among the rows of the same NIP
    and year in file order, which is how the chat and the activities refer to it."""

    row: int
    nip: str
    year: int
    number: int
    title: str
    indicator: str
    target: Decimal
    unit: str


@dataclass(frozen=True)
class SkpValidation:
    """``skipped`` counts rows of other years when the import is limited to one year."""

    valid: list[SkpRow]
    errors: list[RowError]
    skipped: int = 0


@dataclass(frozen=True)
class SkpWarning:
    """Something the admin should know about an import that still succeeded."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)


def error_key(code: str) -> str:
    """The catalog key of an SKP error code, as ``activity.*`` codes map to their keys."""
    return "skp.error." + code.removeprefix("skp.")


def warning_key(code: str) -> str:
    return "skp.warning." + code.removeprefix("skp.")


def parse_skp(data: bytes, filename: str) -> list[TableRow]:
    """Read an SKP upload; raise ``TableFileError`` (``file.*``) if it is not one."""
    return read_table(data, filename, SKP_COLUMNS)


def year_window(today: date) -> tuple[int, int]:
    return today.year - YEAR_WINDOW, today.year + YEAR_WINDOW


def check_year(year: int, *, today: date) -> int:
    """``year`` if an SKP for it can still be planned or corrected, else ``skp.year``."""
    first, last = year_window(today)
    if not first <= year <= last:
        raise SkpError("skp.year", _year_params(year, today))
    return year


def _year_params(value: object, today: date) -> dict[str, object]:
    first, last = year_window(today)
    return {"value": value, "min": first, "max": last, "current": today.year}


def parse_target(text: str, *, numeric: bool = False) -> Decimal:
    """A positive target as typed: ``12``, ``12,5``, ``1.000``, ``1.000.000,50`` or ``12.5``.

    ``numeric`` marks a number cell of an XLSX, whose text is Python's float notation and must
    not be read the Indonesian way (``1.125`` is one and an eighth there, not 1125). More than two
    decimals is refused rather than rounded, which also catches ``1,000`` written the English way.
    """
    value = text.strip()
    try:
        if numeric:
            amount = Decimal(value)
        elif _THOUSANDS.fullmatch(value):
            amount = Decimal(value.replace(".", "").replace(",", "."))
        elif _PLAIN_NUMBER.fullmatch(value):
            amount = Decimal(value.replace(",", "."))
        else:
            raise SkpError("skp.target", {"value": value})
    except InvalidOperation:
        raise SkpError("skp.target", {"value": value}) from None
    exponent = amount.as_tuple().exponent
    if (
        not amount.is_finite()
        or amount <= 0
        or amount > MAX_TARGET
        or not isinstance(exponent, int)
        or exponent < -TARGET_DECIMALS
    ):
        raise SkpError("skp.target", {"value": value})
    return amount


def validate_skp(
    rows: Sequence[TableRow],
    *,
    active_nips: Collection[str],
    today: date,
    only_year: int | None = None,
) -> SkpValidation:
    """Check every row, number the RHK of each NIP and year, and reject incomplete SKPs.

    RHK are matched to stored ones by number, so an SKP with one bad row is not applied at all:
    importing the rest would shift every later RHK onto the number (and the activities) of the
    one before it. The other rows of that NIP and year are reported with ``skp.group_rejected``.
    """
    checked: list[_Checked] = []
    skipped = 0
    for raw in rows:
        year = _read_year(raw.values.get("tahun", ""))
        if only_year is not None and year is not None and year != only_year:
            skipped += 1
            continue
        checked.append(_check_row(raw, year, active_nips, today))

    sizes: dict[tuple[str, int], int] = {}
    for item in checked:
        if item.key is not None:
            item.number = sizes[item.key] = sizes.get(item.key, 0) + 1
            if item.number > MAX_RHK_PER_YEAR:
                item.reject(None, "skp.too_many", {"max": MAX_RHK_PER_YEAR, "year": item.key[1]})

    _reject_groups(checked)
    errors = sorted(
        (error for item in checked for error in item.errors),
        key=lambda error: (error.row, _COLUMN_ORDER.get(error.column or "", len(SKP_COLUMNS))),
    )
    valid = [item.result() for item in checked if not item.errors]
    return SkpValidation(valid=valid, errors=errors, skipped=skipped)


@dataclass(slots=True)
class _Checked:
    raw: TableRow
    nip: str | None = None
    year: int | None = None
    number: int = 0
    title: str = ""
    indicator: str = ""
    target: Decimal = Decimal(0)
    unit: str = ""
    errors: list[RowError] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int] | None:
        if self.nip is None or self.year is None:
            return None
        return self.nip, self.year

    def reject(
        self, column: str | None, code: str, params: Mapping[str, object] | None = None
    ) -> None:
        self.errors.append(RowError(self.raw.row, column, code, dict(params or {})))

    def result(self) -> SkpRow:
        assert self.nip is not None and self.year is not None
        return SkpRow(
            row=self.raw.row,
            nip=self.nip,
            year=self.year,
            number=self.number,
            title=self.title,
            indicator=self.indicator,
            target=self.target,
            unit=self.unit,
        )


def _read_year(text: str) -> int | None:
    return int(text) if _YEAR.fullmatch(text) else None


def _check_row(
    raw: TableRow, year: int | None, active_nips: Collection[str], today: date
) -> _Checked:
    item = _Checked(raw)
    values = raw.values
    item.nip = _check_nip(item, active_nips, today)
    # An out-of-range year still groups its rows, so it only stops the SKP of that year.
    item.year = year
    first, last = year_window(today)
    if year is None or not first <= year <= last:
        item.reject("tahun", "skp.year", _year_params(values.get("tahun", ""), today))

    item.title = _squash(values.get("rhk", ""))
    if len(item.title) < TITLE_MIN:
        item.reject("rhk", "skp.rhk_required", {"min": TITLE_MIN})
    elif len(item.title) > TITLE_MAX:
        item.reject("rhk", "skp.rhk_long", {"max": TITLE_MAX, "length": len(item.title)})

    item.indicator = _squash(values.get("indikator", ""))
    if len(item.indicator) > INDICATOR_MAX:
        params = {"max": INDICATOR_MAX, "length": len(item.indicator)}
        item.reject("indikator", "skp.indicator_long", params)

    try:
        item.target = parse_target(
            values.get("target", ""), numeric="target" in raw.numeric_columns
        )
    except SkpError as exc:
        item.reject("target", exc.code, exc.params)

    item.unit = _squash(values.get("satuan", ""))
    if not item.unit or len(item.unit) > UNIT_MAX:
        item.reject("satuan", "skp.unit", {"max": UNIT_MAX})

    if raw.extra_cells:
        item.reject(None, "skp.extra_cells", {"count": raw.extra_cells})
    return item


def _check_nip(item: _Checked, active_nips: Collection[str], today: date) -> str | None:
    text = item.raw.values.get("nip", "")
    if "nip" in item.raw.numeric_columns:
        item.reject("nip", "skp.nip_numeric")
        return None
    try:
        nip = parse_nip(text, today=today).value
    except NipError as exc:
        numeric = exc.code == "nip.digits" and _SCIENTIFIC.fullmatch(text)
        item.reject("nip", "skp.nip_numeric" if numeric else exc.code, exc.params)
        return None
    if nip not in active_nips:
        item.reject("nip", "skp.unknown_nip", {"nip": nip})
    # Kept even when unknown: the NIP still says which SKP its other rows belong to.
    return nip


def _reject_groups(checked: list[_Checked]) -> None:
    """Reject the remaining rows of every NIP and year that has a bad row.

    A row whose NIP is readable but whose year is not a year could belong to any SKP of that NIP,
    so it stops all of them; a row without a readable NIP cannot be attributed at all.
    """
    bad_rows: dict[tuple[str, int], list[int]] = {}
    bad_any_year: dict[str, list[int]] = {}
    for item in checked:
        if not item.errors or item.nip is None:
            continue
        if item.key is not None:
            bad_rows.setdefault(item.key, []).append(item.raw.row)
        else:
            bad_any_year.setdefault(item.nip, []).append(item.raw.row)
    if not bad_rows and not bad_any_year:
        return
    for item in checked:
        key = item.key
        if item.errors or key is None:
            continue
        culprits = sorted([*bad_rows.get(key, ()), *bad_any_year.get(key[0], ())])
        if culprits:
            item.reject(None, "skp.group_rejected", {"rows": _rows(culprits), "year": key[1]})


def _rows(numbers: list[int]) -> str:
    listed = ", ".join(str(number) for number in numbers[:_MAX_LISTED_ROWS])
    return listed + ", …" if len(numbers) > _MAX_LISTED_ROWS else listed


def _squash(text: str) -> str:
    # Alt+Enter line breaks inside an Excel cell are layout, not content.
    return " ".join(text.split())
