"""A local Graph API (WhatsApp Cloud API) that checks every request against the OpenAPI spec.

`FakeGraphApi` serves `/v23.0/<phone number id>/messages`, `/v23.0/<phone number id>/media`,
`/v23.0/<media id>` and the media download URL on 127.0.0.1. The limits it enforces are read from
`cloud-api-openapi-v23.0.yaml` (outside the repository) at start: the interactive body, reply
buttons, list rows and their titles, ids and descriptions, header and footer; the text limit
(4096) and the uniqueness rules come from the Cloud API documentation (DESIGN.md section 4).
Every departure lands in `fake.violations`, and the fake answers as the Graph API would (HTTP 400
with its error shape), so the client sees what it would see in production.

It also plays WhatsApp's rules the tests need: `close_window(to)` makes free-form messages to a
number fail with 131047 (templates still go), `fail_next(code)` answers the next send with an
error code (130429, 131056, ...).

Incoming webhooks: `signed(body, secret)` gives the body and its `X-Hub-Signature-256`;
`text_message(...)`, `button_reply(...)`, `list_reply(...)` build payloads in the shape of the
reference samples (`reference/whatsapp/updates/*.json`, loaded by `samples()`).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web
from pytest_aiohttp import AiohttpServer

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPO_ROOT.parent / "shared" / "reference" / "whatsapp"
SPEC = REFERENCE / "cloud-api-openapi-v23.0.yaml"
UPDATES = REFERENCE / "updates"
VERSION = "v23.0"
PHONE_NUMBER_ID = "1122334455667"  # the reference samples' business number
TOKEN = "EAAfake-token-for-local-tests"
APP_SECRET = "fake-app-secret"
VERIFY_TOKEN = "fake-verify-token"
MAX_TEXT = 4096
MESSAGE_TYPES = ("text", "interactive", "image", "document", "template")


# --- the spec's limits --------------------------------------------------------------------------


@cache
def _spec_lines() -> tuple[str, ...]:
    return tuple(SPEC.read_text(encoding="utf-8").splitlines())


def spec_limit(schema: str, *path: str) -> int:
    """A number in the spec, found by walking keys from `components.schemas.<schema>`: e.g.
    `spec_limit("SectionObject", "rows", "title", "maxLength")` is 24. Each key is the first one
    of that name inside the previous key's block."""
    lines = _spec_lines()
    start = lines.index(f"    {schema}:")
    indent = 4
    position = start
    for number, key in enumerate(path, 1):
        position, indent = _find(lines, position, indent, key, block=number < len(path))
    value = lines[position].split(":", 1)[1].strip().strip("'\"")
    return int(value)


def _find(
    lines: tuple[str, ...], start: int, indent: int, key: str, *, block: bool
) -> tuple[int, int]:
    """The first `key:` below line `start`: a block (nothing after the colon) or a value."""
    for index in range(start + 1, len(lines)):
        line = lines[index]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(line) - len(line.lstrip())
        if depth <= indent:
            break
        name = stripped.removeprefix("- ")
        if (block and name == f"{key}:") or (not block and name.startswith(f"{key}: ")):
            return index, depth
    raise KeyError(f"{key} not found in the spec below line {start + 1}")


@dataclass(frozen=True)
class Limits:
    body: int
    header: int
    footer: int
    buttons: int
    button_id: int
    button_title: int
    list_button: int
    sections: int
    rows: int
    row_id: int
    row_title: int
    row_description: int

    @classmethod
    def from_spec(cls) -> Limits:
        return cls(
            body=spec_limit("BodyObject", "text", "maxLength"),
            header=spec_limit("HeaderObject", "text", "maxLength"),
            footer=spec_limit("FooterObject", "text", "maxLength"),
            buttons=spec_limit("ActionObject", "buttons", "maxItems"),
            button_id=spec_limit("ActionObject", "buttons", "reply", "id", "maxLength"),
            button_title=spec_limit("ActionObject", "buttons", "reply", "title", "maxLength"),
            list_button=spec_limit("ActionObject", "button", "maxLength"),
            sections=spec_limit("ActionObject", "sections", "maxItems"),
            rows=spec_limit("SectionObject", "rows", "maxItems"),
            row_id=spec_limit("SectionObject", "rows", "id", "maxLength"),
            row_title=spec_limit("SectionObject", "rows", "title", "maxLength"),
            row_description=spec_limit("SectionObject", "rows", "description", "maxLength"),
        )


# --- the fake server ----------------------------------------------------------------------------


