"""Cloud API webhook payloads as our events: pure functions, no I/O.

One POST may carry several entries, changes, messages and statuses. Users are keyed by their
business-scoped user id (`user_id` in `contacts`, or `from_user_id` on the message) when present,
else by `wa_id`; the `wa_id` (a phone number) is where replies go and what registration matches.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.chat.events import (
    ButtonPress,
    ContactShared,
    DocumentMessage,
    Inbound,
    LocationShared,
    PhotoMessage,
    Unsupported,
    text_event,
)

CHANNEL = "whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
# Message types that need no answer: a reaction to one of our messages, a system notice.
SILENT = frozenset({"reaction", "system"})
# Phone numbers have at most 15 digits; business-scoped ids ("US.1349…") are about 25 chars.
MAX_IDENTIFIER = 64


def signature_ok(app_secret: bytes, body: bytes, header: str) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, in constant time."""
    prefix, _, given = header.partition("=")
    if prefix != "sha256" or not given:
        return False
    expected = hmac.new(app_secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


@dataclass(frozen=True, slots=True)
class Incoming:
    """One user message: the event for the dispatcher and where to answer it."""

    event: Inbound
    address: str | None
    at: datetime
    silent: bool = False


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A delivery receipt of a message we sent."""

    message_id: str
    status: str
    at: datetime
    recipient: str
    error_codes: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        """Dedupe key: one receipt per message and status."""
        return f"st:{self.status}:{self.message_id}"[:128]


@dataclass
class Parsed:
    messages: list[Incoming] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    skipped: int = 0


def parse(data: Mapping[str, Any], phone_number_id: str | None = None) -> Parsed:
    """Everything this POST tells us. Raises TypeError/ValueError/KeyError/AttributeError on a
    body that is not a webhook payload at all; unusable parts of a valid one are skipped."""
    parsed = Parsed()
    if data.get("object") != "whatsapp_business_account":
        return parsed
    for entry in data["entry"]:
        for change in entry.get("changes") or ():
            if change.get("field") != "messages":
                parsed.skipped += 1
                continue
            value = change.get("value") or {}
            ours = str((value.get("metadata") or {}).get("phone_number_id") or "")
            if phone_number_id and ours and ours != phone_number_id:
                parsed.skipped += 1  # another number on the same app
                continue
            _parse_value(value, parsed)
    return parsed


def _parse_value(value: Mapping[str, Any], parsed: Parsed) -> None:
    contacts = {
        str(contact.get("wa_id")): contact
        for contact in value.get("contacts") or ()
        if isinstance(contact, Mapping) and contact.get("wa_id")
    }
    for message in value.get("messages") or ():
        try:
            parsed.messages.append(_message(message, contacts))
        except (KeyError, TypeError, ValueError, AttributeError):
            parsed.skipped += 1
    for status in value.get("statuses") or ():
        try:
            if status.get("recipient_type") == "group":
                parsed.skipped += 1
                continue
            parsed.statuses.append(
                StatusUpdate(
                    message_id=str(status["id"]),
                    status=str(status["status"]),
                    at=_time(status.get("timestamp")),
                    recipient=str(status.get("recipient_id") or ""),
                    error_codes=tuple(
                        int(error["code"])
                        for error in status.get("errors") or ()
                        if "code" in error
                    ),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            parsed.skipped += 1


def _message(message: Mapping[str, Any], contacts: Mapping[str, Mapping[str, Any]]) -> Incoming:
    sender = _identifier(message["from"])
    contact = contacts.get(sender) or {}
    user_id = _identifier(contact.get("user_id") or message.get("from_user_id") or sender)
    phone = sender if sender.isdigit() else None
    profile = contact.get("profile") or {}
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "user_id": user_id,
        "update_id": str(message["id"])[:128],
        "display_name": str(profile.get("name") or ""),
        "sender_phone": phone,
    }
    kind = str(message.get("type") or "unsupported")
    at = _time(message.get("timestamp"))
    return Incoming(_event(kind, message, common), phone, at, silent=kind in SILENT)


def _identifier(value: object) -> str:
    """A sender's number or business-scoped id: a short string, else the message is skipped.

    Anything else (a number, an object, kilobytes of text) is not from WhatsApp, and would
    have failed the whole POST on PostgreSQL's column limit, which Meta then redelivers forever.
    """
    if not isinstance(value, str) or not 0 < len(value) <= MAX_IDENTIFIER:
        raise ValueError("not a WhatsApp user id")
    return value


def _event(kind: str, message: Mapping[str, Any], common: dict[str, Any]) -> Inbound:
    if kind == "text":
        return text_event(text=str(message["text"]["body"]), **common)
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply")
        if reply and reply.get("id"):
            context = message.get("context") or {}
            return ButtonPress(payload=str(reply["id"]), message_ref=context.get("id"), **common)
        return Unsupported(kind="interactive", **common)
    if kind == "button":  # a template's quick-reply button
        payload = (message.get("button") or {}).get("payload")
        if payload:
            return ButtonPress(payload=str(payload), **common)
        return text_event(text=str(message["button"]["text"]), **common)
    if kind == "image":
        image = message["image"]
        return PhotoMessage(
            file_ref=str(image["id"]), caption=str(image.get("caption") or ""), **common
        )
    if kind == "document":
        document = message["document"]
        return DocumentMessage(
            file_ref=str(document["id"]),
            filename=str(document.get("filename") or ""),
            caption=str(document.get("caption") or ""),
            **common,
        )
    if kind == "contacts":
        # A contact card is anybody's: it never proves the sender's own number (the sender's
        # own number is `sender_phone`, which WhatsApp vouches for).
        first = message["contacts"][0]
        phones = first.get("phones") or [{}]
        number = str(phones[0].get("wa_id") or phones[0].get("phone") or "")
        return ContactShared(phone=number, is_own=False, **common)
    if kind == "location":
        location = message["location"]
        return LocationShared(
            latitude=float(location["latitude"]),
            longitude=float(location["longitude"]),
            **common,
        )
    return Unsupported(kind=kind, **common)


def _time(value: object) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)
