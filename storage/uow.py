"""Unit of work: one transaction, repositories bound to it, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories.activities import ActivityRepository
from storage.repositories.audit import AuditRepository
from storage.repositories.chat import ChatRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.employees import EmployeeRepository, UnitRepository
from storage.repositories.identities import IdentityRepository
from storage.repositories.invites import InviteRepository
from storage.repositories.skp import RhkRepository
from storage.repositories.updates import ProcessedUpdateRepository

SessionFactory = async_sessionmaker[AsyncSession]


class UnitOfWork:
    """`async with uow:` opens a session; leaving without `await uow.commit()` rolls back.

    Repositories never commit, so a use case decides the transaction boundary in one place.
    """

    session: AsyncSession
    employees: EmployeeRepository
    units: UnitRepository
    identities: IdentityRepository
    invites: InviteRepository
    conversations: ConversationRepository
    updates: ProcessedUpdateRepository
    audit: AuditRepository
    chat: ChatRepository
    rhk: RhkRepository
    activities: ActivityRepository

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.employees = EmployeeRepository(self.session)
        self.units = UnitRepository(self.session)
        self.identities = IdentityRepository(self.session)
        self.invites = InviteRepository(self.session)
        self.conversations = ConversationRepository(self.session)
        self.updates = ProcessedUpdateRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.chat = ChatRepository(self.session)
        self.rhk = RhkRepository(self.session)
        self.activities = ActivityRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
