"""Unit of work: one transaction, repositories bound to it, rolled back unless committed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Generic, Self, TypeVar, overload

from storage.database import Database, Db
from storage.repositories.activities import ActivityRepository
from storage.repositories.approvals import ApprovalRepository
from storage.repositories.audit import AuditRepository
from storage.repositories.calendar import CalendarRepository
from storage.repositories.channel_contacts import ChannelContactRepository
from storage.repositories.chat import ChatRepository
from storage.repositories.citizen import CitizenRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.dashboard import DashboardRepository
from storage.repositories.employees import EmployeeRepository, UnitRepository
from storage.repositories.identities import IdentityRepository
from storage.repositories.invites import InviteRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.performance import PerformanceRepository
from storage.repositories.reminders import ReminderRepository
from storage.repositories.skp import RhkRepository
from storage.repositories.updates import ProcessedUpdateRepository

OutboxListener = Callable[[frozenset[str]], None]
R = TypeVar("R")
log = logging.getLogger(__name__)


class SessionFactory:
    """Where units of work get their transactions, named for what it hands out.

    It also tells whoever drains the outbox that rows were committed (`on_outbox_commit`), so
    a push queued by an update leaves at once instead of at the drainer's next poll.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._outbox_listeners: list[OutboxListener] = []

    def on_outbox_commit(self, listener: OutboxListener) -> None:
        """Call `listener(channels)` after each commit that queued outbox rows for `channels`.

        Called on the event loop right after the commit; it must be quick and must not raise
        (a drainer's `notify` sets an event).
        """
        self._outbox_listeners.append(listener)

    def outbox_committed(self, channels: frozenset[str]) -> None:
        for listener in self._outbox_listeners:
            try:
                listener(channels)
            except Exception:
                log.exception("outbox listener failed; the drainer's poll will catch up")


def session_factory(database: Database) -> SessionFactory:
    return SessionFactory(database)


class _Repository(Generic[R]):
    """A repository bound to the unit of work's transaction, built on first use.

    Why lazily: a webhook update touches three or four of the repositories, and building all
    of them on every `async with` was work on the hot path for nothing. The built repository is
    kept in the instance's dict, which a non-data descriptor yields to from then on.
    """

    def __init__(self, make: Callable[[Db], R]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...
    @overload
    def __get__(self, uow: UnitOfWork, owner: type) -> R: ...
    def __get__(self, uow: UnitOfWork | None, owner: type) -> R | Self:
        if uow is None:
            return self
        repository = uow.__dict__[self._name] = self._make(uow.session)
        return repository


class UnitOfWork:
    """`async with uow:` opens a transaction; leaving without `await uow.commit()` rolls back.

    Repositories never commit, so a use case decides the transaction boundary in one place.
    It runs on a Core connection (`storage.database.Db`), not an ORM session: repositories speak
    SQL expressions and plain rows, and the session's machinery was a measured share of every
    update's CPU.
    """

    session: Db
    employees = _Repository(EmployeeRepository)
    units = _Repository(UnitRepository)
    identities = _Repository(IdentityRepository)
    invites = _Repository(InviteRepository)
    conversations = _Repository(ConversationRepository)
    updates = _Repository(ProcessedUpdateRepository)
    audit = _Repository(AuditRepository)
    chat = _Repository(ChatRepository)
    rhk = _Repository(RhkRepository)
    activities = _Repository(ActivityRepository)
    outbox = _Repository(OutboxRepository)
    contacts = _Repository(ChannelContactRepository)
    approvals = _Repository(ApprovalRepository)
    calendar = _Repository(CalendarRepository)
    reminders = _Repository(ReminderRepository)
    performance = _Repository(PerformanceRepository)
    dashboard = _Repository(DashboardRepository)
    citizen = _Repository(CitizenRepository)

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> Self:
        sessions = self._sessions
        session = await sessions.database.begin()
        # Repositories built in an earlier `async with` are bound to that one's session.
        self.__dict__.clear()
        self._sessions, self.session = sessions, session
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

    def _queued(self) -> set[str]:
        """Channels with rows queued in this transaction (no outbox repository: none)."""
        outbox: OutboxRepository | None = self.__dict__.get("outbox")
        return outbox.enqueued if outbox is not None else set()

    async def commit(self) -> None:
        await self.session.commit()
        if self._queued():
            channels = frozenset(self._queued())
            self._queued().clear()
            self._sessions.outbox_committed(channels)

    async def rollback(self) -> None:
        await self.session.rollback()
        self._queued().clear()
