"""Roster import: validate the whole file, then apply it in set-based writes in one transaction.

Upsert by NIP keeps each employee's id, so activities and approvals follow a person who moves unit
or supervisor. People missing from a full roster are deactivated, never deleted. With `strict`,
one bad row stops the import; otherwise the valid rows are applied and the bad ones reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from kinerja.roster import ExistingRoster, RawRow, RosterRow, RowError, validate_roster
from storage.repositories.employees import EmployeeRow, UnitRecord
from storage.uow import UnitOfWork

Progress = Callable[[str, int, int], None]
UNIT_CODE_MAX = 64
CHUNK = 5_000  # rows per statement batch, and per progress step


@dataclass(frozen=True, slots=True)
class ImportSummary:
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    reactivated: int = 0
    units_created: tuple[str, ...] = ()
    errors: tuple[RowError, ...] = field(default=())
    applied: bool = True
    # Employees whose atasan changed: their pending entries now wait for the new one.
    moved: tuple[int, ...] = ()


async def import_roster(
    uow: UnitOfWork,
    rows: Sequence[RawRow],
    *,
    default_timezone: str,
    strict: bool = False,
    partial: bool = False,
    actor: str = "cli",
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Apply a parsed roster; the caller commits (or, for a dry run, does not)."""
    report = progress or _silent
    snapshot = await uow.employees.snapshot()
    existing = ExistingRoster(
        nips=frozenset(nip for nip, row in snapshot.items() if row.active),
        phone_owner={row.phone: nip for nip, row in snapshot.items() if row.phone and row.active},
    )
    report("validate", 0, len(rows))
    validation = validate_roster(rows, existing=existing, partial=partial, today=today)
    report("validate", len(rows), len(rows))
    errors = tuple(validation.errors)
    if strict and errors:
        return ImportSummary(rows=len(rows), errors=errors, applied=False)

    units = _UnitIndex(await uow.units.all())
    unit_ids: dict[str, int] = {}
    for row in validation.valid:
        if row.unit not in unit_ids:
            unit_ids[row.unit] = await units.resolve(uow, row.unit, default_timezone)

    new_rows = [row for row in validation.valid if row.nip not in snapshot]
    inserts = [
        {
            "nip": row.nip,
            "name": row.name,
            "position": row.position,
            "unit_id": unit_ids[row.unit],
            "phone": row.phone,
            **_role_columns(row, unit_ids),
            "active": True,
        }
        for row in new_rows
    ]
    for start in range(0, len(inserts), CHUNK):
        await uow.employees.insert_many(inserts[start : start + CHUNK])
        report("insert", min(start + CHUNK, len(inserts)), len(inserts))
    ids = await uow.employees.ids_by_nip() if new_rows else {n: r.id for n, r in snapshot.items()}

    changes, counts = _changes(validation.valid, snapshot, ids, unit_ids)
    for start in range(0, len(changes), CHUNK):
        await uow.employees.update_many(changes[start : start + CHUNK])
        report("update", min(start + CHUNK, len(changes)), len(changes))

    deactivated: list[int] = []
    if not partial:
        in_file = {row.values.get("nip", "").replace(" ", "") for row in rows}
        deactivated = [r.id for nip, r in snapshot.items() if r.active and nip not in in_file]
        await uow.employees.set_active(deactivated, False)

    summary = ImportSummary(
        rows=len(rows),
        created=len(new_rows),
        updated=counts.updated,
        unchanged=counts.unchanged,
        deactivated=len(deactivated),
        reactivated=counts.reactivated,
        units_created=tuple(units.created),
        errors=errors,
        moved=tuple(counts.moved),
    )
    await uow.audit.record(
        actor=actor,
        action="roster.import",
        subject_type="roster",
        detail={
            "rows": summary.rows,
            "created": summary.created,
            "updated": summary.updated,
            "deactivated": summary.deactivated,
            "reactivated": summary.reactivated,
            "errors": len(errors),
            "partial": partial,
        },
    )
    return summary


@dataclass(slots=True)
class _Counts:
    updated: int = 0
    unchanged: int = 0
    reactivated: int = 0
    moved: list[int] = field(default_factory=list)


def _changes(
    valid: Sequence[RosterRow],
    snapshot: dict[str, EmployeeRow],
    ids: dict[str, int],
    unit_ids: dict[str, int],
) -> tuple[list[dict[str, object]], _Counts]:
    """Full-row updates for every employee whose roster fields differ, plus the counts.

    Every update carries all columns so one executemany statement serves them all. Rows created
    a moment ago only need their supervisor, which could not be set before every id existed.
    """
    changes: list[dict[str, object]] = []
    counts = _Counts()
    for row in valid:
        wanted = {
            "name": row.name,
            "position": row.position,
            "unit_id": unit_ids[row.unit],
            "supervisor_id": ids[row.supervisor_nip] if row.supervisor_nip else None,
            "phone": row.phone,
            **_role_columns(row, unit_ids),
            "active": True,
        }
        current = snapshot.get(row.nip)
        if current is None:
            if wanted["supervisor_id"] is not None:
                changes.append({"id": ids[row.nip], **wanted})
            continue
        if all(getattr(current, column) == value for column, value in wanted.items()):
            counts.unchanged += 1
            continue
        if current.supervisor_id != wanted["supervisor_id"] and wanted["supervisor_id"]:
            counts.moved.append(ids[row.nip])
        if current.active:
            counts.updated += 1
        else:
            counts.reactivated += 1
        changes.append({"id": ids[row.nip], **wanted})
    return changes, counts


class _UnitIndex:
    """Finds a unit by code or name (case-insensitive), creating it when new."""

    def __init__(self, units: Sequence[UnitRecord]) -> None:
        self.by_key: dict[str, int] = {}
        for unit in units:
            self.by_key.setdefault(unit.code.casefold(), unit.id)
            self.by_key.setdefault(unit.name.casefold(), unit.id)
        self.codes = {unit.code.casefold() for unit in units}
        self.created: list[str] = []

    async def resolve(self, uow: UnitOfWork, value: str, timezone: str) -> int:
        key = value.strip().casefold()
        if key in self.by_key:
            return self.by_key[key]
        code = self._new_code(value)
        unit_id = await uow.units.create(code, value.strip(), timezone)
        self.by_key[key] = self.by_key[code.casefold()] = unit_id
        self.codes.add(code.casefold())
        self.created.append(code)
        return unit_id

    def _new_code(self, name: str) -> str:
        base = re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")[: UNIT_CODE_MAX - 4] or "UNIT"
        code, suffix = base, 2
        while code.casefold() in self.codes:
            code, suffix = f"{base}-{suffix}", suffix + 1
        return code


def _silent(_phase: str, _done: int, _total: int) -> None:
    return None


def _role_columns(row: RosterRow, unit_ids: dict[str, int]) -> dict[str, object]:
    """The roster's `peran` as stored: a unit admin is an admin scoped to their own unit."""
    if row.role == "admin_unit":
        return {"role": "admin", "admin_unit_id": unit_ids[row.unit]}
    return {"role": row.role, "admin_unit_id": None}
