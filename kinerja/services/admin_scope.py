"""What an admin may see and manage: a unit admin their unit and the units below it; an admin
of the whole organisation (BKPSDM/BKD) everything.

Checked on the server by every admin feature that names units, people or files, whatever the
buttons offered: a forged button or a typed unit code outside the scope is refused like an
unknown one.
"""

from __future__ import annotations

from dataclasses import dataclass

from kinerja.people import Person, Role
from kinerja.reminders import unit_tree
from storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class AdminScope:
    """The units a unit admin manages, by id and by code."""

    unit_ids: frozenset[int]
    unit_codes: frozenset[str]

    def has_unit(self, unit_id: int) -> bool:
        return unit_id in self.unit_ids

    def has_code(self, code: str) -> bool:
        return code.upper() in self.unit_codes


async def scope_of(uow: UnitOfWork, admin: Person) -> AdminScope | None:
    """None for an admin of the whole organisation; an empty scope for anyone not an admin."""
    if admin.role is not Role.ADMIN:
        return AdminScope(frozenset(), frozenset())
    if admin.admin_unit_id is None:
        return None
    units = await uow.units.all()
    ids = unit_tree({unit.id: unit.parent_id for unit in units}, admin.admin_unit_id)
    codes = frozenset(unit.code.upper() for unit in units if unit.id in ids)
    return AdminScope(ids, codes)
