"""Unit of work: one transaction, repositories bound to it, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.repositories.activities import ActivityRepository
from storage.repositories.audit import AuditRepository
from storage.repositories.chat import ChatRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.employees import EmployeeRepository, UnitRepository
from storage.repositories.identities import IdentityRepository
from storage.repositories.invites import InviteRepository
from storage.repositories.skp import RhkRepository
from storage.repositories.updates import ProcessedUpdateRepository


class SessionFactory:
    """Where units of work get their connection: the engine, named for what it hands out."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine


class UnitOfWork:
    """`async with uow:` opens a transaction; leaving without `await uow.commit()` rolls back.

    Repositories never commit, so a use case decides the transaction boundary in one place.
    It runs on a Core connection, not an ORM session: repositories speak SQL expressions and
    plain rows, and the session's machinery was a measured share of every update's CPU.
    """

    session: AsyncConnection
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
        self.session = await self._sessions.engine.connect()
        await self.session.begin()
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
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
