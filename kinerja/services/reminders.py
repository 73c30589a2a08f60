"""Reminder use cases: who is nudged today, queued as outbox rows (DESIGN.md rule 2).

Every function runs for the units of one time zone at that zone's local time, decides from the
unit's working-day calendar (five or six days, holidays, cuti bersama, admins' corrections)
whether today counts, skips anyone on leave, deactivated, unlinked or unreachable, and queues
one row per (purpose, chat, period) under a dedupe key, so a job that runs twice (a restart,
two workers) sends nothing twice. What a reminder says is decided when it is sent
(`handlers/reminders.py`), so a nudge for a day that got logged meanwhile is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kinerja.calendar import WorkCalendar
from kinerja.people import Person
from kinerja.reminders import (
    DEFAULT_CLOSING_OFFSETS,
    Audience,
    audience_units,
    due_offsets,
    month_end,
    previous_month,
    previous_working_day,
)
from kinerja.services.calendar import calendar_for
from storage.repositories.outbox import REMINDER, Push
from storage.repositories.reminders import Reachable
from storage.uow import UnitOfWork

DAILY = "reminder_daily"  # nothing logged yet today
GAP = "reminder_gap"  # nothing logged on the last working day
CLOSING = "reminder_closing"  # month end / cut-off with open entries
DEADLINE = "reminder_deadline"  # an admin's deadline
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Pontianak")


def local_today(zone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


async def calendars(uow: UnitOfWork, today: date) -> dict[bool, WorkCalendar]:
    """The five-day and six-day calendars around `today` (keyed by `six_day_week`)."""
    first, last = today - timedelta(days=70), today + timedelta(days=70)
    return {six: await calendar_for(uow, first, last, six_day_week=six) for six in (False, True)}


def _push(to: Reachable, purpose: str, payload: dict[str, object], period: str) -> Push:
    return Push(
        channel=to.channel,
        recipient=to.external_id,
        purpose=purpose,
        payload=payload,
        dedupe_key=f"{purpose}:{to.channel}:{to.external_id}:{period}",
        priority=REMINDER,
    )


async def queue_daily(uow: UnitOfWork, zone: str, now: datetime) -> int:
    """The afternoon nudge: working today, not on leave, nothing logged for today yet."""
    today = local_today(zone, now)
    cals = await calendars(uow, today)
    if not any(cal.is_working_day(today) for cal in cals.values()):
        return 0
    people = await uow.reminders.reachable(zone)
    logged = await uow.reminders.logged_on([today], zone)
    away = await uow.calendar.on_leave(today)
    return await uow.outbox.enqueue_many(
        [
            _push(to, DAILY, {"day": today.isoformat()}, today.isoformat())
            for to in people
            if cals[to.six_day_week].is_working_day(today)
            and to.employee_id not in away
            and (to.employee_id, today) not in logged
        ]
    )


async def queue_gaps(uow: UnitOfWork, zone: str, now: datetime) -> int:
    """The next-morning nudge: nothing logged on the last working day (not on leave then)."""
    today = local_today(zone, now)
    cals = await calendars(uow, today)
    previous = {
        six: previous_working_day(cal, today)
        for six, cal in cals.items()
        if cal.is_working_day(today)
    }
    if not previous:
        return 0
    people = await uow.reminders.reachable(zone)
    logged = await uow.reminders.logged_on(set(previous.values()), zone)
    away_today = await uow.calendar.on_leave(today)
    away_then = {day: await uow.calendar.on_leave(day) for day in set(previous.values())}
    pushes: list[Push] = []
    for to in people:
        day = previous.get(to.six_day_week)
        if (
            day is None
            or to.employee_id in away_today
            or to.employee_id in away_then[day]
            or (to.employee_id, day) in logged
        ):
            continue
        pushes.append(_push(to, GAP, {"day": day.isoformat()}, day.isoformat()))
    return await uow.outbox.enqueue_many(pushes)


def closing_deadlines(today: date, cutoff_day: int) -> list[tuple[str, date, date]]:
    """(kind, first day of the month concerned, its deadline) that today may warn about:
    this month's end, and the cut-off of last month (day `cutoff_day` of this one)."""
    return [
        ("month_end", today.replace(day=1), month_end(today)),
        ("cutoff", previous_month(today), today.replace(day=cutoff_day)),
    ]


