"""The citizen channel's dispatcher: the same core, behind a pseudonym and an abuse gate.

Every citizen event is re-addressed before the core sees it: its channel becomes the citizen
channel's own (`citizen-telegram`, `citizen-web`, ...; separate dedupe, state and outbox lanes
from the staff bot) and its user id a keyed pseudonym (kinerja.citizen.pseudonym), so the raw
channel id never reaches the database. What a handler needs of the raw side for this one update
(the address to seal when a complainant agrees to hear back, whether the sender is a registered
ASN) travels in a context variable, not in storage.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.chat.capabilities import Capabilities, Outgoing
from bot.chat.delivery import Sender, TransientFailure
from bot.chat.dispatcher import Dispatcher
from bot.chat.events import Inbound
from bot.chat.i18n import Catalogs
from bot.chat.replies import Text
from bot.chat.router import Router
from kinerja.citizen import SlidingWindow, pseudonym, seal, unseal
from kinerja.services.citizen import CitizenPolicy
from storage.uow import SessionFactory, UnitOfWork

# Raw channel of an adapter -> the citizen channel's name in storage (<= 16 characters).
CITIZEN_CHANNEL = {
    "telegram": "citizen-telegram",
    "whatsapp": "citizen-whatsapp",
    "web": "citizen-web",
}


@dataclass(frozen=True, slots=True)
class CitizenTurn:
    """What handlers of one citizen update may know beyond the pseudonymous event."""

    channel: str
    raw_channel: str
    policy: CitizenPolicy
    secret: bytes = dataclasses.field(repr=False)
    raw_address: str = dataclasses.field(repr=False, default="")
    sender_id: str = dataclasses.field(repr=False, default="")

    async def staff_unit(self, uow: UnitOfWork) -> int | None:
        """The unit of the active ASN whose staff-bot account sent this (same platform id on
        both bots), or None. Asked only by the features that care, in their own transaction."""
        if self.raw_channel == "web" or not self.sender_id:
            return None
        return await uow.citizen.staff_unit(self.raw_channel, self.sender_id)

    def sealed_address(self) -> str:
        """The raw address sealed for storage, for a complainant who agreed to hear back."""
        return seal(self.secret, self.raw_address)


_TURN: ContextVar[CitizenTurn | None] = ContextVar("citizen_turn", default=None)


def citizen_turn() -> CitizenTurn:
    turn = _TURN.get()
    if turn is None:
        raise RuntimeError("not inside a citizen update")
    return turn


class CitizenGate(Dispatcher):
    """A `Dispatcher` for citizen routers: pseudonymises, rate-limits, then dispatches."""

    def __init__(
        self,
        routers: Sequence[Router],
        sessions: SessionFactory,
        catalogs: Catalogs,
        *,
        secret: bytes,
        policy: CitizenPolicy,
        default_language: str = "id",
        max_transactions: int = 5,
        per_minute: int = 20,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            routers, sessions, catalogs, default_language, max_transactions, clock=clock
        )
        self.secret = secret
        self.citizen_policy = policy
        self.flood = SlidingWindow(per_minute, 60.0)
        self.warned = SlidingWindow(1, 60.0)
        self.monotonic = monotonic
        self.rejected = 0
        self._addresses: dict[tuple[str, str], str] = {}

    def alias(self, raw_channel: str, user_id: str) -> str:
        return pseudonym(self.secret, CITIZEN_CHANNEL[raw_channel], user_id)

    async def handle(
        self, event: Inbound, caps: Capabilities, *, address: str | None = None
    ) -> list[Outgoing]:
        """As `Dispatcher.handle`, behind the pseudonym. `address`: where the platform answers
        this user when it is not their id (WhatsApp's phone number beside a business-scoped
        user id); sealed for a complainant who agrees to hear back."""
        raw_channel = event.channel
        channel = CITIZEN_CHANNEL[raw_channel]
        alias = self.alias(raw_channel, event.user_id)
        now = self.monotonic()
        if not self.flood.allow(alias, now):
            self.rejected += 1
            if not self.warned.allow(alias, now):
                return []  # told once a minute; the rest is dropped unanswered
            language = self._language(None, event.language_hint)
            text = self.catalogs.text(language, "citizen.flood")
            return self._present([Text(text=text)], caps, language)
        turn = CitizenTurn(
            channel=channel,
            raw_channel=raw_channel,
            policy=self.citizen_policy,
            secret=self.secret,
            raw_address=address or event.user_id,
            sender_id=event.user_id,
        )
        update_id = event.update_id
        if raw_channel == "web":  # "<session>:<message>": the session token is an id too
            update_id = pseudonym(self.secret, "update", update_id)
        masked = dataclasses.replace(
            event,
            channel=channel,
            user_id=alias,
            update_id=update_id,
            display_name="",
            sender_phone=None,
        )
        token = _TURN.set(turn)
        try:
            return await super().handle(masked, caps)
        finally:
            _TURN.reset(token)

    async def render_push(
        self,
        uow: UnitOfWork,
        channel: str,
        recipient: str,
        purpose: str,
        payload: Mapping[str, Any],
        caps: Capabilities,
    ) -> list[Outgoing]:
        """Render as the core does, and unseal the citizen's address for the send that follows
        (kept in memory only, until `CitizenSender` takes it). No address (no consent, or the
        retention job erased it): nothing to send."""
        sealed = await uow.citizen.reply_address(recipient, channel)
        address = unseal(self.secret, sealed) if sealed else None
        if address is None:
            return []
        token = _TURN.set(
            CitizenTurn(
                channel=channel,
                raw_channel=channel.removeprefix("citizen-"),
                policy=self.citizen_policy,
                secret=self.secret,
            )
        )
        try:
            outgoing = await super().render_push(uow, channel, recipient, purpose, payload, caps)
        finally:
            _TURN.reset(token)
        if outgoing:
            self._addresses[(channel, recipient)] = address
        return outgoing

    def take_address(self, channel: str, recipient: str) -> str | None:
        return self._addresses.pop((channel, recipient), None)


class CitizenSender:
    """Delivers citizen pushes: the outbox addresses them by pseudonym, the platform needs the
    real address, which `CitizenGate.render_push` unsealed just before."""

    def __init__(self, inner: Sender, gate: CitizenGate, channel: str) -> None:
        self.inner = inner
        self.gate = gate
        self.channel = channel

    @property
    def caps(self) -> Capabilities:
        return self.inner.caps

    async def send(self, recipient: str, outgoing: Sequence[Outgoing]) -> str | None:
        address = self.gate.take_address(self.channel, recipient)
        if address is None:
            raise TransientFailure("citizen address not unsealed in this process; re-render")
        return await self.inner.send(address, outgoing)
