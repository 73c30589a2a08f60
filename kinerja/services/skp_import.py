"""SKP import: validate the whole file, then upsert each employee-year's RHK by number.

Upserting by number keeps an RHK's id when its wording or target is corrected, so the activities
already logged against it keep counting toward it. An RHK the file no longer lists is deleted only
while nothing references it; otherwise it stays (with a warning) rather than orphaning activities
the atasan may already have approved. Employee-years absent from the file are left alone, so SKPs
can be imported per unit or per person. Everything happens in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from kinerja.roster import RowError
from kinerja.skp import SkpRow, SkpWarning, validate_skp
from kinerja.tabular import TableRow
from storage.repositories.skp import RhkRecord
from storage.uow import UnitOfWork

_Key = tuple[int, int]  # (employee id, year)


@dataclass(frozen=True, slots=True)
class SkpImportSummary:
    """``rows`` counts every data row read, ``skipped`` those of other years (``only_year``)."""

    rows: int
    employees: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    kept: int = 0
    skipped: int = 0
    errors: tuple[RowError, ...] = field(default=())
    warnings: tuple[SkpWarning, ...] = field(default=())
    applied: bool = True

    @property
    def bad_rows(self) -> int:
        """Rows not imported; a row may carry several errors."""
        return len({error.row for error in self.errors})


async def import_skp(
    uow: UnitOfWork,
    rows: Sequence[TableRow],
    *,
    today: date,
    only_year: int | None = None,
    strict: bool = False,
    actor: str = "cli",
) -> SkpImportSummary:
    """Apply a parsed SKP file; the caller commits (or, for a dry run, does not)."""
    snapshot = await uow.employees.snapshot()
    employee_ids = {nip: row.id for nip, row in snapshot.items() if row.active}
    validation = validate_skp(
        rows, active_nips=employee_ids.keys(), today=today, only_year=only_year
    )
    errors = tuple(validation.errors)
    if strict and errors:
        return SkpImportSummary(
            rows=len(rows), skipped=validation.skipped, errors=errors, applied=False
        )

    groups: dict[_Key, list[SkpRow]] = {}
    for row in validation.valid:
        groups.setdefault((employee_ids[row.nip], row.year), []).append(row)
    stored: dict[_Key, dict[int, RhkRecord]] = {}
    for record in await uow.rhk.for_employee_years(groups.keys()):
        stored.setdefault((record.employee_id, record.year), {})[record.number] = record

    plan = _plan(groups, stored)
    in_use = await uow.rhk.activity_counts(record.id for record in plan.beyond)
    deleted = [record.id for record in plan.beyond if record.id not in in_use]
    kept = [record for record in plan.beyond if record.id in in_use]
    await uow.rhk.delete_many(deleted)
    await uow.rhk.update_many(plan.updates)
    await uow.rhk.insert_many(plan.inserts)

    nips = {employee_id: nip for nip, employee_id in employee_ids.items()}
    warnings = tuple(
        SkpWarning(
            "skp.kept_referenced",
            {
                "nip": nips[record.employee_id],
                "year": record.year,
                "number": record.number,
                "activities": in_use[record.id],
            },
        )
        for record in sorted(kept, key=lambda r: (nips[r.employee_id], r.year, r.number))
    )
    summary = SkpImportSummary(
        rows=len(rows),
        employees=len({employee_id for employee_id, _ in groups}),
        created=len(plan.inserts),
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        deleted=len(deleted),
        kept=len(kept),
        skipped=validation.skipped,
        errors=errors,
        warnings=warnings,
    )
    await uow.audit.record(
        actor=actor,
        action="skp.import",
        subject_type="skp",
        detail={
            "rows": summary.rows,
            "employees": summary.employees,
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "deleted": summary.deleted,
            "kept": summary.kept,
            "skipped": summary.skipped,
            "bad_rows": summary.bad_rows,
            "year": only_year,
        },
    )
    return summary


@dataclass(slots=True)
class _Plan:
    inserts: list[dict[str, object]] = field(default_factory=list)
    updates: list[dict[str, object]] = field(default_factory=list)
    unchanged: int = 0
    beyond: list[RhkRecord] = field(default_factory=list)


def _plan(groups: dict[_Key, list[SkpRow]], stored: dict[_Key, dict[int, RhkRecord]]) -> _Plan:
    """Inserts and full-row updates by number, and the stored RHK past the file's count.

    Every update carries all editable columns so one executemany statement serves them all.
    """
    plan = _Plan()
    for (employee_id, year), rows in groups.items():
        existing = stored.get((employee_id, year), {})
        for row in rows:
            wanted: dict[str, object] = {
                "title": row.title,
                "indicator": row.indicator,
                "target": row.target,
                "unit": row.unit,
            }
            current = existing.get(row.number)
            if current is None:
                plan.inserts.append(
                    {"employee_id": employee_id, "year": year, "number": row.number, **wanted}
                )
            elif all(getattr(current, column) == value for column, value in wanted.items()):
                plan.unchanged += 1
            else:
                plan.updates.append({"id": current.id, **wanted})
        plan.beyond.extend(record for number, record in existing.items() if number > len(rows))
    return plan