@dataclass
class Sent:
    """One accepted message: its id and the request body."""

    id: str
    body: dict[str, Any]

    @property
    def to(self) -> str:
        return str(self.body["to"])

    @property
    def type(self) -> str:
        return str(self.body["type"])

    @property
    def text(self) -> str:
        """What the user reads: a text's body, an interactive body, a template's parameter."""
        body = self.body
        if body["type"] == "text":
            return str(body["text"]["body"])
        if body["type"] == "interactive":
            return str(body["interactive"]["body"]["text"])
        if body["type"] == "template":
            params = body["template"]["components"][0]["parameters"]
            return " ".join(str(p.get("text", "")) for p in params)
        return str(body[body["type"]].get("caption", ""))

    def choices(self) -> dict[str, str]:
        """Title -> id of its reply buttons or list rows."""
        if self.type != "interactive":
            return {}
        action = self.body["interactive"]["action"]
        if "buttons" in action:
            return {b["reply"]["title"]: b["reply"]["id"] for b in action["buttons"]}
        return {
            row["title"]: row["id"] for section in action["sections"] for row in section["rows"]
        }


@dataclass
class FakeGraphApi:
    url: str = ""
    limits: Limits = field(default_factory=Limits.from_spec)
    sent: list[Sent] = field(default_factory=list)
    uploads: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    closed_windows: set[str] = field(default_factory=set)
    failures: list[tuple[int, int, str]] = field(default_factory=list)
    requests: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def close_window(self, to: str) -> None:
        self.closed_windows.add(to)

    def fail_next(self, code: int, status: int = 400, message: str = "error") -> None:
        self.failures.append((status, code, message))

    def add_media(self, data: bytes, mime_type: str = "image/jpeg") -> str:
        media_id = str(9_000_000 + next(self._ids))
        self.media[media_id] = (data, mime_type)
        return media_id

    def to(self, number: str) -> list[Sent]:
        return [message for message in self.sent if message.to == number]

    def last_to(self, number: str) -> Sent:
        return self.to(number)[-1]

    def latest_with(self, number: str, fragment: str) -> Sent | None:
        found = [m for m in self.to(number) if fragment in m.text]
        return found[-1] if found else None

    def assert_clean(self) -> None:
        assert self.violations == [], "\n".join(self.violations)

    # --- handlers -------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=200 * 1024 * 1024)
        app.router.add_post(f"/{VERSION}/{{number}}/messages", self._messages)
        app.router.add_post(f"/{VERSION}/{{number}}/media", self._upload)
        app.router.add_get(f"/{VERSION}/{{media_id}}", self._media_url)
        app.router.add_get("/download/{media_id}", self._download)
        return app

    def _auth(self, request: web.Request) -> web.Response | None:
        self.requests += 1
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.violations.append(f"{request.path}: missing or wrong bearer token")
            return _error(401, 190, "Invalid OAuth access token")
        return None

    async def _messages(self, request: web.Request) -> web.Response:
        refused = self._auth(request)
        if refused is not None:
            return refused
        if request.match_info["number"] != PHONE_NUMBER_ID:
            self.violations.append(f"sent from unknown phone number id {request.match_info}")
            return _error(400, 100, "Unsupported post request")
        try:
            body = await request.json()
        except ValueError:
            self.violations.append("messages: body is not JSON")
            return _error(400, 100, "Invalid parameter")
        problems = self.check_message(body)
        if problems:
            self.violations.extend(f"messages: {p} in {json.dumps(body)[:300]}" for p in problems)
            return _error(400, 100, "Invalid parameter", "; ".join(problems))
        if self.failures:
            status, code, message = self.failures.pop(0)
            return _error(status, code, message)
        if body["to"] in self.closed_windows and body["type"] != "template":
            return _error(
                400,
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the "
                "customer last replied to this number.",
            )
        message_id = f"wamid.fake{next(self._ids):06d}"
        self.sent.append(Sent(message_id, body))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": message_id}],
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        refused = self._auth(request)
        if refused is not None:
            return refused
        form = await request.post()
        upload = form.get("file")
        if form.get("messaging_product") != "whatsapp" or not hasattr(upload, "file"):
            self.violations.append("media: messaging_product and file are required")
            return _error(400, 100, "Invalid parameter")
        data = upload.file.read()  # type: ignore[union-attr]
        media_id = str(8_000_000 + next(self._ids))
        self.uploads[media_id] = (data, str(upload.content_type))  # type: ignore[union-attr]
        return web.json_response({"id": media_id})

    async def _media_url(self, request: web.Request) -> web.Response:
        refused = self._auth(request)
        if refused is not None:
            return refused
        media_id = request.match_info["media_id"]
        if media_id not in self.media:
            return _error(404, 100, "Unsupported get request")
        data, mime = self.media[media_id]
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.url.rsplit('/', 1)[0]}/download/{media_id}",
                "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": media_id,
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        refused = self._auth(request)
        if refused is not None:
            return refused
        data, mime = self.media[request.match_info["media_id"]]
        return web.Response(body=data, content_type=mime)

    # --- validation -----------------------------------------------------------------------------

    def check_message(self, body: Any) -> list[str]:
        """Departures from the spec (and the documented limits) of one message body."""
        if not isinstance(body, dict):
            return ["not an object"]
        problems: list[str] = []
        if body.get("messaging_product") != "whatsapp":
            problems.append("messaging_product must be 'whatsapp'")
        if body.get("recipient_type", "individual") not in ("individual", "group"):
            problems.append("recipient_type must be individual or group")
        if not re.fullmatch(r"\+?\d{6,15}", str(body.get("to", ""))):
            problems.append(f"to {body.get('to')!r} is not a phone number")
        kind = body.get("type")
        if kind not in MESSAGE_TYPES:
            return [*problems, f"unexpected type {kind!r}"]
        if kind not in body:
            return [*problems, f"a {kind} message needs its {kind} object"]
        if kind in ("text", "interactive"):
            extra = set(body) - {
                "messaging_product",
                "recipient_type",
                "to",
                "type",
                "context",
                kind,
            }
            if extra:
                problems.append(f"unknown properties {sorted(extra)}")
        check = getattr(self, f"_check_{kind}")
        problems.extend(check(body[kind]))
        return problems

    def _check_text(self, text: Any) -> list[str]:
        problems = []
        if set(text) - {"body", "preview_url"}:
            problems.append(
                f"text has unknown properties {sorted(set(text) - {'body', 'preview_url'})}"
            )
        content = text.get("body")
        if not isinstance(content, str) or not content.strip():
            problems.append("text.body must be a non-empty string")
        elif len(content) > MAX_TEXT:
            problems.append(f"text.body is {len(content)} characters (max {MAX_TEXT})")
        elif re.search(r"</?(b|i|u|s|a|code|pre|blockquote)\b", content):
            problems.append("text.body contains HTML tags (WhatsApp shows them literally)")
        return problems

    def _check_interactive(self, interactive: Any) -> list[str]:
        limits = self.limits
        problems = []
        kind = interactive.get("type")
        body = (interactive.get("body") or {}).get("text")
        if not isinstance(body, str) or not body:
            problems.append("interactive.body.text is required")
        elif len(body) > limits.body:
            problems.append(f"interactive body is {len(body)} characters (max {limits.body})")
        elif "<b>" in body or "</" in body:
            problems.append("interactive body contains HTML tags")
        header = (interactive.get("header") or {}).get("text", "")
        if len(header) > limits.header:
            problems.append("header too long")
        footer = (interactive.get("footer") or {}).get("text", "")
        if len(footer) > limits.footer:
            problems.append("footer too long")
        action = interactive.get("action") or {}
        if kind == "button":
            buttons = action.get("buttons") or []
            if not 1 <= len(buttons) <= limits.buttons:
                problems.append(f"{len(buttons)} reply buttons (1..{limits.buttons})")
            titles = [b.get("reply", {}).get("title", "") for b in buttons]
            ids = [b.get("reply", {}).get("id", "") for b in buttons]
            if len(set(titles)) != len(titles):
                problems.append(f"button titles not unique: {titles}")
            if len(set(ids)) != len(ids):
                problems.append(f"button ids not unique: {ids}")
            for button, title, ident in zip(buttons, titles, ids, strict=True):
                if button.get("type") != "reply":
                    problems.append("button type must be 'reply'")
                if not title or len(title) > limits.button_title:
                    problems.append(f"button title {title!r} (1..{limits.button_title})")
                if not ident or len(ident) > limits.button_id or ident != ident.strip():
                    problems.append(f"button id {ident!r} (1..{limits.button_id}, no spaces)")
        elif kind == "list":
            label = action.get("button", "")
            if not label or len(label) > limits.list_button:
                problems.append(f"list button {label!r} (1..{limits.list_button})")
            sections = action.get("sections") or []
            if not 1 <= len(sections) <= limits.sections:
                problems.append(f"{len(sections)} sections")
            rows = [row for section in sections for row in section.get("rows") or []]
            if not 1 <= len(rows) <= limits.rows:
                problems.append(f"{len(rows)} list rows in total (1..{limits.rows})")
            ids = [row.get("id", "") for row in rows]
            if len(set(ids)) != len(ids):
                problems.append("row ids not unique")
            for row in rows:
                if not row.get("title") or len(row["title"]) > limits.row_title:
                    problems.append(f"row title {row.get('title')!r} (1..{limits.row_title})")
                if not row.get("id") or len(row["id"]) > limits.row_id:
                    problems.append(f"row id {row.get('id')!r} (1..{limits.row_id})")
                if len(row.get("description", "")) > limits.row_description:
                    problems.append("row description too long")
        else:
            problems.append(f"unexpected interactive type {kind!r}")
        return problems

    def _check_media(self, media: Any) -> list[str]:
        problems = []
        if not media.get("id") and not media.get("link"):
            problems.append("media needs an id or a link")
        elif media.get("id") and media["id"] not in self.uploads:
            problems.append(f"media id {media['id']} was not uploaded")
        if len(media.get("caption", "")) > 1024:
            problems.append("caption too long")
        return problems

    _check_image = _check_media
    _check_document = _check_media

    def _check_template(self, template: Any) -> list[str]:
        problems = []
        if not re.fullmatch(r"[a-z0-9_]{1,512}", str(template.get("name", ""))):
            problems.append(f"template name {template.get('name')!r}")
        language = template.get("language") or {}
        if language.get("policy") != "deterministic" or not language.get("code"):
            problems.append("template language needs policy 'deterministic' and a code")
        for component in template.get("components") or []:
            if component.get("type") not in ("header", "body", "button"):
                problems.append(f"template component type {component.get('type')!r}")
            for parameter in component.get("parameters") or []:
                text = parameter.get("text", "")
                if parameter.get("type") == "text" and (
                    not text or "\n" in text or "\t" in text or "     " in text
                ):
                    problems.append(f"template parameter {text[:40]!r}: empty, new line or tab")
                if len(text) > 1024:
                    problems.append("template parameter too long")
        return problems


