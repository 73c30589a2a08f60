"""The local web chat: a page at `/chat` and a small JSON API, a real channel on the dispatcher.

In demo mode a visitor picks who they are from the seeded roster; otherwise each browser session is
an anonymous account that registration flows can link later. Bad requests get a 4xx with a JSON
error in the default language, never a 500.

Pushes (the outbox) for a session wait in this process's `WebInbox` until the page fetches them
from `/chat/api/inbox`, which it polls every few seconds. The inbox is memory, not storage: a
push counts as sent once it is there, and with several workers a page must keep talking to the
same one (a sticky load balancer), which is fine for a local or demo chat.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
from collections import OrderedDict, deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.chat.accounts import Accounts
from bot.chat.callbacks import MAX_PAYLOAD_BYTES
from bot.chat.capabilities import WEB, Outgoing
from bot.chat.dispatcher import Dispatcher
from bot.chat.events import ButtonPress, Inbound, text_event
from bot.chat.i18n import Catalogs
from bot.chat.outage import is_unavailable
from bot.chat.replies import Document, Image, StoredMedia, Text

CHANNEL = "web"
STATIC = Path(__file__).parent / "static"
MAX_TEXT = 4096
MAX_BODY = 64 * 1024
INBOX_SIZE = 100  # pushes kept per session until the page fetches them; older ones are dropped
INBOX_SESSIONS = 10_000  # sessions with waiting pushes; the longest untouched is dropped first
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SESSION = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PAGE_KEYS = (
    "web.title",
    "web.pick_person",
    "web.input_placeholder",
    "web.send",
    "web.switch_person",
    "web.error_network",
    "web.error_generic",
    "web.role.admin",
    "web.role.atasan",
    "web.role.pegawai",
    "web.not_demo",
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'self'"
    ),
}
log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


class WebInbox:
    """Pushes waiting for their web chat page (`bot.chat.delivery.Sender` for the web).

    Bounded: `size` per session, `sessions` sessions (closed pages never fetch theirs).
    """

    caps = WEB

    def __init__(self, size: int = INBOX_SIZE, sessions: int = INBOX_SESSIONS) -> None:
        self._size = size
        self._sessions = sessions
        self._boxes: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()

    async def send(self, recipient: str, outgoing: Sequence[Outgoing]) -> str | None:
        """Place the messages in the session's inbox; that is delivery on this channel."""
        box = self._boxes.get(recipient)
        if box is None:
            box = self._boxes[recipient] = deque(maxlen=self._size)
            while len(self._boxes) > self._sessions:
                self._boxes.popitem(last=False)
        self._boxes.move_to_end(recipient)
        message_id = None
        for out in outgoing:
            message_id = secrets.token_urlsafe(9)
            box.append(_render(out))
        return message_id

    async def edit(self, recipient: str, message_id: str, outgoing: Outgoing) -> None:
        """The page cannot change a shown message: the new version comes as a message."""
        await self.send(recipient, [outgoing])

    def take(self, session: str) -> list[dict[str, Any]]:
        """Everything waiting for `session`, oldest first; the inbox is emptied."""
        box = self._boxes.pop(session, None)
        return list(box) if box else []