async def queue_closing(
    uow: UnitOfWork,
    zone: str,
    now: datetime,
    cutoff_day: int,
    offsets: Sequence[int] = DEFAULT_CLOSING_OFFSETS,
) -> int:
    """Month-end and cut-off warnings (H-3, H-1 by default) to owners of draft or returned
    entries of the month and to atasan with entries of it still undecided."""
    today = local_today(zone, now)
    cals = await calendars(uow, today)
    away = await uow.calendar.on_leave(today)
    pushes: list[Push] = []
    for kind, month, deadline in closing_deadlines(today, cutoff_day):
        due = {six: due_offsets(cal, deadline, offsets, today) for six, cal in cals.items()}
        if not any(due.values()):
            continue
        owners, approvers = await uow.reminders.open_entries(month, month_end(month), zone)
        for role, counts in (("owner", owners), ("atasan", approvers)):
            if not counts:
                continue
            for to in await uow.reminders.reachable(employee_ids=sorted(counts)):
                if not due[to.six_day_week] or to.employee_id in away:
                    continue
                payload: dict[str, object] = {
                    "kind": kind,
                    "role": role,
                    "month": month.isoformat(),
                    "deadline": deadline.isoformat(),
                }
                period = f"{kind}:{role}:{month.isoformat()}:{today.isoformat()}"
                pushes.append(_push(to, CLOSING, payload, period))
    return await uow.outbox.enqueue_many(pushes)


async def queue_deadlines(uow: UnitOfWork, zone: str, now: datetime) -> int:
    """Admins' deadlines at their offsets, to their audience in this zone, except people who
    have done the thing where the bot can tell."""
    today = local_today(zone, now)
    cals = await calendars(uow, today)
    away = await uow.calendar.on_leave(today)
    pushes: list[Push] = []
    for deadline in await uow.reminders.deadlines(today, today + timedelta(days=70)):
        due = {
            six: due_offsets(cal, deadline.due_on, deadline.offsets, today)
            for six, cal in cals.items()
        }
        if not any(due.values()):
            continue
        creator = (
            await uow.employees.person(deadline.created_by_id) if deadline.created_by_id else None
        )
        people = [
            to
            for to in await audience_of(uow, creator, deadline.audience, now)
            if to.timezone == zone and due[to.six_day_week] and to.employee_id not in away
        ]
        if deadline.exclude_done == "skp":
            done = await uow.reminders.has_skp(
                {to.employee_id for to in people}, deadline.due_on.year
            )
            people = [to for to in people if to.employee_id not in done]
        for to in people:
            offset = due[to.six_day_week][-1]
            payload: dict[str, object] = {"deadline_id": deadline.id, "offset": offset}
            pushes.append(_push(to, DEADLINE, payload, f"{deadline.id}:{offset}"))
    return await uow.outbox.enqueue_many(pushes)


async def audience_of(
    uow: UnitOfWork, admin: Person | None, audience: Audience, now: datetime
) -> list[Reachable]:
    """The reachable accounts of `audience`, within what `admin` may reach (None: the CLI,
    everything). Raises `ReminderError` for a unit that does not exist or is not theirs."""
    parents = await uow.reminders.unit_parents()
    scope = await uow.reminders.admin_unit_of(admin.id) if admin is not None else None
    units = audience_units(audience, parents, scope)
    today_by_zone = {zone: local_today(zone, now) for zone in ZONES}
    return await uow.reminders.audience(audience, units, today_by_zone)


def parse_iso(value: object) -> date:
    return date.fromisoformat(str(value))


def unique(values: Iterable[int]) -> list[int]:
    return sorted(set(values))
