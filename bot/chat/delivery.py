"""The port a channel offers for pushes (the outbox, DESIGN.md rule 2), and how a send can fail.

Pushes are delivered by the outbox drainer (`scheduler/outbox.py`), which must not import any
channel; channels must not import the scheduler. Both meet here: a channel implements `Sender`
and raises these errors, and the drainer decides from their type whether to wait, retry later or
give up, without knowing any platform's error codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.chat.capabilities import Capabilities, Outgoing


class Sender(Protocol):
    """Delivers rendered pushes to one channel's recipients."""

    @property
    def caps(self) -> Capabilities:
        """What the channel can show: pushes are laid out for it before `send`."""
        ...

    async def send(self, recipient: str, outgoing: Sequence[Outgoing]) -> str | None:
        """Send `outgoing` in order to `recipient` (the channel's external user id).

        Returns the platform's id of the last message sent (the one that carries the buttons,
        so a card can be edited later), or None when the platform has none. Raises a
        `DeliveryError`; any other exception is treated as a transient failure.
        """
        ...


@runtime_checkable
class PurposeAwareSender(Protocol):
    """A sender that may show a push differently by its purpose: WhatsApp sends a reminder or
    an approval prompt outside the 24-hour window as the approved template of its kind. The
    drainer calls `send_push` instead of `send` when a sender has it."""

    async def send_push(
        self, recipient: str, outgoing: Sequence[Outgoing], purpose: str
    ) -> str | None:
        """As `Sender.send`, knowing the push's purpose."""
        ...


@runtime_checkable
class Editor(Protocol):
    """A sender that can also change a message it sent before (a live progress report).

    A push whose payload has `edit_of` (the dedupe key of an earlier push to the same
    recipient) is delivered by editing that message once it was sent; channels that cannot edit
    get a new message instead.
    """

    async def edit(self, recipient: str, message_id: str, outgoing: Outgoing) -> None:
        """Replace message `message_id` with `outgoing` (text and buttons). Raises a
        `DeliveryError` as `Sender.send` does; an unchanged text is not an error."""
        ...


EDIT_OF = "edit_of"


class DeliveryError(Exception):
    """A push could not be delivered; the subclass says what the drainer should do."""


class RateLimited(DeliveryError):
    """The platform asked us to slow down (Telegram's 429): wait `retry_after` seconds, then
    send the same push again. Not the message's fault, so it does not count as an attempt."""

    def __init__(self, retry_after: float, detail: str = "") -> None:
        super().__init__(detail or f"rate limited; retry after {retry_after:g} s")
        self.retry_after = max(float(retry_after), 0.0)


class TransientFailure(DeliveryError):
    """A network error, a timeout or a platform hiccup: retry later with backoff.

    A timeout may hide a message that did arrive, so a retry can deliver it twice; the outbox
    promises at-least-once in that case.
    """


class Undeliverable(DeliveryError):
    """Retrying the same push cannot succeed: give up at once."""


class RecipientUnreachable(Undeliverable):
    """The recipient blocked the bot, deleted their account or never started a chat with it."""


class MessageRejected(Undeliverable):
    """The platform refused the message itself (a rendering bug): logged, never retried."""
