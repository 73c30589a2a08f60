"""The citizen web chat at `/layanan`: the same chat core as the citizen bots, embeddable on an
agency's site (a page and a small JSON API, like `/chat` but anonymous and for citizens only).

A visitor gets a random session token; the citizen gate turns it into a pseudonym before
anything is stored. `/layanan?start=svc_KTP_L2` opens the page on a service, as a QR poster's
Telegram link does in the bot. Pushes (a complaint's status, for a visitor who agreed to hear
back) wait in this process's inbox until the page polls for them.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.channels.web import MAX_TEXT, SESSION, WebInbox, _render
from bot.chat.callbacks import MAX_PAYLOAD_BYTES
from bot.chat.capabilities import WEB
from bot.chat.dispatcher import Dispatcher
from bot.chat.events import ButtonPress, Inbound, text_event
from bot.chat.i18n import Catalogs

CHANNEL = "web"
STATIC = Path(__file__).parent / "static"
MAX_BODY = 16 * 1024
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PAGE_KEYS = (
    "citizen.web.title",
    "citizen.web.placeholder",
    "citizen.web.send",
    "citizen.web.error",
)
# The page may be framed by the agency's own site (embeddable); set the allowed origin at the
# reverse proxy if it must be narrower than "any https site".
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'self' https:"
    ),
}
log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Refused(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


class CitizenWebChat:
    def __init__(self, gate: Dispatcher, catalogs: Catalogs, inbox: WebInbox) -> None:
        self.gate = gate
        self.catalogs = catalogs
        self.inbox = inbox

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/layanan", self.page),
            web.get("/layanan/", self.page),
            web.static("/layanan/static", STATIC),
            web.get("/layanan/api/config", self._json(self.config)),
            web.post("/layanan/api/session", self._json(self.session)),
            web.post("/layanan/api/messages", self._json(self.messages)),
            web.get("/layanan/api/inbox", self._json(self.pushes)),
        ]

    def _json(self, handler: Handler) -> Handler:
        """Every failure a JSON 4xx (a bug a logged JSON 500), never an HTML error page."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except _Refused as refused:
                return web.json_response({"error": {"code": refused.code}}, status=refused.status)
            except Exception:
                log.exception("citizen web chat failed on %s", request.path)
                return web.json_response({"error": {"code": "internal"}}, status=500)

        return wrapped

    async def page(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "citizen.html", headers=HEADERS)

    async def config(self, request: web.Request) -> web.Response:
        wanted = request.query.get("lang")
        language = wanted if self.catalogs.supports(wanted) else self.catalogs.default
        assert language is not None
        strings = {key: self.catalogs.raw(language, key) for key in PAGE_KEYS}
        return web.json_response({"language": language, "strings": strings})

    async def session(self, _request: web.Request) -> web.Response:
        return web.json_response({"session": secrets.token_urlsafe(24)})

    async def messages(self, request: web.Request) -> web.Response:
        body = await _body(request)
        session, message_id = body.get("session"), body.get("id")
        if not isinstance(session, str) or not SESSION.match(session):
            raise _Refused(401, "unknown_session")
        if not isinstance(message_id, str) or not MESSAGE_ID.match(message_id):
            raise _Refused(400, "bad_id")
        event = _event(body, session, message_id)
        outgoing = await self.gate.handle(event, WEB)
        return web.json_response({"replies": [_render(out) for out in outgoing]})

    async def pushes(self, request: web.Request) -> web.Response:
        session = request.query.get("session")
        if session is None or not SESSION.match(session):
            raise _Refused(401, "unknown_session")
        return web.json_response({"replies": self.inbox.take(session)})


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise _Refused(413, "too_large")
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise _Refused(413, "too_large")
    try:
        body = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _Refused(400, "bad_json") from None
    if not isinstance(body, dict):
        raise _Refused(400, "bad_json")
    return body


def _event(body: dict[str, Any], session: str, message_id: str) -> Inbound:
    """`lang` ("id" or "en", from the page's `?lang=`) is the language hint a bot gets from the
    user's app: a citizen's first answers follow it."""
    update_id = f"{session}:{message_id}"
    text, button = body.get("text"), body.get("button")
    lang = body.get("lang")
    hint = lang if lang in ("id", "en") else None
    if isinstance(button, str) and text is None:
        if not button or len(button.encode()) > MAX_PAYLOAD_BYTES:
            raise _Refused(400, "bad_button")
        return ButtonPress(
            channel=CHANNEL,
            user_id=session,
            update_id=update_id,
            payload=button,
            language_hint=hint,
        )
    if isinstance(text, str) and button is None:
        if len(text) > MAX_TEXT:
            raise _Refused(413, "too_long")
        if not text.strip():
            raise _Refused(400, "empty")
        return text_event(
            channel=CHANNEL, user_id=session, update_id=update_id, text=text, language_hint=hint
        )
    raise _Refused(400, "bad_message")
