"""The admin web dashboard's use cases: logging in by a one-time link, and what its pages show.

Login is chat-first: an admin asks the bot for a link (`issue_link`), which holds a random token
valid for a few minutes and exchanged once for a browser session (`exchange_link`). Only hashes
of both are stored, so a database leak lets nobody in. Every page call re-reads the person, so a
demoted or deactivated admin loses access at their next click, not when the session ends.

What an admin sees is scoped like their broadcasts: a unit admin (`admin_unit_id`) sees their
unit and its sub-units, an instansi-wide admin (BKPSDM/BKD) every unit. "Today" is each unit's
own local date (WIB/WITA/WIT), and only a working day of that unit's calendar has people who
have not logged.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from kinerja.calendar import WorkCalendar
from kinerja.people import Person, Role, zone_abbreviation
from kinerja.services.admin_scope import scope_of
from kinerja.services.calendar import calendar_for
from kinerja.services.ikm import UnitIkm, ikm_per_unit
from storage.repositories.dashboard import (
    ApproverLoad,
    BroadcastCounts,
    IdleEmployee,
    TokenRecord,
    UnitInfo,
)
from storage.uow import UnitOfWork

LINK = "link"
SESSION = "session"
TOKEN_BYTES = 32  # 43 URL-safe characters


class Refusal(StrEnum):
    """Why a login link or a session does not let someone in."""

    UNKNOWN = "unknown"  # never issued, mistyped, or purged long after it expired
    EXPIRED = "expired"
    USED = "used"
    NOT_ADMIN = "not_admin"


class LoginRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Viewer:
    """A logged-in admin and the units they may see (None: every unit)."""

    person: Person
    units: frozenset[int] | None


def token_hash(raw: str) -> str:
    """SHA-256 is enough: the tokens are 256 random bits, not passwords to brute-force."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _is_admin(person: Person | None) -> bool:
    return person is not None and person.active and person.role is Role.ADMIN


async def issue_link(uow: UnitOfWork, person: Person, now: datetime, minutes: int) -> str:
    """A new one-time login token for `person` (an admin), valid for `minutes`."""
    if not _is_admin(person):
        raise LoginRefused(Refusal.NOT_ADMIN)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now.astimezone(UTC) + timedelta(minutes=minutes)
    await uow.dashboard.add_token(LINK, token_hash(raw), person.id, expires)
    await uow.audit.record(
        actor=f"employee:{person.nip}",
        actor_employee_id=person.id,
        action="dashboard.link",
        subject_type="employee",
        subject_id=str(person.id),
        detail={"expires_at": expires.isoformat()},
    )
    return raw


async def _live(uow: UnitOfWork, kind: str, raw: str, now: datetime) -> TokenRecord:
    found = await uow.dashboard.token(kind, token_hash(raw))
    if found is None:
        raise LoginRefused(Refusal.UNKNOWN)
    if found.used_at is not None:
        raise LoginRefused(Refusal.USED)
    if found.expires_at <= now:
        raise LoginRefused(Refusal.EXPIRED)
    return found


async def check_link(uow: UnitOfWork, raw: str, now: datetime) -> None:
    """Raise `LoginRefused` if the link could not log anyone in now; spends nothing."""
    await _live(uow, LINK, raw, now)


async def exchange_link(
    uow: UnitOfWork, raw: str, now: datetime, session_minutes: int
) -> tuple[str, Person]:
    """Use the link token once; returns a new session token and who it belongs to.

    The link is spent even when its owner is no longer an admin, so it cannot be retried
    after a promotion it was not issued for.
    """
    found = await _live(uow, LINK, raw, now)
    if not await uow.dashboard.use_token(found.id, now):
        raise LoginRefused(Refusal.USED)
    person = await uow.employees.person(found.employee_id)
    if person is None or not _is_admin(person):
        raise LoginRefused(Refusal.NOT_ADMIN)
    session = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now.astimezone(UTC) + timedelta(minutes=session_minutes)
    await uow.dashboard.add_token(SESSION, token_hash(session), person.id, expires)
    await uow.dashboard.purge_tokens(now - timedelta(days=1))
    await uow.audit.record(
        actor=f"employee:{person.nip}",
        actor_employee_id=person.id,
        action="dashboard.login",
        subject_type="employee",
        subject_id=str(person.id),
        detail={"expires_at": expires.isoformat()},
    )
    return session, person


