"""The monthly recap as XLSX or CSV: one row per employee, headers in the reader's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from decimal import Decimal

from openpyxl import Workbook

from kinerja.recap import RECAP_COLUMNS, Recap, RecapRow

Header = Callable[[str], str]  # column key -> header text
Predikat = Callable[[str], str]  # predikat value -> its name
NO_SHARE = "—"  # a percentage of zero entries


def _values(row: RecapRow, predikat: Predikat) -> list[object]:
    return [
        row.nip,
        row.name,
        row.unit,
        row.days_logged,
        row.entries,
        row.minutes,
        row.approved_minutes,
        _percent(row.approved_pct),
        _percent(row.on_time_pct),
        row.pending,
        predikat(row.predikat) if row.predikat else "",
    ]


def _percent(value: Decimal | None) -> float | str:
    """A number a spreadsheet can sum, or "—" for someone with no entries (no denominator)."""
    return NO_SHARE if value is None else float(value)


def recap_xlsx(recap: Recap, header: Header, predikat: Predikat, sheet_title: str) -> bytes:
    """Write-only workbook (constant memory for a province); NIP stays text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    sheet.append([header(key) for key in RECAP_COLUMNS])
    for row in recap.rows:
        sheet.append(_values(row, predikat))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def recap_csv(recap: Recap, header: Header, predikat: Predikat) -> bytes:
    """UTF-8 with a BOM so Excel keeps accents; percentages with a decimal point."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header(key) for key in RECAP_COLUMNS])
    writer.writerows(_values(row, predikat) for row in recap.rows)
    return buffer.getvalue().encode("utf-8-sig")


def recap_filename(recap: Recap, extension: str) -> str:
    return f"rekap-{recap.scope.lower()}-{recap.month:%Y-%m}.{extension}"


__all__: Sequence[str] = ("recap_csv", "recap_filename", "recap_xlsx")
