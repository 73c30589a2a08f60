"""Roster export as CSV or XLSX, in exactly the format `kinerja roster import` reads back."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from kinerja.roster import ROSTER_COLUMNS

TEXT_FORMAT = "@"


def roster_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the names with their accents intact."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ROSTER_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def roster_xlsx(rows: Sequence[Sequence[str]]) -> bytes:
    """Every cell is text, so Excel never rounds an 18-digit NIP or drops a phone's leading 0."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("pegawai")
    sheet.append([_text(sheet, value) for value in ROSTER_COLUMNS])
    for row in rows:
        sheet.append([_text(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = TEXT_FORMAT
    return cell
