"""The monthly recap, one function for the chat and the exports so their numbers agree."""

from __future__ import annotations

from datetime import date

from kinerja.evaluation import PeriodKind, period_containing
from kinerja.people import Person, Role
from kinerja.progress import month_bounds
from kinerja.recap import Recap
from kinerja.services.admin_scope import scope_of
from storage.uow import UnitOfWork

ALL_UNITS = "ALL"


class UnknownUnit(LookupError):
    """No unit has that code."""


async def monthly_recap(
    uow: UnitOfWork,
    month: date,
    kind: PeriodKind,
    *,
    unit_code: str | None = None,
    supervisor: Person | None = None,
) -> Recap:
    """A month's recap for a unit (`ALL`: every unit), or an atasan's direct staff.

    The predikat shown is the evaluation of the period (`kind`) that contains the month. Every
    active employee in scope has a row, with zeros when they logged nothing (a month without
    entries too): the recap is how an admin sees who did not log.
    """
    first, last = month_bounds(month)
    period = period_containing(first, kind).code
    if supervisor is not None:
        rows = await uow.performance.recap_rows(first, last, period, supervisor_id=supervisor.id)
        return Recap(first, period, supervisor.nip, tuple(rows))
    unit_id: int | None = None
    scope = ALL_UNITS
    if unit_code is not None and unit_code.upper() != ALL_UNITS:
        unit = await uow.performance.unit_by_code(unit_code)
        if unit is None:
            raise UnknownUnit(unit_code)
        unit_id, scope = unit[0], unit[1]
    rows = await uow.performance.recap_rows(first, last, period, unit_id=unit_id)
    return Recap(first, period, scope, tuple(rows))


async def recap_for(
    uow: UnitOfWork, viewer: Person, month: date, kind: PeriodKind, unit_code: str | None
) -> Recap:
    """What `viewer` may see: an admin any unit (or all), a unit admin a unit of their scope,
    anyone else their own staff. A unit outside the scope is refused like an unknown one."""
    if viewer.role is Role.ADMIN:
        scope = await scope_of(uow, viewer)
        if scope is not None and (unit_code is None or not scope.has_code(unit_code)):
            raise UnknownUnit(unit_code or ALL_UNITS)
        return await monthly_recap(uow, month, kind, unit_code=unit_code or ALL_UNITS)
    return await monthly_recap(uow, month, kind, supervisor=viewer)
