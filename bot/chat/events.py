"""What a user did, independent of the channel it came from.

Adapters translate platform updates into these; handlers only ever see these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    """Common to every event: who, where, and the platform's id used to drop redeliveries.

    `sender_phone`: the sender's own phone number where the platform vouches for it (WhatsApp's
    `wa_id`), so registration can match the roster without asking.
    """

    channel: str
    user_id: str
    update_id: str
    display_name: str = ""
    language_hint: str | None = None
    sender_phone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TextMessage(Inbound):
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Command(Inbound):
    """`/name args`; names are matched case-insensitively."""

    name: str
    args: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPress(Inbound):
    """A tap on a button; `message_ref` lets the adapter edit the prompt it came from."""

    payload: str
    message_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactShared(Inbound):
    """A shared phone number; `is_own` only when the platform proves it is the sender's."""

    phone: str
    is_own: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PhotoMessage(Inbound):
    file_ref: str
    caption: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentMessage(Inbound):
    file_ref: str
    filename: str = ""
    caption: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationShared(Inbound):
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Unsupported(Inbound):
    """Something the bot cannot act on (a sticker, a voice note, an edit of an old message).

    It still goes through the dispatcher so the user gets a polite answer in their language.
    """

    kind: str


def text_event(
    *,
    channel: str,
    user_id: str,
    update_id: str,
    text: str,
    display_name: str = "",
    language_hint: str | None = None,
    sender_phone: str | None = None,
) -> TextMessage | Command:
    """A typed message, recognised as a command when it has the `/name` shape."""
    match = COMMAND.match(text.strip())
    if match:
        return Command(
            channel=channel,
            user_id=user_id,
            update_id=update_id,
            display_name=display_name,
            language_hint=language_hint,
            sender_phone=sender_phone,
            name=match.group(1).lower(),
            args=(match.group(2) or "").strip(),
        )
    return TextMessage(
        channel=channel,
        user_id=user_id,
        update_id=update_id,
        display_name=display_name,
        language_hint=language_hint,
        sender_phone=sender_phone,
        text=text,
    )
