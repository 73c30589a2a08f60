"""Logging daily activities: drafts held in conversation state, checked and submitted here.

Every rule of `kinerja.activities` is checked again at submit time, inside the same transaction
as the write, so a draft that became invalid while the user was typing (another entry, a month
closing) is refused rather than saved.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from kinerja.activities import (
    ActivityView,
    Status,
    WorkPolicy,
    check_entry,
    is_on_time,
    minutes_between,
    open_period_start,
)
from kinerja.people import Person, local_now
from kinerja.services.approvals import request_decision
from kinerja.services.calendar import calendar_of
from kinerja.skp import RhkItem
from storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Draft:
    """An entry being composed; kept JSON-friendly because it lives in the conversation state."""

    work_date: date | None = None
    start: time | None = None
    end: time | None = None
    minutes: int = 0
    description: str = ""
    rhk_id: int | None = None
    rhk_number: int | None = None
    rhk_title: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    evidence: dict[str, str] | None = field(default=None)
    editing_id: int | None = None

    def to_state(self) -> dict[str, Any]:
        data = asdict(self)
        data["work_date"] = self.work_date.isoformat() if self.work_date else None
        data["start"] = self.start.strftime("%H:%M") if self.start else None
        data["end"] = self.end.strftime("%H:%M") if self.end else None
        data["quantity"] = str(self.quantity) if self.quantity is not None else None
        return data

    @classmethod
    def from_state(cls, data: dict[str, Any] | None) -> Draft:
        if not data:
            return cls()
        return cls(
            work_date=date.fromisoformat(data["work_date"]) if data.get("work_date") else None,
            start=time.fromisoformat(data["start"]) if data.get("start") else None,
            end=time.fromisoformat(data["end"]) if data.get("end") else None,
            minutes=int(data.get("minutes") or 0),
            description=str(data.get("description") or ""),
            rhk_id=data.get("rhk_id"),
            rhk_number=data.get("rhk_number"),
            rhk_title=data.get("rhk_title"),
            quantity=Decimal(data["quantity"]) if data.get("quantity") else None,
            unit=data.get("unit"),
            evidence=data.get("evidence"),
            editing_id=data.get("editing_id"),
        )

    def timed(self, work_date: date, start: time | None, end: time | None, minutes: int) -> Draft:
        if start is not None and end is not None:
            minutes = minutes_between(start, end)
        return replace(self, work_date=work_date, start=start, end=end, minutes=minutes)

    def with_description(self, description: str) -> Draft:
        return replace(self, description=description)

    def with_quantity(self, quantity: Decimal, unit: str | None) -> Draft:
        return replace(self, quantity=quantity, unit=unit or self.unit)

    def with_evidence(self, evidence: dict[str, str] | None) -> Draft:
        return replace(self, evidence=evidence)

    def with_rhk(self, rhk: RhkItem | None) -> Draft:
        if rhk is None:
            return replace(
                self, rhk_id=None, rhk_number=None, rhk_title=None, quantity=None, unit=None
            )
        return replace(
            self,
            rhk_id=rhk.id,
            rhk_number=rhk.number,
            rhk_title=rhk.title,
            unit=self.unit or rhk.unit,
        )


async def check_timing(
    uow: UnitOfWork, person: Person, draft: Draft, policy: WorkPolicy, now: datetime
) -> None:
    """Raise `ActivityRuleError` if the draft's date and time break a rule."""
    assert draft.work_date is not None
    local = local_now(person, now)
    ranges, untimed = await uow.activities.day_usage(
        person.id, draft.work_date, exclude_id=draft.editing_id
    )
    check_entry(
        work_date=draft.work_date,
        start=draft.start,
        end=draft.end,
        minutes=draft.minutes,
        now=local,
        open_from=open_period_start(local.date(), policy.cutoff_day),
        same_day=ranges,
        untimed_minutes=untimed,
    )


async def _on_time(uow: UnitOfWork, person: Person, work_date: date, submitted: date) -> bool:
    """Punctuality by the unit's calendar, read only when it can matter: by the next day an
    entry is on time whatever the calendar says (the deadline is never earlier)."""
    if submitted <= work_date + timedelta(days=1):
        return True
    calendar = await calendar_of(uow, person, work_date)
    return is_on_time(work_date, submitted, calendar.is_working_day)


async def submit(
    uow: UnitOfWork, person: Person, draft: Draft, policy: WorkPolicy, now: datetime
) -> int:
    """Save the draft as submitted (`diajukan`), new or edited; returns the entry id."""
    await check_timing(uow, person, draft, policy, now)
    assert draft.work_date is not None
    local = local_now(person, now)
    fields: dict[str, object] = {
        "work_date": draft.work_date,
        "start_time": draft.start,
        "end_time": draft.end,
        "minutes": draft.minutes,
        "description": draft.description,
        "rhk_id": draft.rhk_id,
        "quantity": draft.quantity,
        "quantity_unit": draft.unit if draft.quantity is not None else None,
        "evidence": draft.evidence,
        "evidence_ref": (draft.evidence or {}).get("file_ref"),
        "status": Status.SUBMITTED.value,
        "submitted_at": now,
        "on_time": await _on_time(uow, person, draft.work_date, local.date()),
    }
    if draft.editing_id is None:
        activity_id = await uow.activities.add(person.id, fields)
        action = "activity.submit"
    else:
        activity_id = draft.editing_id
        fields.update(decided_at=None, decided_by_id=None)
        await uow.activities.change(activity_id, fields)
        action = "activity.resubmit"
    await uow.audit.record(
        actor=f"employee:{person.nip}",
        actor_employee_id=person.id,
        action=action,
        subject_type="activity",
        subject_id=str(activity_id),
    )
    await request_decision(uow, person, activity_id, draft.work_date, now, policy)
    return activity_id


async def owned(uow: UnitOfWork, person: Person, activity_id: int) -> ActivityView | None:
    """The entry if it is this person's; None otherwise (callers log the attempt)."""
    entry = await uow.activities.get(activity_id)
    return entry if entry is not None and entry.employee_id == person.id else None


async def remove(uow: UnitOfWork, person: Person, entry: ActivityView) -> bool:
    deleted = await uow.activities.remove(entry.id)
    if deleted:
        await uow.audit.record(
            actor=f"employee:{person.nip}",
            actor_employee_id=person.id,
            action="activity.delete",
            subject_type="activity",
            subject_id=str(entry.id),
        )
    return deleted


async def entries(uow: UnitOfWork, person: Person, first: date, last: date) -> list[ActivityView]:
    return await uow.activities.between(person.id, first, last)


async def rhk_of(uow: UnitOfWork, person: Person, year: int) -> list[RhkItem]:
    return await uow.rhk.for_employee(person.id, year)


def draft_of(entry: ActivityView) -> Draft:
    """A draft to edit an existing entry; saving it resubmits."""
    return Draft(
        work_date=entry.work_date,
        start=entry.start,
        end=entry.end,
        minutes=entry.minutes,
        description=entry.description,
        rhk_id=entry.rhk_id,
        rhk_number=entry.rhk_number,
        rhk_title=entry.rhk_title,
        quantity=entry.quantity,
        unit=entry.quantity_unit,
        evidence=dict(entry.evidence) if entry.evidence else None,
        editing_id=entry.id,
    )


def week_of(day: date) -> tuple[date, date]:
    """Monday to `day`: "this week" as far as it has happened."""
    return day - timedelta(days=day.weekday()), day