def _error(status: int, code: int, message: str, details: str = "") -> web.Response:
    return web.json_response(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": details or message},
                "fbtrace_id": "AfakeTrace",
            }
        },
        status=status,
    )


async def start_fake(aiohttp_server: AiohttpServer) -> FakeGraphApi:
    fake = FakeGraphApi()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url(f"/{VERSION}"))
    return fake


# --- incoming webhooks --------------------------------------------------------------------------


def signed(
    payload: dict[str, Any] | bytes, secret: str = APP_SECRET
) -> tuple[bytes, dict[str, str]]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


@cache
def _samples() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(UPDATES.glob("*.json")):
        for name, payload in json.loads(path.read_text(encoding="utf-8")).items():
            found[f"{path.stem}/{name}"] = payload
    return found


def samples() -> dict[str, dict[str, Any]]:
    """Every reference webhook payload, by `file/name` (fresh copies)."""
    return copy.deepcopy(_samples())


_message_ids = itertools.count(1)


def _from_sample(
    sample: str, wa_id: str, user_id: str | None, message: dict[str, Any]
) -> dict[str, Any]:
    """A reference payload with the sender and message replaced, fields we do not use kept."""
    payload = samples()[sample]
    value = payload["entry"][0]["changes"][0]["value"]
    contact = value["contacts"][0]
    contact["wa_id"] = wa_id
    if user_id is None:
        contact.pop("user_id", None)
        contact.pop("parent_user_id", None)
    else:
        contact["user_id"] = user_id
    original = value["messages"][0]
    original.update(
        {
            "from": wa_id,
            "id": f"wamid.test{next(_message_ids):08d}",
            "timestamp": str(int(time.time())),
        }
    )
    original.update(message)
    return payload


