"""Unit of work: one transaction, repositories bound to it, rolled back unless committed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self

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


class UnitOfWork:
    """`async with uow:` opens a transaction; leaving without `await uow.commit()` rolls back.

    Repositories never commit, so a use case decides the transaction boundary in one place.
    It runs on a Core connection (`storage.database.Db`), not an ORM session: repositories speak
    SQL expressions and plain rows, and the session's machinery was a measured share of every
    update's CPU.
    """

    session: Db
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
    outbox: OutboxRepository
    contacts: ChannelContactRepository
    approvals: ApprovalRepository
    calendar: CalendarRepository
    reminders: ReminderRepository
    performance: PerformanceRepository
    dashboard: DashboardRepository
    citizen: CitizenRepository

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> Self:
        self.session = await self._sessions.database.begin()
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
        self.outbox = OutboxRepository(self.session)
        self.contacts = ChannelContactRepository(self.session)
        self.approvals = ApprovalRepository(self.session)
        self.calendar = CalendarRepository(self.session)
        self.reminders = ReminderRepository(self.session)
        self.performance = PerformanceRepository(self.session)
        self.dashboard = DashboardRepository(self.session)
        self.citizen = CitizenRepository(self.session)
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
        if self.outbox.enqueued:
            channels = frozenset(self.outbox.enqueued)
            self.outbox.enqueued.clear()
            self._sessions.outbox_committed(channels)

    async def rollback(self) -> None:
        await self.session.rollback()
        self.outbox.enqueued.clear()
