"""Read-only questions about the roster that chat features ask."""

from __future__ import annotations

from kinerja.people import Person, RosterStats, StaffMember
from storage.uow import UnitOfWork


async def team_of(uow: UnitOfWork, leader: Person) -> list[StaffMember]:
    """The active staff who report directly to `leader`."""
    return await uow.employees.staff_of(leader.id)


async def roster_stats(uow: UnitOfWork) -> RosterStats:
    return await uow.employees.stats()


async def person_by_nip(uow: UnitOfWork, nip: str) -> Person | None:
    return await uow.employees.person_by_nip(nip)


async def pickable_people(uow: UnitOfWork, limit: int = 100) -> list[Person]:
    """People a demo visitor may chat as."""
    return await uow.employees.people(limit)


async def link_identity(
    uow: UnitOfWork, channel: str, external_id: str, person: Person | None
) -> None:
    """Link (or with `None`, unlink) a chat account to an employee, with an audit entry."""
    identity = await uow.identities.ensure(channel, external_id)
    await uow.identities.link_employee(identity.id, person.id if person else None)
    await uow.audit.record(
        actor="system",
        action="identity.link" if person else "identity.unlink",
        subject_type="identity",
        subject_id=str(identity.id),
        detail={"channel": channel, "nip": person.nip if person else None},
    )
