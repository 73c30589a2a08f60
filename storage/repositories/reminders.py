"""What reminder, deadline and broadcast jobs ask of the roster, and the broadcasts themselves."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import CursorResult, and_, exists, func, insert, or_, select, update
from sqlalchemy.sql import ColumnElement

from kinerja.activities import Status
from kinerja.reminders import Audience, AudienceKind
from storage.database import Db
from storage.models import (
    Activity,
    Broadcast,
    Deadline,
    Employee,
    Identity,
    OutboxMessage,
    Rhk,
    Unit,
)
from storage.repositories._bulk import insert_many

_STAFF = Employee.__table__.alias("staff")
_OWNER = Employee.__table__.alias("owner")
OPEN_FOR_OWNER = (Status.DRAFT.value, Status.REVISION.value)


@dataclass(frozen=True, slots=True)
class Reachable:
    """An active employee's linked chat account that is not known to be unreachable."""

    employee_id: int
    channel: str
    external_id: str
    six_day_week: bool
    timezone: str


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    id: int
    created_by_id: int | None
    text: str
    audience: Audience
    status: str
    total: int
    send_at: datetime
    report_channel: str | None
    report_recipient: str | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeadlineRecord:
    id: int
    title: str
    due_on: date
    audience: Audience
    offsets: tuple[int, ...]
    exclude_done: str | None
    created_by_id: int | None


def _reachable_query() -> Any:
    return (
        select(
            Employee.id,
            Identity.channel,
            Identity.external_id,
            Unit.six_day_week,
            Unit.timezone,
        )
        .select_from(Identity)
        .join(Employee, Employee.id == Identity.employee_id)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(Employee.active.is_(True), Identity.unreachable_at.is_(None))
        .order_by(Employee.id, Identity.id)
    )


class ReminderRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    # --- reminders ---------------------------------------------------------------------------

    async def reachable(
        self, zone: str | None = None, employee_ids: Collection[int] | None = None
    ) -> list[Reachable]:
        """Linked, reachable accounts of active employees (of units in `zone`)."""
        query = _reachable_query()
        if zone is not None:
            query = query.where(Unit.timezone == zone)
        if employee_ids is not None:
            query = query.where(Employee.id.in_(list(employee_ids)))
        rows = await self._session.execute(query)
        return [Reachable(int(r[0]), r[1], r[2], bool(r[3]), r[4]) for r in rows]

    async def logged_on(
        self, days: Collection[date], zone: str | None = None
    ) -> set[tuple[int, date]]:
        """(employee, day) pairs with any entry on one of `days`."""
        query = (
            select(Activity.employee_id, Activity.work_date)
            .distinct()
            .where(Activity.work_date.in_(list(days)))
        )
        if zone is not None:
            query = (
                query.join(Employee, Employee.id == Activity.employee_id)
                .join(Unit, Unit.id == Employee.unit_id)
                .where(Unit.timezone == zone)
            )
        rows = await self._session.execute(query)
        return {(int(employee_id), day) for employee_id, day in rows}

    async def has_entry(self, employee_id: int, day: date) -> bool:
        found = await self._session.scalar(
            select(func.count(Activity.id)).where(
                Activity.employee_id == employee_id, Activity.work_date == day
            )
        )
        return bool(found)

    async def open_entries(
        self, first: date, last: date, zone: str
    ) -> tuple[dict[int, int], dict[int, int]]:
        """Entries of `first`..`last` still open, for owners in units of `zone`:
        ({owner: draft or returned count}, {owner's atasan: submitted count})."""
        rows = await self._session.execute(
            select(Activity.employee_id, Employee.supervisor_id, Activity.status, func.count())
            .join(Employee, Employee.id == Activity.employee_id)
            .join(Unit, Unit.id == Employee.unit_id)
            .where(
                Activity.work_date >= first,
                Activity.work_date <= last,
                Activity.status.in_((*OPEN_FOR_OWNER, Status.SUBMITTED.value)),
                Employee.active.is_(True),
                Unit.timezone == zone,
            )
            .group_by(Activity.employee_id, Employee.supervisor_id, Activity.status)
        )
        owners: dict[int, int] = {}
        approvers: dict[int, int] = {}
        for owner_id, supervisor_id, status, count in rows:
            if status in OPEN_FOR_OWNER:
                owners[int(owner_id)] = owners.get(int(owner_id), 0) + int(count)
            elif supervisor_id is not None:
                approvers[int(supervisor_id)] = approvers.get(int(supervisor_id), 0) + int(count)
        return owners, approvers

    async def open_count(
        self, employee_id: int, first: date, last: date, *, as_atasan: bool
    ) -> int:
        """What is still open for one person in `first`..`last` (rendering re-checks this)."""
        query = select(func.count(Activity.id)).where(
            Activity.work_date >= first, Activity.work_date <= last
        )
        if as_atasan:
            query = query.join(_OWNER, _OWNER.c.id == Activity.employee_id).where(
                _OWNER.c.supervisor_id == employee_id,
                _OWNER.c.active.is_(True),
                Activity.status == Status.SUBMITTED.value,
            )
        else:
            query = query.where(
                Activity.employee_id == employee_id, Activity.status.in_(OPEN_FOR_OWNER)
            )
        return int(await self._session.scalar(query) or 0)

    async def mark_unreachable(self, channel: str, external_id: str, at: datetime) -> bool:
        result = await self._session.execute(
            update(Identity)
            .where(Identity.channel == channel, Identity.external_id == external_id)
            .values(unreachable_at=at)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def admin_unit_of(self, employee_id: int) -> int | None:
        value = await self._session.scalar(
            select(Employee.admin_unit_id).where(Employee.id == employee_id)
        )
        return int(value) if value is not None else None

    async def unit_parents(self) -> dict[int, int | None]:
        rows = await self._session.execute(select(Unit.id, Unit.parent_id))
        return {int(u): (int(p) if p is not None else None) for u, p in rows}

    async def unit_id_by_code(self, code: str) -> int | None:
        value = await self._session.scalar(
            select(Unit.id).where(func.upper(Unit.code) == code.strip().upper())
        )
        return int(value) if value is not None else None

    # --- audiences ---------------------------------------------------------------------------

    async def audience(
        self,
        audience: Audience,
        units: frozenset[int] | None,
        today_by_zone: Mapping[str, date],
    ) -> list[Reachable]:
        """The reachable accounts of an audience, limited to `units` (None: all)."""
        query = _reachable_query()
        if units is not None:
            query = query.where(Employee.unit_id.in_(sorted(units)))
        condition = self._condition(audience.kind, today_by_zone)
        if condition is not None:
            query = query.where(condition)
        rows = await self._session.execute(query)
        return [Reachable(int(r[0]), r[1], r[2], bool(r[3]), r[4]) for r in rows]

    @staticmethod
    def _condition(
        kind: AudienceKind, today_by_zone: Mapping[str, date]
    ) -> ColumnElement[bool] | None:
        if kind is AudienceKind.ATASAN:
            return exists().where(_STAFF.c.supervisor_id == Employee.id, _STAFF.c.active.is_(True))
        if kind is AudienceKind.PENDING:
            return exists().where(
                _OWNER.c.supervisor_id == Employee.id,
                _OWNER.c.active.is_(True),
                Activity.employee_id == _OWNER.c.id,
                Activity.status == Status.SUBMITTED.value,
            )
        if kind is AudienceKind.NO_ACTIVITY:
            today = or_(
                *(
                    and_(Unit.timezone == zone, Activity.work_date == day)
                    for zone, day in today_by_zone.items()
                )
            )
            return ~exists().where(Activity.employee_id == Employee.id, today)
        return None

    # --- deadlines ---------------------------------------------------------------------------

    async def has_skp(self, employee_ids: Collection[int], year: int) -> set[int]:
        rows = await self._session.scalars(
            select(Rhk.employee_id)
            .distinct()
            .where(Rhk.year == year, Rhk.employee_id.in_(list(employee_ids)))
        )
        return {int(value) for value in rows}

    async def add_deadline(
        self,
        title: str,
        due_on: date,
        audience: Audience,
        offsets: Sequence[int],
        exclude_done: str | None,
        created_by_id: int | None,
    ) -> int:
        result = await self._session.execute(
            insert(Deadline)
            .values(
                title=title,
                due_on=due_on,
                audience=audience.to_json(),
                offsets=list(offsets),
                exclude_done=exclude_done,
                created_by_id=created_by_id,
            )
            .returning(Deadline.id)
        )
        return int(result.scalar_one())

    async def deadlines(self, first: date, last: date | None = None) -> list[DeadlineRecord]:
        """Deadlines not cancelled, due from `first` (to `last`)."""
        query = select(Deadline).where(Deadline.cancelled_at.is_(None), Deadline.due_on >= first)
        if last is not None:
            query = query.where(Deadline.due_on <= last)
        rows = await self._session.execute(query.order_by(Deadline.due_on, Deadline.id))
        return [
            DeadlineRecord(
                r.id,
                r.title,
                r.due_on,
                Audience.from_json(r.audience),
                tuple(int(o) for o in r.offsets),
                r.exclude_done,
                r.created_by_id,
            )
            for r in rows
        ]

    async def cancel_deadline(self, deadline_id: int, at: datetime) -> bool:
        result = await self._session.execute(
            update(Deadline)
            .where(Deadline.id == deadline_id, Deadline.cancelled_at.is_(None))
            .values(cancelled_at=at)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def deadline(self, deadline_id: int) -> DeadlineRecord | None:
        found = [d for d in await self.deadlines(date.min) if d.id == deadline_id]
        return found[0] if found else None

    # --- broadcasts --------------------------------------------------------------------------

    async def add_broadcast(
        self,
        *,
        text: str,
        audience: Audience,
        total: int,
        send_at: datetime,
        created_by_id: int | None,
        report_to: tuple[str, str] | None,
    ) -> int:
        result = await self._session.execute(
            insert(Broadcast)
            .values(
                text=text,
                audience=audience.to_json(),
                status="scheduled",
                total=total,
                send_at=send_at,
                created_by_id=created_by_id,
                report_channel=report_to[0] if report_to else None,
                report_recipient=report_to[1] if report_to else None,
            )
            .returning(Broadcast.id)
        )
        return int(result.scalar_one())

    async def enqueue_broadcast(
        self, broadcast_id: int, recipients: Sequence[Reachable], send_at: datetime, priority: int
    ) -> None:
        """One outbox row per recipient account, due at `send_at`, in one set-based insert."""
        rows = [
            {
                "channel": r.channel,
                "recipient": r.external_id,
                "purpose": "broadcast",
                "payload": {"broadcast_id": broadcast_id},
                "dedupe_key": f"broadcast:{broadcast_id}:{r.channel}:{r.external_id}",
                "next_attempt_at": send_at,
                "priority": priority,
                "broadcast_id": broadcast_id,
            }
            for r in recipients
        ]
        await insert_many(self._session, OutboxMessage.__table__, rows)

    async def broadcast(self, broadcast_id: int) -> BroadcastRecord | None:
        row = (
            await self._session.execute(select(Broadcast).where(Broadcast.id == broadcast_id))
        ).one_or_none()
        return _broadcast(row) if row is not None else None

    async def broadcasts(
        self, statuses: Collection[str], created_by_id: int | None = None
    ) -> list[BroadcastRecord]:
        query = select(Broadcast).where(Broadcast.status.in_(list(statuses)))
        if created_by_id is not None:
            query = query.where(Broadcast.created_by_id == created_by_id)
        rows = await self._session.execute(query.order_by(Broadcast.send_at, Broadcast.id))
        return [_broadcast(row) for row in rows]

    async def set_broadcast_status(
        self,
        broadcast_id: int,
        status: str,
        *,
        only_from: Collection[str],
        at: datetime | None = None,
    ) -> bool:
        values: dict[str, Any] = {"status": status}
        if at is not None:
            values["finished_at"] = at
        result = await self._session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status.in_(list(only_from)))
            .values(values)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def broadcast_counts(self, broadcast_id: int) -> dict[str, int]:
        """Outbox rows of the broadcast by status."""
        rows = await self._session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .group_by(OutboxMessage.status)
        )
        return {status: int(count) for status, count in rows}

    async def drop_broadcast_rows(self, broadcast_id: int) -> int:
        """A cancelled broadcast: its rows not yet claimed are dropped."""
        result = await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == "pending")
            .values(status="dropped", last_error="broadcast cancelled")
        )
        assert isinstance(result, CursorResult)
        return result.rowcount


def _broadcast(row: Any) -> BroadcastRecord:
    return BroadcastRecord(
        row.id,
        row.created_by_id,
        row.text,
        Audience.from_json(row.audience),
        row.status,
        row.total,
        _aware(row.send_at),
        row.report_channel,
        row.report_recipient,
        _aware(row.finished_at) if row.finished_at is not None else None,
    )


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
