"""The citizen WhatsApp number (`CITIZEN_WHATSAPP_PHONE_NUMBER_ID`), served from the same
webhook as the staff number: Meta posts every number of the app to one URL, and each change
carries its `metadata.phone_number_id`, by which this router splits the body.

The citizen side keeps nothing about the sender in the clear: unlike the staff channel it does
not record addresses, the 24-hour window or delivery receipts (`channel_contacts`, the outbox's
receipts), and it answers the number the message came from in the same request. Pushes to a
complainant who agreed (their number sealed on the complaint) go as the approved notice
template (`WHATSAPP_TEMPLATE_NOTICE`), valid outside the 24-hour window.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.channels.whatsapp.channel import MAX_BODY, WhatsAppChannel
from bot.channels.whatsapp.webhook import (
    SIGNATURE_HEADER,
    Incoming,
    StatusUpdate,
    parse,
    signature_ok,
)
from bot.chat.capabilities import WHATSAPP
from bot.chat.citizen_gate import CitizenGate
from bot.chat.delivery import DeliveryError

log = logging.getLogger(__name__)


class CitizenWhatsApp(WhatsAppChannel):
    """A WhatsApp channel whose dispatcher is the citizen gate."""

    @property
    def gate(self) -> CitizenGate:
        assert isinstance(self.dispatcher, CitizenGate)
        return self.dispatcher

    async def process(self, incoming: Incoming) -> None:
        if incoming.silent:
            return
        outgoing = await self.gate.handle(incoming.event, WHATSAPP, address=incoming.address)
        if incoming.address is None:
            log.warning("a citizen WhatsApp message without a number to answer")
            return
        try:
            await self.send_all(incoming.address, outgoing)
        except DeliveryError as error:
            log.warning("a reply on the citizen WhatsApp number was not delivered: %s", error)

    async def record_status(self, status: StatusUpdate) -> None:
        """Receipts of citizen messages are not kept (they name the recipient's number)."""


class NumberRouter:
    """`POST /webhooks/whatsapp` when a citizen number is configured: checks the signature once,
    then hands each number's part of the body to its channel."""

    def __init__(self, staff: WhatsAppChannel, citizen: CitizenWhatsApp, app_secret: str) -> None:
        self.staff = staff
        self.citizen = citizen
        self._secret = app_secret.encode()

    async def webhook(self, request: web.Request) -> web.Response:
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            return web.Response(status=401, text="signature required")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="too large")
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return web.Response(status=413, text="too large")
        if not signature_ok(self._secret, raw, header):
            return web.Response(status=403, text="bad signature")
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise TypeError("a webhook body is a JSON object")
            citizen_number = self.citizen.client.phone_number_id
            staff_part = parse(
                _only(data, citizen_number, keep=False), self.staff.client.phone_number_id
            )
            citizen_part = parse(_only(data, citizen_number, keep=True), citizen_number)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400, text="not a webhook payload")
        try:
            for status in staff_part.statuses:
                await self.staff.record_status(status)
            for incoming in staff_part.messages:
                await self.staff.process(incoming)
            for incoming in citizen_part.messages:
                await self.citizen.process(incoming)
        except Exception:
            log.exception("WhatsApp webhook processing failed; Meta will redeliver")
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")


def _only(data: Mapping[str, Any], number: str, *, keep: bool) -> dict[str, Any]:
    """The body with only the changes of `number` (keep) or only the others (not keep)."""
    entries = []
    for entry in data["entry"]:
        changes = [
            change
            for change in entry.get("changes") or ()
            if (_number_of(change) == number) is keep
        ]
        entries.append({**entry, "changes": changes})
    return {**data, "entry": entries}


def _number_of(change: Mapping[str, Any]) -> str:
    value = change.get("value") or {}
    return str((value.get("metadata") or {}).get("phone_number_id") or "")
