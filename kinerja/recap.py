"""The monthly recap: one row per employee, the same figures in the chat and in the exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kinerja.progress import percent

# Column keys, in order; the catalogs hold their headers (`recap.column.<key>`).
RECAP_COLUMNS = (
    "nip",
    "name",
    "unit",
    "days_logged",
    "entries",
    "minutes",
    "approved_minutes",
    "approved_pct",
    "on_time_pct",
    "pending",
    "predikat",
)


@dataclass(frozen=True, slots=True)
class RecapRow:
    """An employee's month. Entries are everything submitted (drafts excluded); minutes leave
    out rejected entries; approved % and on-time % are shares of the entries, None (shown as
    "—") for someone with no entries: 0 % would read as "all rejected, all late".

    Every active employee in scope has a row, those who logged nothing too, because who did not
    log is what an admin reads the recap for.
    """

    nip: str
    name: str
    unit: str
    days_logged: int
    entries: int
    minutes: int
    approved_minutes: int
    approved: int
    on_time: int
    pending: int
    predikat: str | None  # a kinerja.evaluation.Predikat value, or None when not rated

    @property
    def approved_pct(self) -> Decimal | None:
        return share(self.approved, self.entries)

    @property
    def on_time_pct(self) -> Decimal | None:
        return share(self.on_time, self.entries)


@dataclass(frozen=True, slots=True)
class Recap:
    month: date  # the first day of the month
    period: str  # the evaluation period whose predikat is shown
    scope: str  # a unit's code, "ALL", or the atasan's NIP for their team
    rows: tuple[RecapRow, ...]

    @property
    def entries(self) -> int:
        return sum(row.entries for row in self.rows)

    @property
    def minutes(self) -> int:
        return sum(row.minutes for row in self.rows)

    @property
    def pending(self) -> int:
        return sum(row.pending for row in self.rows)

    @property
    def approved_pct(self) -> Decimal | None:
        return share(sum(row.approved for row in self.rows), self.entries)

    @property
    def on_time_pct(self) -> Decimal | None:
        return share(sum(row.on_time for row in self.rows), self.entries)

    @property
    def logged(self) -> int:
        """How many employees logged anything this month."""
        return sum(1 for row in self.rows if row.entries)


def share(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in percent (one decimal), or None when there is no denominator."""
    return percent(part, whole) if whole else None


def parse_month(text: str) -> date:
    """`2026-11` -> 1 November 2026; ValueError otherwise."""
    year, sep, month = text.strip().partition("-")
    if not sep or len(year) != 4 or not year.isdigit() or not month.isdigit():
        raise ValueError(text)
    return date(int(year), int(month), 1)
