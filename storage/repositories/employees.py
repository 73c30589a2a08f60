"""Employees and units: lookups for the chat, and the set-based writes a roster import needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, bindparam, case, func, insert, select, update
from sqlalchemy.orm import aliased

from kinerja.people import Person, Role, RosterStats, StaffMember
from storage.database import Db
from storage.models import Employee, Identity, Unit
from storage.repositories._bulk import insert_many, update_by_id

CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class EmployeeRow:
    """An employee's roster fields, as the import compares them."""

    id: int
    nip: str
    name: str
    position: str
    unit_id: int
    supervisor_id: int | None
    phone: str | None
    role: str
    active: bool
    admin_unit_id: int | None = None


@dataclass(frozen=True, slots=True)
class UnitRecord:
    id: int
    code: str
    name: str
    timezone: str
    parent_id: int | None


SUPERVISOR = aliased(Employee, name="supervisor")
_STAFF = aliased(Employee, name="staff")
_STAFF_COUNT = (
    select(func.count())
    .where(_STAFF.supervisor_id == Employee.id, _STAFF.active.is_(True))
    .correlate(Employee)
    .scalar_subquery()
)
# What `person_from_row` reads. Plain columns, not ORM entities: this runs on every update.
# Queries that use them join `Unit` on the employee and `SUPERVISOR` on its supervisor_id.
PERSON_COLUMNS = (
    Employee.id,
    Employee.nip,
    Employee.name,
    Employee.position,
    Employee.role,
    Employee.active,
    Unit.code.label("unit_code"),
    Unit.name.label("unit_name"),
    Unit.timezone,
    Unit.six_day_week,
    Employee.unit_id,
    Employee.admin_unit_id,
    _STAFF_COUNT.label("staff_count"),
    SUPERVISOR.nip.label("supervisor_nip"),
    SUPERVISOR.name.label("supervisor_name"),
)


def _person_query() -> Select[Any]:
    return (
        select(*PERSON_COLUMNS)
        .join(Unit, Unit.id == Employee.unit_id)
        .outerjoin(SUPERVISOR, SUPERVISOR.id == Employee.supervisor_id)
    )


# Built once: reusing a statement object lets SQLAlchemy reuse its cache key and compiled form,
# which rebuilding the aliases on every lookup cost (most of the per-update CPU, measured).
_PERSON_BY_ID = _person_query().where(Employee.id == bindparam("employee_id"))
_PERSON_BY_NIP = _person_query().where(Employee.nip == bindparam("nip"))


def person_from_row(row: Any) -> Person:
    return Person(
        id=row.id,
        nip=row.nip,
        name=row.name,
        position=row.position,
        role=Role(row.role),
        active=row.active,
        unit_code=row.unit_code,
        unit_name=row.unit_name,
        timezone=row.timezone,
        staff_count=row.staff_count,
        supervisor_nip=row.supervisor_nip,
        supervisor_name=row.supervisor_name,
        six_day_week=row.six_day_week,
        admin_unit_id=row.admin_unit_id,
        unit_id=row.unit_id,
    )


class EmployeeRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    # --- what the chat reads -------------------------------------------------------------------

    async def person(self, employee_id: int) -> Person | None:
        row = (
            await self._session.execute(_PERSON_BY_ID, {"employee_id": employee_id})
        ).one_or_none()
        return person_from_row(row) if row else None

    async def person_by_nip(self, nip: str) -> Person | None:
        row = (await self._session.execute(_PERSON_BY_NIP, {"nip": nip})).one_or_none()
        return person_from_row(row) if row else None

    async def active_by_phone(self, phone: str) -> Person | None:
        """The active employee with this normalised phone (the import keeps phones unique)."""
        row = (
            await self._session.execute(
                _person_query()
                .where(Employee.phone == phone, Employee.active.is_(True))
                .order_by(Employee.id)
                .limit(1)
            )
        ).one_or_none()
        return person_from_row(row) if row else None

    async def people(self, limit: int = 100) -> list[Person]:
        """Active people, ordered for a picker: by unit, then admins and leaders first."""
        rows = await self._session.execute(
            _person_query()
            .where(Employee.active.is_(True))
            .order_by(Unit.name, Employee.role, Employee.supervisor_id.is_not(None), Employee.nip)
            .limit(limit)
        )
        return [person_from_row(row) for row in rows]

    async def staff_of(self, employee_id: int) -> list[StaffMember]:
        rows = await self._session.execute(
            select(Employee.nip, Employee.name, Employee.position, Employee.active)
            .where(Employee.supervisor_id == employee_id, Employee.active.is_(True))
            .order_by(Employee.name)
        )
        return [StaffMember(row.nip, row.name, row.position, row.active) for row in rows]

    async def staff_ids(self, employee_id: int) -> list[tuple[int, str]]:
        """(id, name) of an atasan's direct, active staff, by name: for a picker's buttons."""
        rows = await self._session.execute(
            select(Employee.id, Employee.name)
            .where(Employee.supervisor_id == employee_id, Employee.active.is_(True))
            .order_by(Employee.name)
        )
        return [(int(row.id), row.name) for row in rows]

    async def stats(self) -> RosterStats:
        active = Employee.active.is_(True)
        total, active_count, admins = (
            await self._session.execute(
                select(
                    func.count(Employee.id),
                    func.count(Employee.id).filter(active),
                    func.count(Employee.id).filter(active, Employee.role == Role.ADMIN.value),
                )
            )
        ).one()
        supervisors = await self._session.scalar(
            select(func.count(func.distinct(Employee.supervisor_id))).where(
                active, Employee.supervisor_id.is_not(None)
            )
        )
        units = await self._session.scalar(select(func.count(Unit.id)))
        linked = await self._session.scalar(
            select(func.count(Identity.id)).where(Identity.employee_id.is_not(None))
        )
        return RosterStats(
            units=int(units or 0),
            active_employees=int(active_count),
            inactive_employees=int(total) - int(active_count),
            supervisors=int(supervisors or 0),
            admins=int(admins),
            linked_identities=int(linked or 0),
        )

    # --- what the roster import reads and writes ----------------------------------------------

    async def snapshot(self) -> dict[str, EmployeeRow]:
        """Every employee by NIP, in one query: the import diffs against this in memory."""
        rows = await self._session.execute(
            select(
                Employee.id,
                Employee.nip,
                Employee.name,
                Employee.position,
                Employee.unit_id,
                Employee.supervisor_id,
                Employee.phone,
                Employee.role,
                Employee.active,
                Employee.admin_unit_id,
            )
        )
        return {row.nip: EmployeeRow(**row._mapping) for row in rows}

    async def ids_by_nip(self) -> dict[str, int]:
        rows = await self._session.execute(select(Employee.nip, Employee.id))
        return {nip: employee_id for nip, employee_id in rows}

    async def insert_many(self, rows: Sequence[Mapping[str, object]]) -> None:
        await insert_many(self._session, Employee, rows)

    async def update_many(self, rows: Sequence[Mapping[str, object]]) -> None:
        """Update by id; every mapping carries `id` plus the same set of changed columns."""
        table = Employee.__table__
        assert isinstance(table, Table)
        await update_by_id(self._session, table, rows, updated_at=func.now())

    async def set_active(self, employee_ids: Iterable[int], active: bool) -> None:
        ids = list(employee_ids)
        for start in range(0, len(ids), CHUNK):
            await self._session.execute(
                update(Employee)
                .where(Employee.id.in_(ids[start : start + CHUNK]))
                .values(active=active, updated_at=func.now())
            )

    async def export_rows(self) -> list[tuple[str, str, str, str, str, str, str]]:
        """Active employees in roster-file column order, re-importable as they are."""
        supervisor = aliased(Employee)
        rows = await self._session.execute(
            select(
                Employee.nip,
                Employee.name,
                Employee.position,
                Unit.code,
                func.coalesce(supervisor.nip, ""),
                func.coalesce(Employee.phone, ""),
                case((Employee.admin_unit_id.is_not(None), "admin_unit"), else_=Employee.role),
            )
            .join(Unit, Unit.id == Employee.unit_id)
            .outerjoin(supervisor, supervisor.id == Employee.supervisor_id)
            .where(Employee.active.is_(True))
            .order_by(Unit.code, Employee.nip)
        )
        return [tuple(row) for row in rows]


class UnitRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def all(self) -> list[UnitRecord]:
        rows = await self._session.execute(
            select(Unit.id, Unit.code, Unit.name, Unit.timezone, Unit.parent_id).order_by(Unit.id)
        )
        return [UnitRecord(*row) for row in rows]

    async def create(
        self, code: str, name: str, timezone: str, parent_id: int | None = None
    ) -> int:
        result = await self._session.execute(
            insert(Unit)
            .values(code=code, name=name, timezone=timezone, parent_id=parent_id)
            .returning(Unit.id)
        )
        return int(result.scalar_one())

    async def set_timezone(self, code: str, timezone: str) -> None:
        await self._session.execute(
            update(Unit).where(Unit.code == code).values(timezone=timezone)
        )

    async def set_parent(self, code: str, parent_code: str | None) -> None:
        parent_id = (
            await self._session.scalar(select(Unit.id).where(Unit.code == parent_code))
            if parent_code
            else None
        )
        await self._session.execute(
            update(Unit).where(Unit.code == code).values(parent_id=parent_id)
        )