async def viewer_of(uow: UnitOfWork, raw: str, now: datetime) -> Viewer:
    """The admin a session token belongs to, with their scope, read afresh."""
    found = await _live(uow, SESSION, raw, now)
    person = await uow.employees.person(found.employee_id)
    if person is None or not _is_admin(person):
        raise LoginRefused(Refusal.NOT_ADMIN)
    scope = await scope_of(uow, person)
    return Viewer(person, scope.unit_ids if scope is not None else None)


async def logout(uow: UnitOfWork, raw: str, now: datetime) -> bool:
    found = await uow.dashboard.token(SESSION, token_hash(raw))
    return found is not None and await uow.dashboard.use_token(found.id, now)


# --- what the pages show ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitStatus:
    unit: UnitInfo
    local_now: datetime
    working_day: bool
    day_off_name: str | None
    staff: int
    logged: int
    pending: int

    @property
    def zone_label(self) -> str:
        return zone_abbreviation(self.unit.timezone)

    @property
    def today(self) -> date:
        return self.local_now.date()

    @property
    def logged_pct(self) -> int | None:
        return round(100 * self.logged / self.staff) if self.staff else None


@dataclass(frozen=True, slots=True)
class IdleGroup:
    status: UnitStatus
    people: tuple[IdleEmployee, ...]


@dataclass(frozen=True, slots=True)
class ApproverRow:
    load: ApproverLoad
    unit: UnitInfo | None
    oldest_local: datetime | None  # in the atasan's unit zone
    waiting: timedelta | None

    @property
    def zone_label(self) -> str:
        return zone_abbreviation(self.unit.timezone) if self.unit else ""


@dataclass(frozen=True, slots=True)
class BroadcastRow:
    record: BroadcastCounts
    send_at_local: datetime
    zone_label: str

    @property
    def sent(self) -> int:
        return self.record.counts.get("sent", 0)

    @property
    def failed(self) -> int:
        return self.record.counts.get("failed", 0)

    @property
    def pending(self) -> int:
        return self.record.counts.get("pending", 0) + self.record.counts.get("sending", 0)

    @property
    def dropped(self) -> int:
        return self.record.counts.get("dropped", 0)

    @property
    def rows(self) -> int:
        return sum(self.record.counts.values())


@dataclass(frozen=True, slots=True)
class UnitMinutes:
    unit: UnitInfo
    minutes: int


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def _days_by_zone(units: Iterable[UnitInfo], now: datetime) -> dict[str, date]:
    return {u.timezone: _local(now, u.timezone).date() for u in units}


async def _calendars(uow: UnitOfWork, days: Iterable[date]) -> dict[bool, WorkCalendar]:
    """Five- and six-day calendars covering `days` (keyed by `six_day_week`)."""
    found = sorted(days)
    if not found:
        return {}
    first, last = found[0], found[-1]
    return {six: await calendar_for(uow, first, last, six_day_week=six) for six in (False, True)}


async def unit_statuses(
    uow: UnitOfWork, viewer: Viewer, now: datetime, *, logged: bool = True, pending: bool = True
) -> list[UnitStatus]:
    """Each visible unit today: staff, how many logged, entries waiting for approval (the
    last two only when asked for: each is a scan of many entries; zeros otherwise)."""
    units = await uow.dashboard.units(viewer.units)
    days = _days_by_zone(units, now)
    calendars = await _calendars(uow, days.values())
    staff = await uow.dashboard.staff_counts(viewer.units)
    logged_by_unit = await uow.dashboard.logged_today(days, viewer.units) if logged else {}
    pending_by_unit = await uow.dashboard.pending_by_unit(viewer.units) if pending else {}
    statuses = []
    for unit in units:
        local_now = _local(now, unit.timezone)
        calendar = calendars[unit.six_day_week]
        statuses.append(
            UnitStatus(
                unit=unit,
                local_now=local_now,
                working_day=calendar.is_working_day(local_now.date()),
                day_off_name=calendar.day_off_name(local_now.date()),
                staff=staff.get(unit.id, 0),
                logged=logged_by_unit.get(unit.id, 0),
                pending=pending_by_unit.get(unit.id, 0),
            )
        )
    return statuses


