"""What a channel adapter may keep about its accounts beyond the conversation: where to reach an
account (its address, when the user id is not one) and when it last wrote, and the platform's
delivery receipts for pushes. Channels must not touch storage; they use this.

WhatsApp needs both: users are keyed by their business-scoped user id while messages go to the
phone number (`wa_id`), free-form messages are allowed only within 24 hours of the user's last
message, and sent/delivered/read/failed come back later as status webhooks, redelivered at will.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.repositories.channel_contacts import ContactRecord
from storage.uow import SessionFactory, UnitOfWork

# A contact's last-message time is written at most this often per process: the window is a
# day long, so being a minute early in closing it (and sending a template) is harmless.
SEEN_RESOLUTION = timedelta(minutes=1)
_SEEN_SLOTS = 50_000

__all__ = ["ChannelBook", "ContactRecord", "ReceiptOutcome"]


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    """What recording a receipt did: `duplicate` (seen before), `row_id` of the push it is
    about (None: a direct reply, not a push), `resent` when the push was queued again."""

    duplicate: bool
    row_id: int | None = None
    resent: bool = False


class ChannelBook:
    def __init__(self, sessions: SessionFactory, gate: asyncio.Semaphore | None = None) -> None:
        """`gate`: the dispatcher's fair transaction gate, so these short writes queue with
        updates instead of barging past them."""
        self.sessions = sessions
        self.gate = gate
        self._written: dict[tuple[str, str], tuple[str | None, datetime]] = {}

    @contextlib.asynccontextmanager
    async def _uow(self) -> AsyncIterator[UnitOfWork]:
        if self.gate is None:
            async with UnitOfWork(self.sessions) as uow:
                yield uow
            return
        async with self.gate, UnitOfWork(self.sessions) as uow:
            yield uow

    async def seen(
        self, channel: str, external_id: str, *, address: str | None, at: datetime
    ) -> None:
        """The account wrote at `at` (from `address`); skipped when this process wrote the same
        address less than `SEEN_RESOLUTION` before."""
        key = (channel, external_id)
        last = self._written.get(key)
        if last is not None and last[0] == address and at - last[1] < SEEN_RESOLUTION:
            return
        async with self._uow() as uow:
            await uow.contacts.seen(channel, external_id, address=address, at=at)
            await uow.commit()
        if len(self._written) >= _SEEN_SLOTS:
            self._written.clear()
        self._written[key] = (address, at)

    async def lookup(self, channel: str, external_id: str) -> ContactRecord | None:
        async with UnitOfWork(self.sessions) as uow:
            return await uow.contacts.get(channel, external_id)

    async def close_window(self, channel: str, external_id: str) -> None:
        """The platform refused a free-form message: the account's window is closed."""
        self._written.pop((channel, external_id), None)
        async with self._uow() as uow:
            await uow.contacts.close_window(channel, external_id)
            await uow.commit()

    async def receipt(
        self,
        channel: str,
        receipt_id: str,
        provider_message_id: str,
        status: str,
        *,
        at: datetime,
        resend_reason: str | None = None,
    ) -> ReceiptOutcome:
        """Record a delivery receipt once (`receipt_id` is its dedupe key) on the push sent as
        `provider_message_id`. With `resend_reason` (a failure a template can fix), the push is
        queued again, once, and its recipient's window is closed so it goes as a template."""
        async with self._uow() as uow:
            if not await uow.updates.claim(channel, receipt_id):
                return ReceiptOutcome(duplicate=True)
            target = await uow.outbox.record_receipt(channel, provider_message_id, status, at=at)
            resent = False
            if target is not None and resend_reason is not None:
                await uow.contacts.close_window(channel, target.recipient)
                resent = await uow.outbox.send_again(target.id, at=at, reason=resend_reason)
                if resent:
                    uow.outbox.enqueued.add(channel)
            await uow.commit()
        if resent and target is not None:
            self._written.pop((channel, target.recipient), None)
        return ReceiptOutcome(False, target.id if target else None, resent)
