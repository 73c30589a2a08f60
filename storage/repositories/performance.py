"""What progress, evaluation and the monthly recap read and write."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, cast, func, insert, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import BIT

from kinerja.activities import Status
from kinerja.evaluation import EvaluationRecord, StaffEvaluation, UnitCompletion
from kinerja.recap import RecapRow
from storage.database import Db
from storage.models import Activity, Employee, Evaluation, Rhk, Unit

_EVALUATION_COLUMNS = (
    Evaluation.id,
    Evaluation.employee_id,
    Evaluation.evaluator_id,
    Evaluation.period,
    Evaluation.hasil_kerja,
    Evaluation.perilaku_kerja,
    Evaluation.predikat,
    Evaluation.feedback,
    Evaluation.created_at,
    Evaluation.objection,
    Evaluation.objected_at,
    Evaluation.reviewer_id,
)
# Days of one month as bits of an integer (PostgreSQL's `bit_or` over `1 << day`).
DAY_BITS = 31


def _sum(condition: Any, value: Any) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


class PerformanceRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    # --- progress ------------------------------------------------------------------------------

    async def rhk_totals(
        self, employee_id: int, year: int
    ) -> list[tuple[int, str, Decimal, str, Decimal, Decimal]]:
        """(number, title, target, unit, approved quantity, pending quantity) per RHK."""
        rows = await self._session.execute(
            select(
                Rhk.number,
                Rhk.title,
                Rhk.target,
                Rhk.unit,
                _sum(Activity.status == Status.APPROVED.value, Activity.quantity),
                _sum(Activity.status == Status.SUBMITTED.value, Activity.quantity),
            )
            .outerjoin(
                Activity,
                and_(Activity.rhk_id == Rhk.id, Activity.quantity.is_not(None)),
            )
            .where(Rhk.employee_id == employee_id, Rhk.year == year)
            .group_by(Rhk.id, Rhk.number, Rhk.title, Rhk.target, Rhk.unit)
            .order_by(Rhk.number)
        )
        return [
            (int(n), title, Decimal(target or 0), unit, Decimal(approved), Decimal(pending))
            for n, title, target, unit, approved, pending in rows
        ]

    async def approved_quantities(
        self, employee_id: int, year: int
    ) -> dict[int, dict[date, Decimal]]:
        """RHK number -> work date -> approved quantity, for the chart."""
        rows = await self._session.execute(
            select(Rhk.number, Activity.work_date, func.sum(Activity.quantity))
            .join(Activity, Activity.rhk_id == Rhk.id)
            .where(
                Rhk.employee_id == employee_id,
                Rhk.year == year,
                Activity.status == Status.APPROVED.value,
                Activity.quantity.is_not(None),
            )
            .group_by(Rhk.number, Activity.work_date)
        )
        found: dict[int, dict[date, Decimal]] = {}
        for number, day, quantity in rows:
            found.setdefault(int(number), {})[day] = Decimal(quantity or 0)
        return found

    async def month_minutes(self, employee_id: int, first: date, last: date) -> tuple[int, int]:
        """(approved minutes, pending minutes) of work dates `first`..`last`."""
        row = (
            await self._session.execute(
                select(
                    _sum(Activity.status == Status.APPROVED.value, Activity.minutes),
                    _sum(Activity.status == Status.SUBMITTED.value, Activity.minutes),
                ).where(
                    Activity.employee_id == employee_id,
                    Activity.work_date >= first,
                    Activity.work_date <= last,
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    # --- evaluations ---------------------------------------------------------------------------

    async def evaluation(self, evaluation_id: int) -> EvaluationRecord | None:
        row = (
            await self._session.execute(
                select(*_EVALUATION_COLUMNS).where(Evaluation.id == evaluation_id)
            )
        ).one_or_none()
        return EvaluationRecord(*row) if row else None  # type: ignore[call-arg]

    async def evaluation_of(self, employee_id: int, period: str) -> EvaluationRecord | None:
        row = (
            await self._session.execute(
                select(*_EVALUATION_COLUMNS).where(
                    Evaluation.employee_id == employee_id, Evaluation.period == period
                )
            )
        ).one_or_none()
        return EvaluationRecord(*row) if row else None  # type: ignore[call-arg]

    async def add_evaluation(
        self,
        *,
        employee_id: int,
        evaluator_id: int,
        period: str,
        hasil_kerja: str,
        perilaku_kerja: str,
        predikat: str,
        feedback: str,
        at: datetime,
    ) -> int:
        result = await self._session.execute(
            insert(Evaluation)
            .values(
                employee_id=employee_id,
                evaluator_id=evaluator_id,
                period=period,
                hasil_kerja=hasil_kerja,
                perilaku_kerja=perilaku_kerja,
                predikat=predikat,
                feedback=feedback,
                created_at=at,
            )
            .returning(Evaluation.id)
        )
        return int(result.scalar_one())

    async def add_objection(
        self, evaluation_id: int, reason: str, reviewer_id: int | None, at: datetime
    ) -> bool:
        """Record the objection unless one exists (False then): of two presses, one wins."""
        result = await self._session.execute(
            update(Evaluation)
            .where(Evaluation.id == evaluation_id, Evaluation.objected_at.is_(None))
            .values(objection=reason, objected_at=at, reviewer_id=reviewer_id)
        )
        return bool(result.rowcount)

    async def staff_evaluations(self, supervisor_id: int, period: str) -> list[StaffEvaluation]:
        rows = await self._session.execute(
            select(Employee.id, Employee.nip, Employee.name, Evaluation.predikat)
            .outerjoin(
                Evaluation,
                and_(Evaluation.employee_id == Employee.id, Evaluation.period == period),
            )
            .where(Employee.supervisor_id == supervisor_id, Employee.active.is_(True))
            .order_by(Employee.name)
        )
        return [StaffEvaluation(int(i), nip, name, pred) for i, nip, name, pred in rows]

    async def supervisors_with_staff(self, zone: str) -> list[int]:
        """Active atasan (with active staff) in units of time zone `zone`."""
        staff = Employee.__table__.alias("staff")
        rows = await self._session.scalars(
            select(Employee.id)
            .distinct()
            .join(staff, staff.c.supervisor_id == Employee.id)
            .join(Unit, Unit.id == Employee.unit_id)
            .where(Employee.active.is_(True), staff.c.active.is_(True), Unit.timezone == zone)
            .order_by(Employee.id)
        )
        return [int(i) for i in rows]

    async def completion_by_unit(self, period: str) -> list[UnitCompletion]:
        """Per unit: active staff who have an atasan, how many were rated, how many objected."""
        rows = await self._session.execute(
            select(
                Unit.code,
                Unit.name,
                func.count(Employee.id),
                func.count(Evaluation.id),
                func.count(Evaluation.objected_at),
            )
            .join(Employee, Employee.unit_id == Unit.id)
            .outerjoin(
                Evaluation,
                and_(Evaluation.employee_id == Employee.id, Evaluation.period == period),
            )
            .where(Employee.active.is_(True), Employee.supervisor_id.is_not(None))
            .group_by(Unit.id, Unit.code, Unit.name)
            .order_by(Unit.code)
        )
        return [UnitCompletion(c, n, int(s), int(e), int(o)) for c, n, s, e, o in rows]

    # --- the monthly recap ---------------------------------------------------------------------

    async def recap_rows(
        self,
        first: date,
        last: date,
        period: str,
        *,
        unit_id: int | None = None,
        supervisor_id: int | None = None,
    ) -> list[RecapRow]:
        """One row per active employee in scope (a unit, an atasan's staff, or everyone), with
        zeros for those who logged nothing.

        Activities are aggregated per employee in a subquery first, so the join to employees and
        evaluations handles one row per person, not one per entry. Counts use FILTER rather than
        SUM(CASE) and, on PostgreSQL, days logged are a bit per day of the month OR-ed together
        instead of COUNT(DISTINCT work_date): a DISTINCT aggregate forces a sort of every entry
        and cannot run in parallel, while these fold into a parallel hash aggregate over one
        scan (a province month: 3 M entries, 50,000 people).
        """
        if (last - first).days >= DAY_BITS:
            raise ValueError("the recap covers at most one month")
        postgresql = self._session.dialect.name == "postgresql"
        if postgresql:
            # A reporting query in its own read-only transaction: the hash aggregate of 50,000
            # people needs ~15 MB (the default 4 MB spills it to disk), and JIT compiling it
            # costs more than it saves.
            await self._session.execute(text("SET LOCAL work_mem = '64MB'"))
            await self._session.execute(text("SET LOCAL jit = off"))
            day_bit = literal_column("1").op("<<")(Activity.work_date - first)
            days = func.bit_count(cast(func.bit_or(day_bit), BIT(DAY_BITS)))
        else:
            days = func.count(func.distinct(Activity.work_date))
        status = Activity.status
        per_employee = (
            select(
                Activity.employee_id.label("employee_id"),
                days.label("days_logged"),
                func.count().label("entries"),
                func.sum(Activity.minutes)
                .filter(status != Status.REJECTED.value)
                .label("minutes"),
                func.sum(Activity.minutes)
                .filter(status == Status.APPROVED.value)
                .label("approved_minutes"),
                func.count().filter(status == Status.APPROVED.value).label("approved"),
                func.count().filter(Activity.on_time.is_(True)).label("on_time"),
                func.count().filter(status == Status.SUBMITTED.value).label("pending"),
            )
            .where(
                Activity.work_date >= first,
                Activity.work_date <= last,
                status != Status.DRAFT.value,
            )
            .group_by(Activity.employee_id)
        )
        scope: list[Any] = [Employee.active.is_(True)]
        if unit_id is not None:
            scope.append(Employee.unit_id == unit_id)
            per_employee = per_employee.where(
                Activity.employee_id.in_(select(Employee.id).where(Employee.unit_id == unit_id))
            )
        if supervisor_id is not None:
            scope.append(Employee.supervisor_id == supervisor_id)
            per_employee = per_employee.where(
                Activity.employee_id.in_(
                    select(Employee.id).where(Employee.supervisor_id == supervisor_id)
                )
            )
        totals = per_employee.subquery("totals")
        rows = await self._session.execute(
            select(
                Employee.nip,
                Employee.name,
                Unit.code,
                func.coalesce(totals.c.days_logged, 0),
                func.coalesce(totals.c.entries, 0),
                func.coalesce(totals.c.minutes, 0),
                func.coalesce(totals.c.approved_minutes, 0),
                func.coalesce(totals.c.approved, 0),
                func.coalesce(totals.c.on_time, 0),
                func.coalesce(totals.c.pending, 0),
                Evaluation.predikat,
            )
            .join(Unit, Unit.id == Employee.unit_id)
            .outerjoin(totals, totals.c.employee_id == Employee.id)
            .outerjoin(
                Evaluation,
                and_(Evaluation.employee_id == Employee.id, Evaluation.period == period),
            )
            .where(*scope)
            .order_by(Unit.code, Employee.name, Employee.nip)
        )
        return [
            RecapRow(
                nip=nip,
                name=name,
                unit=unit,
                days_logged=int(days),
                entries=int(entries),
                minutes=int(minutes),
                approved_minutes=int(approved_minutes),
                approved=int(approved),
                on_time=int(on_time),
                pending=int(pending),
                predikat=pred,
            )
            for (
                nip,
                name,
                unit,
                days,
                entries,
                minutes,
                approved_minutes,
                approved,
                on_time,
                pending,
                pred,
            ) in rows
        ]

    async def admin_ids(self) -> list[int]:
        rows = await self._session.scalars(
            select(Employee.id)
            .where(Employee.role == "admin", Employee.active.is_(True))
            .order_by(Employee.id)
        )
        return [int(i) for i in rows]

    async def units(self) -> list[tuple[int, str, str]]:
        rows = await self._session.execute(
            select(Unit.id, Unit.code, Unit.name).order_by(Unit.code)
        )
        return [(int(i), code, name) for i, code, name in rows]

    async def unit_by_code(self, code: str) -> tuple[int, str, str] | None:
        """(id, code, name) of a unit, by code, case-insensitive."""
        row = (
            await self._session.execute(
                select(Unit.id, Unit.code, Unit.name).where(func.upper(Unit.code) == code.upper())
            )
        ).one_or_none()
        return (int(row[0]), row[1], row[2]) if row else None