def text_message(wa_id: str, text: str, user_id: str | None = None) -> dict[str, Any]:
    return _from_sample("message/text", wa_id, user_id, {"text": {"body": text}})


def button_reply(
    wa_id: str, payload: str, title: str, user_id: str | None = None, context_id: str = ""
) -> dict[str, Any]:
    return _from_sample(
        "callback_button/button",
        wa_id,
        user_id,
        {
            "context": {"from": PHONE_NUMBER_ID, "id": context_id or "wamid.prompt"},
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": payload, "title": title},
            },
        },
    )


def list_reply(wa_id: str, payload: str, title: str, user_id: str | None = None) -> dict[str, Any]:
    return _from_sample(
        "callback_selection/callback",
        wa_id,
        user_id,
        {"interactive": {"type": "list_reply", "list_reply": {"id": payload, "title": title}}},
    )


def image_message(wa_id: str, media_id: str, user_id: str | None = None) -> dict[str, Any]:
    return _from_sample(
        "message/image",
        wa_id,
        user_id,
        {"image": {"mime_type": "image/jpeg", "sha256": "4654+8g=", "id": media_id}},
    )


def choose(
    client_reply: Sent, title: str, wa_id: str, user_id: str | None = None
) -> dict[str, Any]:
    """The webhook of a user tapping `title` on `client_reply` (a reply button or a list row)."""
    choices = client_reply.choices()
    payload = choices[title]
    if client_reply.body["interactive"]["type"] == "button":
        return button_reply(wa_id, payload, title, user_id, client_reply.id)
    return list_reply(wa_id, payload, title, user_id)
