"""Chat identities: a channel account, linked to an employee or a citizen once known."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import CursorResult, bindparam, select, update

from storage.database import Db
from storage.models import Identity
from storage.repositories._dialect import insert_for

TABLE = Identity.__table__


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    id: int
    channel: str
    external_id: str
    employee_id: int | None
    citizen_id: int | None
    language: str | None


_FIND = select(
    Identity.id,
    Identity.channel,
    Identity.external_id,
    Identity.employee_id,
    Identity.citizen_id,
    Identity.language,
).where(Identity.channel == bindparam("channel"), Identity.external_id == bindparam("external_id"))


_COLUMNS = (
    Identity.id,
    Identity.channel,
    Identity.external_id,
    Identity.employee_id,
    Identity.citizen_id,
    Identity.language,
)
_FIND = select(*_COLUMNS).where(
    Identity.channel == bindparam("channel"), Identity.external_id == bindparam("external_id")
)


class IdentityRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def find(self, channel: str, external_id: str) -> IdentityRecord | None:
        row = (
            await self._session.execute(_FIND, {"channel": channel, "external_id": external_id})
        ).one_or_none()
        return IdentityRecord(*row) if row else None

    async def ensure(self, channel: str, external_id: str) -> IdentityRecord:
        """The identity for this account, created on first contact (race-safe)."""
        found = await self.find(channel, external_id)
        if found:
            return found
        await self._session.execute(
            insert_for(self._session, TABLE)  # type: ignore[arg-type]
            .values(channel=channel, external_id=external_id)
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        )
        created = await self.find(channel, external_id)
        assert created is not None
        return created

    async def link_employee(self, identity_id: int, employee_id: int | None) -> None:
        await self._session.execute(
            update(Identity).where(Identity.id == identity_id).values(employee_id=employee_id)
        )

    async def set_reachable(self, identity_id: int) -> None:
        """The account wrote to the bot again (it unblocked it): pushes may reach it again."""
        await self._session.execute(
            update(Identity).where(Identity.id == identity_id).values(unreachable_at=None)
        )

    async def set_language(self, identity_id: int, language: str) -> None:
        await self._session.execute(
            update(Identity).where(Identity.id == identity_id).values(language=language)
        )

    async def unlink_employee(self, employee_id: int) -> int:
        """Detach every chat account of an employee (a lost phone); returns how many."""
        result = await self._session.execute(
            update(Identity).where(Identity.employee_id == employee_id).values(employee_id=None)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount

    async def of_employee(self, employee_id: int) -> list[IdentityRecord]:
        rows = await self._session.execute(
            select(*_COLUMNS).where(Identity.employee_id == employee_id).order_by(Identity.id)
        )
        return [IdentityRecord(*row) for row in rows]
