"""What the admin web dashboard reads (a few grouped queries per page) and its login tokens.

Every read takes `units`: the unit ids the viewer may see, or None for all of them (an
instansi-wide admin). "Today" differs per time zone, so queries about today take the local date
of each zone and match it against the unit's zone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import CursorResult, and_, delete, exists, false, func, insert, or_, select, update
from sqlalchemy.sql import ColumnElement

from kinerja.activities import Status
from storage.database import Db
from storage.models import (
    Activity,
    Broadcast,
    DashboardToken,
    Employee,
    Leave,
    OutboxMessage,
    Unit,
)

_OWNER = Employee.__table__.alias("owner")
_APPROVER = Employee.__table__.alias("approver")
_CREATOR = Employee.__table__.alias("creator")


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: int
    employee_id: int
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class UnitInfo:
    id: int
    code: str
    name: str
    timezone: str
    six_day_week: bool
    parent_id: int | None


@dataclass(frozen=True, slots=True)
class IdleEmployee:
    unit_id: int
    nip: str
    name: str
    position: str
    supervisor_name: str | None


@dataclass(frozen=True, slots=True)
class ApproverLoad:
    """An atasan's entries waiting for a decision: how many, and since when."""

    approver_id: int
    nip: str
    name: str
    unit_id: int
    pending: int
    oldest_submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class BroadcastCounts:
    id: int
    text: str
    status: str
    total: int
    send_at: datetime
    finished_at: datetime | None
    created_by_name: str | None
    created_by_unit_id: int | None
    counts: Mapping[str, int]


def _in_units(column: Any, units: Collection[int] | None) -> ColumnElement[bool] | None:
    if units is None:
        return None
    return column.in_(sorted(units)) if units else false()


def _today(days_by_zone: Mapping[str, date], day_column: Any) -> ColumnElement[bool]:
    """`day_column` is the local today of the row's unit (`Unit` must be joined)."""
    return or_(
        false(),
        *(and_(Unit.timezone == zone, day_column == day) for zone, day in days_by_zone.items()),
    )


def _waiting_per_owner() -> Any:
    """Submitted entries per owner (count, earliest submission), read through the status
    index before any join: the planner then never walks all of an employee's entries."""
    return (
        select(
            Activity.employee_id,
            func.count(Activity.id).label("pending"),
            func.min(Activity.submitted_at).label("oldest"),
        )
        .where(Activity.status == Status.SUBMITTED.value)
        .group_by(Activity.employee_id)
        .subquery("waiting")
    )


class DashboardRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    # --- login links and sessions ------------------------------------------------------------

    async def add_token(
        self, kind: str, token_hash: str, employee_id: int, expires_at: datetime
    ) -> None:
        await self._session.execute(
            insert(DashboardToken).values(
                kind=kind,
                token_hash=token_hash,
                employee_id=employee_id,
                expires_at=expires_at,
            )
        )

    async def token(self, kind: str, token_hash: str) -> TokenRecord | None:
        row = (
            await self._session.execute(
                select(
                    DashboardToken.id,
                    DashboardToken.employee_id,
                    DashboardToken.expires_at,
                    DashboardToken.used_at,
                ).where(DashboardToken.kind == kind, DashboardToken.token_hash == token_hash)
            )
        ).one_or_none()
        if row is None:
            return None
        used = _aware(row.used_at) if row.used_at is not None else None
        return TokenRecord(int(row.id), int(row.employee_id), _aware(row.expires_at), used)

    async def use_token(self, token_id: int, now: datetime) -> bool:
        """Mark used (a link exchanged, a session logged out); False if it already was, so two
        browsers racing for one link cannot both get in."""
        result = await self._session.execute(
            update(DashboardToken)
            .where(DashboardToken.id == token_id, DashboardToken.used_at.is_(None))
            .values(used_at=now)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def purge_tokens(self, expired_before: datetime) -> int:
        result = await self._session.execute(
            delete(DashboardToken).where(DashboardToken.expires_at < expired_before)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount

    # --- units -------------------------------------------------------------------------------

    async def units(self, units: Collection[int] | None) -> list[UnitInfo]:
        query = select(
            Unit.id, Unit.code, Unit.name, Unit.timezone, Unit.six_day_week, Unit.parent_id
        ).order_by(Unit.code)
        scope = _in_units(Unit.id, units)
        if scope is not None:
            query = query.where(scope)
        rows = await self._session.execute(query)
        return [
            UnitInfo(int(r.id), r.code, r.name, r.timezone, bool(r.six_day_week), r.parent_id)
            for r in rows
        ]

    async def unit_parents(self) -> dict[int, int | None]:
        rows = await self._session.execute(select(Unit.id, Unit.parent_id))
        return {int(u): (int(p) if p is not None else None) for u, p in rows}

    async def staff_counts(self, units: Collection[int] | None) -> dict[int, int]:
        """Active employees per unit."""
        query = (
            select(Employee.unit_id, func.count(Employee.id))
            .where(Employee.active.is_(True))
            .group_by(Employee.unit_id)
        )
        scope = _in_units(Employee.unit_id, units)
        if scope is not None:
            query = query.where(scope)
        return {int(u): int(n) for u, n in await self._session.execute(query)}

    async def logged_today(
        self, days_by_zone: Mapping[str, date], units: Collection[int] | None
    ) -> dict[int, int]:
        """Active employees per unit with any entry dated their unit's today (as reminders
        count it: a draft is a start)."""
        query = (
            select(Employee.unit_id, func.count(func.distinct(Employee.id)))
            .select_from(Activity)
            .join(Employee, Employee.id == Activity.employee_id)
            .join(Unit, Unit.id == Employee.unit_id)
            .where(
                Activity.work_date.in_(sorted(set(days_by_zone.values()))),
                Employee.active.is_(True),
                _today(days_by_zone, Activity.work_date),
            )
            .group_by(Employee.unit_id)
        )
        scope = _in_units(Employee.unit_id, units)
        if scope is not None:
            query = query.where(scope)
        return {int(u): int(n) for u, n in await self._session.execute(query)}

    async def pending_by_unit(self, units: Collection[int] | None) -> dict[int, int]:
        """Entries waiting for their atasan, by the owner's unit."""
        waiting = _waiting_per_owner()
        query = (
            select(Employee.unit_id, func.sum(waiting.c.pending))
            .join(Employee, Employee.id == waiting.c.employee_id)
            .where(Employee.active.is_(True))
            .group_by(Employee.unit_id)
        )
        scope = _in_units(Employee.unit_id, units)
        if scope is not None:
            query = query.where(scope)
        return {int(u): int(n) for u, n in await self._session.execute(query)}

    async def minutes_by_unit(
        self, first: date, last: date, units: Collection[int] | None
    ) -> dict[int, int]:
        """Minutes of entries dated `first`..`last` that still count (not rejected), by unit."""
        # Summed per employee first, from the (work_date, employee_id) index, then per unit:
        # SQLite otherwise walks every employee's entries through the employee index.
        per_employee = (
            select(Activity.employee_id, func.sum(Activity.minutes).label("minutes"))
            .where(
                Activity.work_date >= first,
                Activity.work_date <= last,
                Activity.status != Status.REJECTED.value,
            )
            .group_by(Activity.employee_id)
            .subquery("per_employee")
        )
        query = (
            select(Employee.unit_id, func.sum(per_employee.c.minutes))
            .join(Employee, Employee.id == per_employee.c.employee_id)
            .group_by(Employee.unit_id)
        )
        scope = _in_units(Employee.unit_id, units)
        if scope is not None:
            query = query.where(scope)
        return {int(u): int(n or 0) for u, n in await self._session.execute(query)}

    # --- who has not logged today ------------------------------------------------------------

    async def idle_today(
        self, days_by_zone: Mapping[str, date], units: Collection[int]
    ) -> list[IdleEmployee]:
        """Active employees of `units` with no entry dated their unit's today and not on
        leave today."""
        supervisor = Employee.__table__.alias("supervisor")
        logged = exists().where(
            Activity.employee_id == Employee.id, _today(days_by_zone, Activity.work_date)
        )
        on_leave = exists().where(
            Leave.employee_id == Employee.id,
            Leave.cancelled_at.is_(None),
            or_(
                false(),
                *(
                    and_(Unit.timezone == zone, Leave.starts_on <= day, Leave.ends_on >= day)
                    for zone, day in days_by_zone.items()
                ),
            ),
        )
        rows = await self._session.execute(
            select(
                Employee.unit_id,
                Employee.nip,
                Employee.name,
                Employee.position,
                supervisor.c.name.label("supervisor_name"),
            )
            .join(Unit, Unit.id == Employee.unit_id)
            .outerjoin(supervisor, supervisor.c.id == Employee.supervisor_id)
            .where(
                Employee.active.is_(True),
                Employee.unit_id.in_(sorted(units)) if units else false(),
                ~logged,
                ~on_leave,
            )
            .order_by(Employee.unit_id, Employee.name)
        )
        return [
            IdleEmployee(int(r.unit_id), r.nip, r.name, r.position or "", r.supervisor_name)
            for r in rows
        ]

    # --- pending approvals by atasan ---------------------------------------------------------

    async def pending_by_approver(self, units: Collection[int] | None) -> list[ApproverLoad]:
        """Per atasan, submitted entries of their active staff in `units`, most first."""
        waiting = _waiting_per_owner()
        pending = func.sum(waiting.c.pending)
        query = (
            select(
                _APPROVER.c.id,
                _APPROVER.c.nip,
                _APPROVER.c.name,
                _APPROVER.c.unit_id,
                pending.label("pending"),
                func.min(waiting.c.oldest).label("oldest"),
            )
            .join(_OWNER, _OWNER.c.id == waiting.c.employee_id)
            .join(_APPROVER, _APPROVER.c.id == _OWNER.c.supervisor_id)
            .where(_OWNER.c.active.is_(True))
            .group_by(_APPROVER.c.id, _APPROVER.c.nip, _APPROVER.c.name, _APPROVER.c.unit_id)
            .order_by(pending.desc(), _APPROVER.c.name)
        )
        scope = _in_units(_OWNER.c.unit_id, units)
        if scope is not None:
            query = query.where(scope)
        return [
            ApproverLoad(
                int(r.id),
                r.nip,
                r.name,
                int(r.unit_id),
                int(r.pending),
                _aware(r.oldest) if r.oldest is not None else None,
            )
            for r in await self._session.execute(query)
        ]

    # --- broadcast progress ------------------------------------------------------------------

    async def broadcasts(
        self, units: Collection[int] | None, limit: int = 50
    ) -> list[BroadcastCounts]:
        """The latest broadcasts with their outbox rows counted by status. Limited to `units`,
        a broadcast belongs to its creator's unit (those from the CLI belong to no unit)."""
        query = (
            select(
                Broadcast.id,
                Broadcast.text,
                Broadcast.status,
                Broadcast.total,
                Broadcast.send_at,
                Broadcast.finished_at,
                _CREATOR.c.name.label("creator_name"),
                _CREATOR.c.unit_id.label("creator_unit_id"),
            )
            .outerjoin(_CREATOR, _CREATOR.c.id == Broadcast.created_by_id)
            .order_by(Broadcast.send_at.desc(), Broadcast.id.desc())
            .limit(limit)
        )
        scope = _in_units(_CREATOR.c.unit_id, units)
        if scope is not None:
            query = query.where(scope)
        found = list(await self._session.execute(query))
        counts: dict[int, dict[str, int]] = {int(r.id): {} for r in found}
        if counts:
            rows = await self._session.execute(
                select(OutboxMessage.broadcast_id, OutboxMessage.status, func.count())
                .where(OutboxMessage.broadcast_id.in_(sorted(counts)))
                .group_by(OutboxMessage.broadcast_id, OutboxMessage.status)
            )
            for broadcast_id, status, number in rows:
                counts[int(broadcast_id or 0)][status] = int(number)
        return [
            BroadcastCounts(
                int(r.id),
                r.text,
                r.status,
                int(r.total),
                _aware(r.send_at),
                _aware(r.finished_at) if r.finished_at is not None else None,
                r.creator_name,
                int(r.creator_unit_id) if r.creator_unit_id is not None else None,
                counts[int(r.id)],
            )
            for r in found
        ]


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
