"""Admins' deadlines managed from chat (`handlers/deadline.py`); `kinerja deadline` is the CLI.

A deadline reminds its audience at its offsets (H-7, H-3, H-1 and H by default) through the
reminder jobs (`kinerja.services.reminders.queue_deadlines`). A unit admin sets deadlines for
their own unit tree only and sees and cancels only their own; an admin of the whole
organisation sees and cancels every deadline.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from kinerja.people import Person, Role
from kinerja.reminders import (
    DEFAULT_DEADLINE_OFFSETS,
    Audience,
    AudienceKind,
    ReminderError,
    parse_day,
)
from kinerja.services.broadcasts import people_count
from kinerja.services.reminders import audience_of
from storage.repositories.reminders import DeadlineRecord
from storage.uow import UnitOfWork

TITLE_MIN, TITLE_MAX = 3, 120
HORIZON = timedelta(days=730)  # a deadline further than two years ahead is a typo
# Who a deadline may be for: evaluated on each reminder day, so "nothing logged today" and
# "approvals pending" (a day's state) make no sense for a deadline.
AUDIENCES = (AudienceKind.ALL, AudienceKind.UNIT, AudienceKind.UNIT_TREE, AudienceKind.ATASAN)


def parse_deadline(text: str, today: date) -> tuple[str, date]:
    """ "Unggah SKP 2027 31/01/2027": the title, then the date as its last word."""
    words = text.split()
    if len(words) < 2:
        raise ReminderError("deadline.ask_format")
    due = parse_day(words[-1], today)
    title = " ".join(words[:-1])
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise ReminderError("deadline.bad_title", {"min": TITLE_MIN, "max": TITLE_MAX})
    if due < today:
        raise ReminderError("deadline.past")
    if due > today + HORIZON:
        raise ReminderError("deadline.too_far")
    return title, due


async def visible(uow: UnitOfWork, admin: Person, today: date) -> list[DeadlineRecord]:
    """Deadlines not yet past that `admin` may see (and cancel)."""
    found = await uow.reminders.deadlines(today)
    if await uow.reminders.admin_unit_of(admin.id) is None:
        return found
    return [item for item in found if item.created_by_id == admin.id]


async def reach(uow: UnitOfWork, admin: Person, audience: Audience, now: datetime) -> int:
    """How many people the audience holds today; ReminderError outside the admin's scope."""
    if audience.kind not in AUDIENCES:
        raise ReminderError("deadline.bad_audience")
    try:
        return people_count(await audience_of(uow, admin, audience, now))
    except ReminderError as error:
        if error.code == "broadcast.other_unit":
            raise ReminderError("deadline.other_unit") from None
        raise


async def create(
    uow: UnitOfWork,
    admin: Person,
    title: str,
    due: date,
    audience: Audience,
    now: datetime,
    *,
    skip_with_skp: bool = False,
) -> int:
    """Save the deadline (checked again: the scope may have changed since the preview)."""
    if admin.role is not Role.ADMIN:
        raise ReminderError("deadline.not_yours")
    await reach(uow, admin, audience, now)
    exclude = "skp" if skip_with_skp else None
    deadline_id = await uow.reminders.add_deadline(
        title, due, audience, DEFAULT_DEADLINE_OFFSETS, exclude, admin.id
    )
    await uow.audit.record(
        actor=f"employee:{admin.nip}",
        actor_employee_id=admin.id,
        action="deadline.add",
        subject_type="deadline",
        subject_id=str(deadline_id),
        detail={"title": title, "due_on": due.isoformat(), "audience": audience.to_json()},
    )
    return deadline_id


async def cancel(uow: UnitOfWork, admin: Person, deadline_id: int, now: datetime) -> None:
    """Cancel a deadline `admin` may see; ReminderError otherwise."""
    item = await uow.reminders.deadline(deadline_id)
    if item is None:
        raise ReminderError("deadline.not_found", {"id": deadline_id})
    scope = await uow.reminders.admin_unit_of(admin.id)
    if admin.role is not Role.ADMIN or (scope is not None and item.created_by_id != admin.id):
        raise ReminderError("deadline.not_yours")
    if not await uow.reminders.cancel_deadline(deadline_id, now):
        raise ReminderError("deadline.not_found", {"id": deadline_id})
    await uow.audit.record(
        actor=f"employee:{admin.nip}",
        actor_employee_id=admin.id,
        action="deadline.cancel",
        subject_type="deadline",
        subject_id=str(deadline_id),
    )
