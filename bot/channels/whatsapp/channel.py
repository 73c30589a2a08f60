"""The WhatsApp channel: the webhook at `/webhooks/whatsapp`, direct replies, and the outbox's
sender with the 24-hour window and template fallback.

Incoming messages are answered at once (the user just wrote, so the window is open); pushes from
the outbox go free-form while the recipient's window is open and as an approved template of
their kind (reminder, approval prompt, other notice) outside it.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.channels.whatsapp.client import GraphClient, GraphError
from bot.channels.whatsapp.render import (
    media_body,
    template_body,
    template_parameter,
    text_messages,
)
from bot.channels.whatsapp.webhook import (
    CHANNEL,
    SIGNATURE_HEADER,
    Incoming,
    StatusUpdate,
    parse,
    signature_ok,
)
from bot.chat.capabilities import WHATSAPP, Capabilities, Outgoing
from bot.chat.contacts import ChannelBook
from bot.chat.delivery import (
    DeliveryError,
    MessageRejected,
    RateLimited,
    RecipientUnreachable,
    TransientFailure,
)
from bot.chat.dispatcher import Dispatcher
from bot.chat.replies import Document, Image, StoredMedia, Text

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
WINDOW = timedelta(hours=24)
# Pushes go free-form only while this much of the window is left: a message queued at 23:59
# may leave after 24:00.
WINDOW_MARGIN = timedelta(minutes=2)

# Graph API error codes (Cloud API error code reference).
REENGAGEMENT = 131047  # more than 24 hours since the user's last message
THROUGHPUT = 130429  # the number's messages/s limit
PAIR_RATE = 131056  # too many messages to one user in a short time
UNREACHABLE = frozenset({131026, 131030, 131045, 131049, 131050, 131021, 1013})
TRANSIENT = frozenset({1, 2, 4, 131000, 131016, 133004, 80007, 130472})
THROUGHPUT_PAUSE = 2.0  # seconds; the Cloud API gives no retry-after


@dataclass(frozen=True, slots=True)
class Templates:
    """Approved message templates for pushes outside the 24-hour window (docs/whatsapp-
    templates.md has their texts). Each has one body parameter: the push's gist."""

    reminder: str = "kinerja_pengingat"
    approval: str = "kinerja_persetujuan"
    notice: str = "kinerja_pemberitahuan"
    language: str = "id"

    def for_purpose(self, purpose: str) -> str:
        if purpose.startswith("reminder"):
            return self.reminder
        if purpose.startswith("approval"):
            return self.approval
        return self.notice


class WhatsAppChannel:
    def __init__(
        self,
        client: GraphClient,
        dispatcher: Dispatcher,
        book: ChannelBook,
        *,
        app_secret: str,
        verify_token: str,
        list_button: str = "Pilih",
        templates: Templates | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.client = client
        self.dispatcher = dispatcher
        self.book = book
        self._app_secret = app_secret.encode()
        self._verify_token = verify_token
        self.list_button = list_button
        self.templates = templates or Templates()
        self.clock = clock or (lambda: datetime.now(UTC))

    # --- webhook --------------------------------------------------------------------------------

    async def verify(self, request: web.Request) -> web.Response:
        """The subscription handshake: echo `hub.challenge` when the verify token matches."""
        query = request.query
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            token.encode(), self._verify_token.encode()
        ):
            return web.Response(status=403, text="forbidden")
        return web.Response(text=query.get("hub.challenge", ""))

    async def webhook(self, request: web.Request) -> web.Response:
        """Check the signature over the raw body, then process every message and status.

        Answered 200 once processed (replies sent), so Meta redelivers if we crash first; a
        redelivery is then dropped by the dedupe. 401 unsigned, 403 forged, 413 oversized, 400
        not JSON; 503 (retried by Meta) only when the database is unavailable.
        """
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            return web.Response(status=401, text="signature required")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="too large")
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return web.Response(status=413, text="too large")
        if not signature_ok(self._app_secret, raw, header):
            return web.Response(status=403, text="bad signature")
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise TypeError("a webhook body is a JSON object")
            parsed = parse(data, self.client.phone_number_id)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400, text="not a webhook payload")
        try:
            for status in parsed.statuses:
                await self.record_status(status)
            for incoming in parsed.messages:
                await self.process(incoming)
        except Exception:
            log.exception("WhatsApp webhook processing failed; Meta will redeliver")
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")

    async def process(self, incoming: Incoming) -> None:
        """Dispatch one message and send its replies to its sender."""
        event = incoming.event
        await self.book.seen(CHANNEL, event.user_id, address=incoming.address, at=incoming.at)
        if incoming.silent:
            log.info("WhatsApp %s from %s: nothing to answer", type(event).__name__, event.user_id)
            return
        outgoing = await self.dispatcher.handle(event, WHATSAPP)
        address = incoming.address
        if address is None:
            known = await self.book.lookup(CHANNEL, event.user_id)
            address = known.address if known else None
        if address is None:
            log.warning("no phone number to answer WhatsApp user %s", event.user_id)
            return
        try:
            await self.send_all(address, outgoing)
        except DeliveryError as error:
            # The update is committed: failing the webhook would only make Meta redeliver a
            # message that the dedupe then drops.
            log.warning("a reply to WhatsApp user %s was not delivered: %s", event.user_id, error)

    async def record_status(self, status: StatusUpdate) -> None:
        reason = None
        if status.status == "failed" and REENGAGEMENT in status.error_codes:
            reason = f"{REENGAGEMENT}: outside the 24-hour window; sent again as a template"
        outcome = await self.book.receipt(
            CHANNEL,
            status.key,
            status.message_id,
            status.status,
            at=status.at,
            resend_reason=reason,
        )
        if status.status == "failed" and not outcome.duplicate:
            log.warning(
                "WhatsApp message %s failed (errors %s)%s",
                status.message_id,
                ",".join(map(str, status.error_codes)) or "-",
                "; queued again as a template" if outcome.resent else "",
            )

    # --- sending --------------------------------------------------------------------------------

    async def send_all(self, address: str, outgoing: Sequence[Outgoing]) -> str | None:
        """Send laid-out replies in order; returns the last message id. Raises DeliveryError."""
        last: str | None = None
        for out in outgoing:
            for body in await self._bodies(address, out):
                last = await self.post(body)
        return last

    async def post(self, body: dict[str, Any]) -> str:
        try:
            return await self.client.send(body)
        except GraphError as error:
            raise delivery_error(error) from error

    async def _bodies(self, address: str, out: Outgoing) -> list[dict[str, Any]]:
        reply = out.reply
        if isinstance(reply, Text):
            return text_messages(address, out, self.list_button)
        try:
            if isinstance(reply, StoredMedia):
                if reply.channel != CHANNEL:
                    raise MessageRejected(f"media of channel {reply.channel} cannot be sent here")
                data, mime = await self.client.download(reply.file_ref)
                kind = "image" if reply.kind == "photo" else "document"
                filename = "bukti" if kind == "document" else ""
                media_id = await self.client.upload(data, mime, filename or "bukti.jpg")
                return [media_body(address, kind, media_id, reply.caption, filename)]
            assert isinstance(reply, Image | Document)
            media_id = await self.client.upload(reply.data, reply.mime_type, reply.filename)
        except GraphError as error:
            raise delivery_error(error) from error
        kind = "image" if isinstance(reply, Image) else "document"
        filename = reply.filename if kind == "document" else ""
        return [media_body(address, kind, media_id, reply.caption, filename)]

    async def download(self, media_id: str) -> tuple[bytes, str]:
        """A received photo or document (evidence): its bytes and MIME type."""
        try:
            return await self.client.download(media_id)
        except GraphError as error:
            raise delivery_error(error) from error

    async def close(self) -> None:
        await self.client.close()