class WebChat:
    def __init__(
        self,
        dispatcher: Dispatcher,
        accounts: Accounts,
        catalogs: Catalogs,
        *,
        demo: bool,
        inbox: WebInbox | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.accounts = accounts
        self.catalogs = catalogs
        self.demo = demo
        self.inbox = inbox or WebInbox()

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/chat", self.page),
            web.get("/chat/", self.page),
            web.static("/chat/static", STATIC),
            web.get("/chat/api/config", self.config),
            web.get("/chat/api/people", self.people),
            web.post("/chat/api/session", self.session),
            web.post("/chat/api/messages", self.messages),
            web.get("/chat/api/inbox", self.pushes),
            web.get("/favicon.ico", _no_icon),
        ]

    @web.middleware
    async def json_errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Turn every API failure into a JSON 4xx (or, for a bug, a logged JSON 500)."""
        if not request.path.startswith("/chat/api/"):
            return await handler(request)  # type: ignore[no-any-return]
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except ApiError as error:
            return self._error(error.status, error.code)
        except web.HTTPRequestEntityTooLarge:
            return self._error(413, "too_large")
        except web.HTTPException as error:
            return self._error(error.status, "http")
        except Exception as error:
            if is_unavailable(error):
                log.warning("web chat API on %s: database unavailable (%s)", request.path, error)
                return self._error(503, "unavailable")
            log.exception("web chat API failed on %s", request.path)
            return self._error(500, "internal")

    async def page(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "chat.html", headers=SECURITY_HEADERS)

    async def config(self, request: web.Request) -> web.Response:
        wanted = request.query.get("lang")
        language = wanted if self.catalogs.supports(wanted) else self.catalogs.default
        assert language is not None
        strings = {key: self.catalogs.raw(language, key) for key in PAGE_KEYS}
        return web.json_response({"demo": self.demo, "language": language, "strings": strings})

    async def people(self, _request: web.Request) -> web.Response:
        if not self.demo:
            raise ApiError(404, "not_demo")
        people = await self.accounts.pickable()
        return web.json_response(
            {
                "people": [
                    {
                        "nip": person.nip,
                        "name": person.name,
                        "position": person.position,
                        "unit": person.unit_name,
                        "role": person.menu_role.value,
                        "timezone": person.zone_label,
                    }
                    for person in people
                ]
            }
        )

    async def session(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        nip = body.get("nip")
        if nip is not None and (not self.demo or not isinstance(nip, str) or len(nip) > 32):
            raise ApiError(400, "bad_nip")
        token = secrets.token_urlsafe(24)
        try:
            person = await self.accounts.open(CHANNEL, token, nip)
        except LookupError:
            raise ApiError(404, "unknown_person") from None
        return web.json_response({"session": token, "name": person.name if person else None})

    async def messages(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        session, message_id = body.get("session"), body.get("id")
        if not isinstance(session, str) or not SESSION.match(session):
            raise ApiError(401, "unknown_session")
        if not isinstance(message_id, str) or not MESSAGE_ID.match(message_id):
            raise ApiError(400, "bad_id")
        event = _event(body, session, message_id)
        if not await self.accounts.exists(CHANNEL, session):
            raise ApiError(401, "unknown_session")
        outgoing = await self.dispatcher.handle(event, WEB)
        language = await self.accounts.language(CHANNEL, session)
        replies = [_render(out) for out in outgoing]
        return web.json_response({"replies": replies, "language": language})

    async def pushes(self, request: web.Request) -> web.Response:
        """Pushes waiting for this session, shaped like `messages` replies.

        Polled every few seconds by every open page, so an empty inbox is answered without
        touching the database; `language` is null then (the page keeps its own).
        """
        session = request.query.get("session")
        if session is None or not SESSION.match(session):
            raise ApiError(401, "unknown_session")
        replies = self.inbox.take(session)
        language = await self.accounts.language(CHANNEL, session) if replies else None
        return web.json_response({"replies": replies, "language": language})

    def _error(self, status: int, code: str) -> web.Response:
        message = self.catalogs.raw(self.catalogs.default, f"web.error.{code}")
        return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def _no_icon(_request: web.Request) -> web.Response:
    return web.Response(status=204)


async def _json_object(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(413, "too_large")
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise ApiError(413, "too_large")
    try:
        body = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "bad_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json")
    return body


def _event(body: dict[str, Any], session: str, message_id: str) -> Inbound:
    update_id = f"{session}:{message_id}"
    text, button = body.get("text"), body.get("button")
    if isinstance(button, str) and text is None:
        if not button or len(button.encode()) > MAX_PAYLOAD_BYTES:
            raise ApiError(400, "bad_button")
        return ButtonPress(channel=CHANNEL, user_id=session, update_id=update_id, payload=button)
    if isinstance(text, str) and button is None:
        if len(text) > MAX_TEXT:
            raise ApiError(413, "too_long")
        if not text.strip():
            raise ApiError(400, "empty")
        return text_event(channel=CHANNEL, user_id=session, update_id=update_id, text=text)
    raise ApiError(400, "bad_message")


def _render(out: Outgoing) -> dict[str, Any]:
    reply = out.reply
    if isinstance(reply, Text):
        if out.layout == "buttons":
            rows = out.keyboard
        elif out.layout == "list":
            rows = tuple((choice,) for choice in out.choices)
        else:
            rows = ()
        buttons = [[{"label": b.label, "payload": b.payload} for b in row] for row in rows]
        return {"kind": "text", "text": reply.text, "buttons": buttons}
    if isinstance(reply, StoredMedia):
        # Never produced for the web chat (handlers check the channel); keep the caption.
        return {"kind": "text", "text": reply.caption, "buttons": []}
    url = f"data:{reply.mime_type};base64,{base64.b64encode(reply.data).decode()}"
    if isinstance(reply, Image):
        return {"kind": "image", "url": url, "caption": reply.caption}
    assert isinstance(reply, Document)
    return {"kind": "document", "url": url, "filename": reply.filename, "caption": reply.caption}
