"""What verification reads and writes: pending entries per approver, decisions, delegations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CursorResult,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)

from kinerja.activities import Status
from kinerja.approvals import (
    ApprovalMode,
    Delegation,
    EntryFacts,
    HistoryItem,
    PendingEntry,
    StaffStatus,
)
from storage.database import Db
from storage.hot import Hot
from storage.models import Activity, AuditEntry, Employee, Rhk, Unit
from storage.models import Delegation as DelegationRow

DECIDER = Employee.__table__.alias("decider")
OWNER = Employee.__table__.alias("owner")


def _entry_query() -> Any:
    return (
        select(
            Activity.id,
            Activity.employee_id.label("owner_id"),
            OWNER.c.name.label("owner_name"),
            OWNER.c.nip.label("owner_nip"),
            Activity.work_date,
            Activity.start_time,
            Activity.end_time,
            Activity.minutes,
            Activity.description,
            Rhk.number.label("rhk_number"),
            Rhk.title.label("rhk_title"),
            Activity.quantity,
            Activity.quantity_unit,
            Activity.evidence,
            Activity.status,
            Activity.on_time,
            Activity.submitted_at,
            Activity.decided_at,
            DECIDER.c.name.label("decided_by_name"),
            Activity.decision_note,
        )
        .join(OWNER, OWNER.c.id == Activity.employee_id)
        .outerjoin(Rhk, Rhk.id == Activity.rhk_id)
        .outerjoin(DECIDER, DECIDER.c.id == Activity.decided_by_id)
    )


def _pending(row: Any) -> PendingEntry:
    return PendingEntry(
        id=row.id,
        owner_id=row.owner_id,
        owner_name=row.owner_name,
        owner_nip=row.owner_nip,
        work_date=row.work_date,
        start=row.start_time,
        end=row.end_time,
        minutes=row.minutes,
        description=row.description,
        rhk_number=row.rhk_number,
        rhk_title=row.rhk_title,
        quantity=row.quantity,
        quantity_unit=row.quantity_unit,
        evidence=row.evidence,
        status=Status(row.status),
        on_time=row.on_time,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        decided_by_name=row.decided_by_name,
        decision_note=row.decision_note,
    )


def _card_targets_query() -> Any:
    """The owner's atasan and the atasan's active delegates, each with their approval mode."""
    owner = Employee.__table__.alias("target_owner")
    approver = Employee.__table__.alias("target_approver")
    delegate = Employee.__table__.alias("target_delegate")
    supervisor = (
        select(approver.c.id, approver.c.approval_mode)
        .select_from(owner)
        .join(approver, approver.c.id == owner.c.supervisor_id)
        .where(owner.c.id == bindparam("owner_id"), approver.c.active.is_(True))
    )
    delegates = (
        select(delegate.c.id, delegate.c.approval_mode)
        .select_from(owner)
        .join(DelegationRow, DelegationRow.delegator_id == owner.c.supervisor_id)
        .join(delegate, delegate.c.id == DelegationRow.delegate_id)
        .where(
            owner.c.id == bindparam("owner_id"),
            DelegationRow.revoked_at.is_(None),
            DelegationRow.starts_on <= bindparam("today"),
            DelegationRow.ends_on >= bindparam("today"),
            delegate.c.active.is_(True),
        )
    )
    return union_all(supervisor, delegates)


# Built once: it runs on every submitted entry.
_CARD_TARGETS = Hot(_card_targets_query())


class ApprovalRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def facts(self, activity_id: int) -> EntryFacts | None:
        row = (
            await self._session.execute(
                select(
                    Activity.id,
                    Activity.employee_id,
                    Employee.active,
                    Employee.supervisor_id,
                    Activity.status,
                    Activity.work_date,
                )
                .join(Employee, Employee.id == Activity.employee_id)
                .where(Activity.id == activity_id)
            )
        ).one_or_none()
        if row is None:
            return None
        return EntryFacts(
            activity_id=row.id,
            owner_id=row.employee_id,
            owner_active=row.active,
            owner_supervisor_id=row.supervisor_id,
            status=Status(row.status),
            work_date=row.work_date,
        )

    async def card_targets(self, owner_id: int, today: date) -> list[tuple[int, ApprovalMode]]:
        """Who decides the owner's entries today (atasan, then delegates) and how they like
        to hear of them; one statement, as it runs on every submission."""
        rows = await self._session.fetch(_CARD_TARGETS, {"owner_id": owner_id, "today": today})
        return [(int(row.id), ApprovalMode(row.approval_mode)) for row in rows]

    async def entry(self, activity_id: int) -> PendingEntry | None:
        row = (
            await self._session.execute(_entry_query().where(Activity.id == activity_id))
        ).one_or_none()
        return _pending(row) if row else None

    async def pending_for(
        self, supervisor_ids: frozenset[int], owner_id: int | None = None
    ) -> list[PendingEntry]:
        """Submitted entries of active staff whose current atasan is one of `supervisor_ids`."""
        if not supervisor_ids:
            return []
        query = _entry_query().where(
            Activity.status == Status.SUBMITTED.value,
            OWNER.c.supervisor_id.in_(sorted(supervisor_ids)),
            OWNER.c.active.is_(True),
        )
        if owner_id is not None:
            query = query.where(Activity.employee_id == owner_id)
        rows = await self._session.execute(
            query.order_by(OWNER.c.name, Activity.work_date, Activity.start_time, Activity.id)
        )
        return [_pending(row) for row in rows]

    async def decide(
        self, activity_id: int, outcome: Status, decider_id: int, note: str | None, at: datetime
    ) -> bool:
        """Apply a decision only if the entry is still submitted: exactly one decider wins."""
        result = await self._session.execute(
            update(Activity)
            .where(Activity.id == activity_id, Activity.status == Status.SUBMITTED.value)
            .values(
                status=outcome.value,
                decided_at=at,
                decided_by_id=decider_id,
                decision_note=note,
                updated_at=func.now(),
            )
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def history(self, activity_id: int) -> list[HistoryItem]:
        rows = await self._session.execute(
            select(AuditEntry.at, AuditEntry.action, Employee.name, AuditEntry.detail)
            .outerjoin(Employee, Employee.id == AuditEntry.actor_employee_id)
            .where(
                AuditEntry.subject_type == "activity",
                AuditEntry.subject_id == str(activity_id),
            )
            .order_by(AuditEntry.id)
        )
        return [
            HistoryItem(row.at, row.action, row.name, (row.detail or {}).get("note"))
            for row in rows
        ]

    # --- delegations ------------------------------------------------------------------------

    async def delegations_involving(self, employee_id: int) -> list[Delegation]:
        """Unrevoked delegations where the person is delegator or delegate."""
        rows = await self._session.execute(
            select(
                DelegationRow.delegator_id,
                DelegationRow.delegate_id,
                DelegationRow.starts_on,
                DelegationRow.ends_on,
            ).where(
                DelegationRow.revoked_at.is_(None),
                or_(
                    DelegationRow.delegator_id == employee_id,
                    DelegationRow.delegate_id == employee_id,
                ),
            )
        )
        return [Delegation(*row) for row in rows]

    async def delegators_of(self, delegate_id: int, day: date) -> frozenset[int]:
        """Whose staff `delegate_id` may decide for on `day`."""
        rows = await self._session.scalars(
            select(DelegationRow.delegator_id).where(
                DelegationRow.delegate_id == delegate_id,
                DelegationRow.revoked_at.is_(None),
                and_(DelegationRow.starts_on <= day, DelegationRow.ends_on >= day),
            )
        )
        return frozenset(rows)

    async def add_delegation(self, delegation: Delegation, created_by_id: int | None) -> int:
        result = await self._session.execute(
            insert(DelegationRow)
            .values(
                delegator_id=delegation.delegator_id,
                delegate_id=delegation.delegate_id,
                starts_on=delegation.starts,
                ends_on=delegation.ends,
                created_by_id=created_by_id,
            )
            .returning(DelegationRow.id)
        )
        return int(result.scalar_one())

    async def revoke_delegations(self, delegator_id: int, at: datetime) -> int:
        result = await self._session.execute(
            update(DelegationRow)
            .where(DelegationRow.delegator_id == delegator_id, DelegationRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount

    # --- preferences ------------------------------------------------------------------------

    async def mode_of(self, employee_id: int) -> ApprovalMode:
        value = await self._session.scalar(
            select(Employee.approval_mode).where(Employee.id == employee_id)
        )
        return ApprovalMode(value or ApprovalMode.DIGEST.value)

    async def set_mode(self, employee_id: int, mode: ApprovalMode) -> None:
        await self._session.execute(
            update(Employee).where(Employee.id == employee_id).values(approval_mode=mode.value)
        )

    # --- the team view -----------------------------------------------------------------------

    async def team_status(
        self, supervisor_id: int, today: date, month_start: date
    ) -> list[StaffStatus]:
        """Per active direct report: today's and this month's logged, pending, approved."""
        counted = Activity.status != "ditolak"
        on_today = and_(Activity.work_date == today, counted)
        approved = Activity.status == "disetujui"

        def total(condition: Any, value: Any) -> Any:
            return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

        rows = await self._session.execute(
            select(
                Employee.id,
                Employee.nip,
                Employee.name,
                total(on_today, Activity.minutes).label("today_minutes"),
                total(on_today, 1).label("today_entries"),
                total(counted, Activity.minutes).label("month_minutes"),
                total(approved, Activity.minutes).label("approved_minutes"),
                total(Activity.status == "diajukan", 1).label("pending"),
                total(approved, 1).label("approved"),
            )
            .outerjoin(
                Activity,
                and_(
                    Activity.employee_id == Employee.id,
                    Activity.work_date >= month_start,
                    Activity.work_date <= today,
                ),
            )
            .where(Employee.supervisor_id == supervisor_id, Employee.active.is_(True))
            .group_by(Employee.id, Employee.nip, Employee.name)
            .order_by(Employee.name)
        )
        return [
            StaffStatus(
                row.id,
                row.nip,
                row.name,
                int(row.today_minutes),
                int(row.today_entries),
                int(row.month_minutes),
                int(row.approved_minutes),
                int(row.pending),
                int(row.approved),
            )
            for row in rows
        ]

    # --- what the daily jobs look for --------------------------------------------------------

    async def waiting_by_approver(self, zone: str) -> dict[int, int]:
        """Atasan in units of time zone `zone` on the daily digest -> their pending count."""
        approver = Employee.__table__.alias("approver")
        unit = Unit.__table__.alias("approver_unit")
        rows = await self._session.execute(
            select(approver.c.id, func.count(Activity.id))
            .select_from(Activity)
            .join(OWNER, OWNER.c.id == Activity.employee_id)
            .join(approver, approver.c.id == OWNER.c.supervisor_id)
            .join(unit, unit.c.id == approver.c.unit_id)
            .where(
                Activity.status == Status.SUBMITTED.value,
                OWNER.c.active.is_(True),
                approver.c.active.is_(True),
                approver.c.approval_mode == ApprovalMode.DIGEST.value,
                unit.c.timezone == zone,
            )
            .group_by(approver.c.id)
        )
        return {int(approver_id): int(count) for approver_id, count in rows}

    async def waiting_since(self, zone: str) -> list[tuple[int, int | None, datetime]]:
        """(atasan, atasan's own atasan, submitted at) of every pending entry, for atasan in
        units of time zone `zone`: the escalation check works out working days from these."""
        approver = Employee.__table__.alias("approver")
        unit = Unit.__table__.alias("approver_unit")
        rows = await self._session.execute(
            select(approver.c.id, approver.c.supervisor_id, Activity.submitted_at)
            .select_from(Activity)
            .join(OWNER, OWNER.c.id == Activity.employee_id)
            .join(approver, approver.c.id == OWNER.c.supervisor_id)
            .join(unit, unit.c.id == approver.c.unit_id)
            .where(
                Activity.status == Status.SUBMITTED.value,
                Activity.submitted_at.is_not(None),
                OWNER.c.active.is_(True),
                unit.c.timezone == zone,
            )
        )
        return [(int(a), int(b) if b is not None else None, at) for a, b, at in rows]