async def idle_today(uow: UnitOfWork, viewer: Viewer, now: datetime) -> list[IdleGroup]:
    """Per visible unit, who has nothing dated today and is not on leave; nobody is listed for a
    unit whose today is not a working day (a weekend, a holiday, cuti bersama)."""
    statuses = await unit_statuses(uow, viewer, now, logged=False, pending=False)
    working = {s.unit.id for s in statuses if s.working_day}
    days = _days_by_zone((s.unit for s in statuses), now)
    people: dict[int, list[IdleEmployee]] = {}
    for person in await uow.dashboard.idle_today(days, working):
        people.setdefault(person.unit_id, []).append(person)
    return [IdleGroup(s, tuple(people.get(s.unit.id, ()))) for s in statuses]


async def approvals(uow: UnitOfWork, viewer: Viewer, now: datetime) -> list[ApproverRow]:
    """Atasan with entries of visible staff waiting: how many, and the oldest's age."""
    units = {u.id: u for u in await uow.dashboard.units(None)}
    rows = []
    for load in await uow.dashboard.pending_by_approver(viewer.units):
        unit = units.get(load.unit_id)
        oldest = load.oldest_submitted_at
        rows.append(
            ApproverRow(
                load=load,
                unit=unit,
                oldest_local=_local(oldest, unit.timezone) if oldest and unit else oldest,
                waiting=max(now - oldest, timedelta(0)) if oldest else None,
            )
        )
    return rows


async def broadcasts(uow: UnitOfWork, viewer: Viewer, now: datetime) -> list[BroadcastRow]:
    """The latest broadcasts of the viewer's scope with sent/failed/pending counts from the
    outbox; times in the sender's unit zone (the viewer's, for a broadcast from the CLI)."""
    units = {u.id: u for u in await uow.dashboard.units(None)}
    rows = []
    for record in await uow.dashboard.broadcasts(viewer.units):
        unit = units.get(record.created_by_unit_id) if record.created_by_unit_id else None
        zone = unit.timezone if unit else viewer.person.timezone
        rows.append(BroadcastRow(record, _local(record.send_at, zone), zone_abbreviation(zone)))
    return rows


async def month_minutes(
    uow: UnitOfWork, viewer: Viewer, now: datetime
) -> tuple[date, list[UnitMinutes]]:
    """Minutes logged per visible unit this month (the viewer's local month), rejected entries
    left out; returns the month's first day and the units, most minutes first."""
    today = _local(now, viewer.person.timezone).date()
    first = today.replace(day=1)
    units = await uow.dashboard.units(viewer.units)
    minutes = await uow.dashboard.minutes_by_unit(first, today, viewer.units)
    found = [UnitMinutes(u, minutes.get(u.id, 0)) for u in units]
    found.sort(key=lambda m: (-m.minutes, m.unit.code))
    return first, found


async def ikm_this_year(
    uow: UnitOfWork, viewer: Viewer, now: datetime
) -> tuple[int, list[UnitIkm]]:
    """The year (in WIB) and, per unit in scope offering public services, its IKM from 1
    January to today: complete SKM surveys only (`kinerja.services.ikm`)."""
    today = now.astimezone(ZoneInfo("Asia/Jakarta")).date()
    first = today.replace(month=1, day=1)
    offering = {service.unit_id for service in await uow.citizen.services(None)}
    found: list[UnitIkm] = []
    for unit in await uow.units.all():
        if unit.id not in offering or (viewer.units is not None and unit.id not in viewer.units):
            continue
        ikm = await ikm_per_unit(uow, unit.id, first, today)
        if ikm is not None:
            found.append(ikm)
    return today.year, found