class WhatsAppSender:
    """The outbox's way out to WhatsApp (`bot.chat.delivery.Sender`, `PurposeAwareSender`).

    A push's recipient is the account's user id (business-scoped id or wa_id); its phone number
    comes from the channel book. Within the window the push goes as laid out; outside it (or
    when WhatsApp answers 131047) as the template of its purpose.
    """

    caps: Capabilities = WHATSAPP

    def __init__(self, channel: WhatsAppChannel) -> None:
        self.channel = channel

    async def send(self, recipient: str, outgoing: Sequence[Outgoing]) -> str | None:
        return await self.send_push(recipient, outgoing, "notice")

    async def send_push(
        self, recipient: str, outgoing: Sequence[Outgoing], purpose: str
    ) -> str | None:
        channel = self.channel
        known = await channel.book.lookup(CHANNEL, recipient)
        address = known.address if known and known.address else None
        if address is None and recipient.isdigit():
            address = recipient
        if address is None:
            raise RecipientUnreachable(f"no phone number known for WhatsApp user {recipient}")
        last = known.last_inbound_at if known else None
        now = channel.clock()
        if last is not None and now < last + WINDOW - WINDOW_MARGIN:
            try:
                return await channel.send_all(address, outgoing)
            except OutsideWindow:
                await channel.book.close_window(CHANNEL, recipient)
        return await self._template(address, outgoing, purpose)

    async def _template(self, address: str, outgoing: Sequence[Outgoing], purpose: str) -> str:
        templates = self.channel.templates
        body = template_body(
            address,
            templates.for_purpose(purpose),
            templates.language,
            template_parameter(outgoing),
        )
        return await self.channel.post(body)


class OutsideWindow(MessageRejected):
    """WhatsApp refused a free-form message: the user's 24-hour window is closed (131047)."""


def delivery_error(error: GraphError) -> DeliveryError:
    """A Graph API error as the outbox's kind of failure."""
    code = error.code
    if code == REENGAGEMENT:
        return OutsideWindow(str(error))
    if code == THROUGHPUT or error.status == 429:
        return RateLimited(THROUGHPUT_PAUSE, str(error))
    if code == PAIR_RATE:
        return TransientFailure(str(error))
    if code in UNREACHABLE:
        return RecipientUnreachable(str(error))
    if error.status == 0 or error.status >= 500 or code in TRANSIENT:
        return TransientFailure(str(error))
    if error.status in (401, 403) or code == 190:
        # Our token or permissions, not the message: retried until an operator fixes it.
        return TransientFailure(str(error))
    return MessageRejected(str(error))
