"""Registration invites, looked up by the hash of their code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, insert, select, update

from storage.database import Db
from storage.models import Invite


@dataclass(frozen=True, slots=True)
class InviteRecord:
    id: int
    employee_id: int
    expires_at: datetime
    used_at: datetime | None


class InviteRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def create(self, code_hash: str, employee_id: int, expires_at: datetime) -> None:
        await self._session.execute(
            insert(Invite).values(
                code_hash=code_hash, employee_id=employee_id, expires_at=expires_at
            )
        )

    async def find(self, code_hash: str) -> InviteRecord | None:
        row = (
            await self._session.execute(
                select(Invite.id, Invite.employee_id, Invite.expires_at, Invite.used_at).where(
                    Invite.code_hash == code_hash
                )
            )
        ).one_or_none()
        return InviteRecord(*row) if row else None

    async def use(self, invite_id: int, identity_id: int, now: datetime) -> bool:
        """Mark used; False if someone used it first (the update is conditional)."""
        result = await self._session.execute(
            update(Invite)
            .where(Invite.id == invite_id, Invite.used_at.is_(None))
            .values(used_at=now, used_by_identity_id=identity_id)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1
