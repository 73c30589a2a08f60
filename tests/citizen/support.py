"""Shared set-up of the citizen tests: the demo roster, a catalog, a citizen gate, recorders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.chat.capabilities import WEB, Capabilities, Outgoing
from bot.chat.citizen_gate import CitizenGate
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.chat.replies import Text
from handlers import ROUTERS
from handlers.citizen import CITIZEN_ROUTERS
from kinerja.services.citizen import CitizenPolicy, add_counter, add_service
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, link, seed

SECRET = b"s" * 32
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 10.00 WIB
BUDI = "199201102019031003"
POLICY = CitizenPolicy(response_days=3, burst_limit=5, agency="Pemkab Contoh")


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Recorder:
    """A `Sender` that records what it was asked to deliver."""

    caps: Capabilities = WEB
    sent: list[tuple[str, list[Outgoing]]] = field(default_factory=list)

    async def send(self, recipient: str, outgoing: Sequence[Outgoing]) -> str | None:
        self.sent.append((recipient, list(outgoing)))
        return f"m{len(self.sent)}"

    def texts(self, recipient: str | None = None) -> list[str]:
        return [
            out.reply.text
            for to, outs in self.sent
            if recipient is None or to == recipient
            for out in outs
            if isinstance(out.reply, Text)
        ]


async def catalog(sessions: SessionFactory) -> None:
    """The demo roster; service KTP (DISKOMINFO) with counter L2 staffed by Budi, service IZIN
    (UPT-TIMUR); the admin Rina and the atasan Ahmad on the staff web chat."""
    await seed(sessions)
    async with UnitOfWork(sessions) as uow:
        await add_service(uow, "KTP", "Perekaman KTP-el", "DISKOMINFO")
        await add_counter(uow, "KTP", "L2", BUDI)
        await add_service(uow, "IZIN", "Perizinan Usaha", "UPT-TIMUR")
        await uow.commit()
    await link(sessions, "web", "rina", ADMIN)
    await link(sessions, "web", "ahmad", ATASAN)


def gate(
    sessions: SessionFactory, catalogs: Catalogs, clock: Clock, **kwargs: object
) -> CitizenGate:
    return CitizenGate(
        CITIZEN_ROUTERS,
        sessions,
        catalogs,
        secret=SECRET,
        policy=POLICY,
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )


def staff(sessions: SessionFactory, catalogs: Catalogs, clock: Clock) -> Dispatcher:
    return Dispatcher(ROUTERS, sessions, catalogs, clock=clock)
