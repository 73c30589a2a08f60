"""Who a chat user is, as the conversation needs to know them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


class Role(StrEnum):
    """Roles stored on the roster. Atasan is not stored: it follows from having staff."""

    PEGAWAI = "pegawai"
    ADMIN = "admin"


class MenuRole(StrEnum):
    """The role whose menu a person sees; an admin who also leads staff sees the admin menu."""

    PEGAWAI = "pegawai"
    ATASAN = "atasan"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Person:
    """An employee as the chat sees them: enough to greet, authorise and show a profile."""

    id: int
    nip: str
    name: str
    position: str
    role: Role
    active: bool
    unit_code: str
    unit_name: str
    timezone: str
    staff_count: int = 0
    supervisor_nip: str | None = None
    supervisor_name: str | None = None
    six_day_week: bool = False
    unit_id: int = 0
    admin_unit_id: int | None = None  # set for a unit admin: their unit and its sub-units

    @property
    def is_unit_admin(self) -> bool:
        """An admin scoped to one unit tree, not the whole organisation (BKPSDM/BKD)."""
        return self.role is Role.ADMIN and self.admin_unit_id is not None

    @property
    def is_supervisor(self) -> bool:
        return self.staff_count > 0

    @property
    def menu_role(self) -> MenuRole:
        if self.role is Role.ADMIN:
            return MenuRole.ADMIN
        return MenuRole.ATASAN if self.is_supervisor else MenuRole.PEGAWAI

    @property
    def zone_label(self) -> str:
        return zone_abbreviation(self.timezone)


def zone_abbreviation(timezone: str) -> str:
    """WIB/WITA/WIT for Indonesian zones, the IANA name otherwise."""
    return ZONE_ABBREVIATIONS.get(timezone, timezone)


@dataclass(frozen=True, slots=True)
class StaffMember:
    nip: str
    name: str
    position: str
    active: bool


@dataclass(frozen=True, slots=True)
class RosterStats:
    """Counts an admin sees at a glance."""

    units: int
    active_employees: int
    inactive_employees: int
    supervisors: int
    admins: int
    linked_identities: int


def local_now(person: Person, now: datetime) -> datetime:
    """`now` in the person's unit time zone: work dates, cut-offs and "today" are local.

    A naive value is UTC: SQLite hands stored instants back without their zone.
    """
    return as_utc(now).astimezone(ZoneInfo(person.timezone))


def as_utc(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
