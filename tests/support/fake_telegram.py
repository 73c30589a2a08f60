"""A local Telegram Bot API that checks every call against the published API reference.

`FakeBotApi` serves `/bot<token>/<method>` (and `/file/bot<token>/<path>` for downloads) on
127.0.0.1, so python-telegram-bot's real `telegram.Bot` can talk to it:

    fake = await start_fake(aiohttp_server)
    bot = Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url)

Every call is recorded in `fake.calls` with its parameters decoded the way Telegram decodes them
(form fields, multipart uploads, JSON bodies or the query string). Every departure from the Bot API
reference (`bot-api.json`, outside the repository) or from Telegram's documented limits lands in
`fake.violations` as a readable line; where Telegram itself would refuse the call, the fake answers
with Telegram's error shape too (HTTP 400 "Bad Request: ...", 404 "Not Found" for unknown methods),
so the client sees what it would see in production.

The module-level factories (`text_update`, `callback_update`, ...) build incoming updates shaped
exactly as Telegram sends them; queue them with `fake.push_update(...)` for `getUpdates`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from aiohttp import web
from aiohttp.web_request import FileField
from pytest_aiohttp import AiohttpServer

REFERENCE_ENV = "TELEGRAM_BOT_API_JSON"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REFERENCE = REPO_ROOT.parent / "shared" / "reference" / "telegram" / "bot-api.json"

BOT_ID = 7_000_000_001
BOT_USERNAME = "kinerja_test_bot"
BOT_FIRST_NAME = "Kinerja Test"
TOKEN = f"{BOT_ID}:AAHfakeTokenForLocalTestsOnly_0123456789"

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS_PER_ROW = 8
MAX_BUTTONS = 100
MAX_CALLBACK_ANSWER = 200
MAX_COMMANDS = 100
MAX_COMMAND_DESCRIPTION = 256
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
LANGUAGE_CODE = re.compile(r"[a-z]{2}")

# Methods whose `text` is a message text (1-4096 characters after entity parsing).
TEXT_METHODS = frozenset({"sendMessage", "editMessageText"})
# Methods that edit an existing message: chat_id + message_id, or inline_message_id.
EDIT_METHODS = frozenset(
    {"editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup"}
)
# Button fields that decorate a button rather than give it an action.
BUTTON_DECORATIONS = frozenset({"text", "icon_custom_emoji_id", "style"})
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})


# --------------------------------------------------------------------------------------------
# The reference


def reference_path() -> Path:
    """Where `bot-api.json` lives: `$TELEGRAM_BOT_API_JSON`, else next to the repository."""
    override = os.environ.get(REFERENCE_ENV)
    return Path(override) if override else DEFAULT_REFERENCE


class ApiReference:
    """The Bot API reference: methods and types with their fields."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data["version"]
        self.methods: dict[str, dict[str, Any]] = data["methods"]
        self.types: dict[str, dict[str, Any]] = data["types"]
        # Telegram's method names are case-insensitive.
        self._canonical = {name.lower(): name for name in self.methods}

    def method_name(self, name: str) -> str | None:
        return self._canonical.get(name.lower())

    def method_fields(self, method: str) -> dict[str, dict[str, Any]]:
        return {spec["name"]: spec for spec in self.methods[method].get("fields", [])}

    def type_fields(self, name: str) -> dict[str, dict[str, Any]]:
        return {spec["name"]: spec for spec in self.types[name].get("fields", [])}

    def returns(self, method: str) -> list[str]:
        return list(self.methods[method].get("returns", []))


@functools.cache
def _load_reference(path: Path) -> ApiReference:
    return ApiReference(json.loads(path.read_text(encoding="utf-8")))


def load_reference() -> ApiReference:
    """The reference, or a skip (a failure under CI=true) when the file is not there."""
    path = reference_path()
    if not path.is_file():
        reason = (
            f"Telegram Bot API reference not found at {path}; "
            f"set {REFERENCE_ENV} to the path of bot-api.json"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return _load_reference(path)


# --------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Upload:
    """A file sent as a multipart part."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Call:
    """One request the fake received; params as Telegram decodes them (uploads as `Upload`)."""

    method: str
    params: dict[str, Any]
    token: str


@dataclass(frozen=True)
class Problem:
    """A departure from the reference; `reject` is Telegram's error description if it refuses."""

    message: str
    reject: str | None = None


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    times: int


class _Refusal(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --------------------------------------------------------------------------------------------
# Telegram's HTML parse mode

SPACES = " \t\n\r\v\f"
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.-]*")
_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
_HTML_ATTRIBUTES = {
    "a": {"href"},
    "code": {"class"},
    "span": {"class"},
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
    "tg-time": {"unix", "format"},
}


class HtmlError(ValueError):
    """Telegram would answer "Bad Request: can't parse entities: <message>"."""


@dataclass
class Rendered:
    """Text after entity parsing, its entities, and rule breaches Telegram lets through."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Open:
    name: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset in the parsed text
    chunk: int  # index in the output chunks where the tag's content starts


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(source: str, at: int) -> tuple[str, int] | None:
    match = _ENTITY.match(source, at)
    if match is None:
        return None
    if match[3]:
        return _NAMED[match[3]], match.end()
    code = int(match[1]) if match[1] else int(match[2], 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def parse_html(source: str) -> Rendered:
    """Parse like Telegram's HTML mode; raise `HtmlError` where Telegram answers 400."""

    def byte_at(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    chunks: list[str] = []
    entities: list[dict[str, Any]] = []
    warnings: list[str] = []
    stack: list[_Open] = []
    utf16 = 0
    i, end = 0, len(source)
    while i < end:
        char = source[i]
        if char == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                chunks.append(decoded[0])
                utf16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            warnings.append(
                f"bare '&' at byte offset {byte_at(i)} (Telegram keeps it as text, "
                "but its HTML rules require &amp;)"
            )
        if char != "<":
            chunks.append(char)
            utf16 += utf16_len(char)
            i += 1
            continue
        start = byte_at(i)
        if i + 1 < end and source[i + 1] == "/":
            close = source.find(">", i)
            if close < 0:
                raise HtmlError(f"Unclosed end tag at byte offset {start}")
            name = source[i + 2 : close].strip(SPACES).lower()
            if any(space in name for space in SPACES):
                raise HtmlError(f"Unclosed end tag at byte offset {start}")
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {start}")
            opened = stack.pop()
            if name and name != opened.name:
                raise HtmlError(
                    f'Unmatched end tag at byte offset {start}, expected "</{opened.name}>", '
                    f'found "</{name}>"'
                )
            _close_entity(opened, utf16, "".join(chunks[opened.chunk :]), entities)
            i = close + 1
            continue
        j = i + 1
        while j < end and source[j] not in SPACES and source[j] != ">":
            j += 1
        if j >= end:
            raise HtmlError(f"Unclosed start tag at byte offset {start}")
        name = source[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise HtmlError(f'Unsupported start tag "{name}" at byte offset {start}')
        attrs, i = _parse_attributes(source, j, name, start)
        _check_tag(name, attrs, start, stack, warnings)
        stack.append(_Open(name, attrs, utf16, len(chunks)))
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language only counts on <pre><code class=...>
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return Rendered("".join(chunks), entities, warnings)


def _parse_attributes(source: str, at: int, tag: str, start: int) -> tuple[dict[str, str], int]:
    attrs: dict[str, str] = {}
    end = len(source)
    unclosed = HtmlError(f'Unclosed start tag "{tag}" at byte offset {start}')
    while True:
        while at < end and source[at] in SPACES:
            at += 1
        if at >= end:
            raise unclosed
        if source[at] == ">":
            return attrs, at + 1
        name_end = at
        while name_end < end and source[name_end] not in SPACES and source[name_end] not in "=>":
            name_end += 1
        name = source[at:name_end].lower()
        if not name:
            raise HtmlError(f'Empty attribute name in the tag "{tag}" at byte offset {start}')
        at = name_end
        while at < end and source[at] in SPACES:
            at += 1
        if at >= end:
            raise unclosed
        if source[at] != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                continue
            raise HtmlError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {start}'
            )
        at += 1
        while at < end and source[at] in SPACES:
            at += 1
        if at >= end:
            raise unclosed
        if source[at] in "'\"":
            quote = source[at]
            at += 1
            value: list[str] = []
            while at < end and source[at] != quote:
                decoded = _decode_entity(source, at) if source[at] == "&" else None
                if decoded is not None:
                    value.append(decoded[0])
                    at = decoded[1]
                else:
                    value.append(source[at])
                    at += 1
            if at >= end:
                raise unclosed
            at += 1
            attrs[name] = "".join(value)
        else:
            token = _NAME_TOKEN.match(source, at)
            assert token is not None
            at = token.end()
            if at >= end or (source[at] not in SPACES and source[at] != ">"):
                offset = len(source[: token.start()].encode("utf-8"))
                raise HtmlError(f"Unexpected end of name token at byte offset {offset}")
            attrs[name] = token[0].lower()


def _check_tag(
    name: str, attrs: dict[str, str], start: int, stack: list[_Open], warnings: list[str]
) -> None:
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {start}')
    if name == "tg-emoji" and not attrs.get("emoji-id"):
        raise HtmlError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {start}')
    if name == "tg-time" and not attrs.get("unix", "").isdigit():
        raise HtmlError(f'Tag "tg-time" must have attribute "unix" at byte offset {start}')
    for attribute in sorted(set(attrs) - _HTML_ATTRIBUTES.get(name, set())):
        warnings.append(f'attribute "{attribute}" of <{name}> at byte offset {start} is ignored')
    inside = stack[-1].name if stack else None
    if inside in ("code", "pre") and not (name == "code" and inside == "pre"):
        warnings.append(
            f"<{name}> inside <{stack[-1].name}> at byte offset {start}: "
            "pre and code can't contain other entities"
        )
    if name == "blockquote" and any(opened.name == "blockquote" for opened in stack):
        warnings.append(f"nested <blockquote> at byte offset {start}: blockquotes can't nest")


def _close_entity(opened: _Open, utf16: int, inner: str, entities: list[dict[str, Any]]) -> None:
    length = utf16 - opened.offset
    if length <= 0:
        return
    entity: dict[str, Any] = {
        "type": _HTML_TAGS[opened.name],
        "offset": opened.offset,
        "length": length,
    }
    if opened.name == "a":
        entity["url"] = opened.attrs.get("href") or inner
    elif opened.name == "blockquote" and "expandable" in opened.attrs:
        entity["type"] = "expandable_blockquote"
    elif opened.name == "tg-emoji":
        entity["custom_emoji_id"] = opened.attrs["emoji-id"]
    elif opened.name == "tg-time":
        entity["unix_time"] = int(opened.attrs["unix"])
        if opened.attrs.get("format"):
            entity["date_time_format"] = opened.attrs["format"]
    elif opened.name == "code":
        language = opened.attrs.get("class", "")
        if language.startswith("language-") and len(language) > len("language-"):
            entity["language"] = language.removeprefix("language-")
    elif opened.name == "pre" and entities:
        last = entities[-1]
        same_span = last["offset"] == opened.offset and last["length"] == length
        if last["type"] == "code" and same_span:
            entities.pop()
            if "language" in last:
                entity["language"] = last["language"]
    entities.append(entity)


def render(text: str, parse_mode: str | None) -> Rendered:
    """Text as Telegram shows it: HTML parsed and unescaped; other modes counted as written."""
    if parse_mode is not None and parse_mode.lower() == "html":
        return parse_html(text)
    return Rendered(text)


# --------------------------------------------------------------------------------------------
# Checking values against the reference


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, Upload):
        return "InputFile"
    return type(value).__name__


_DISCRIMINATOR = re.compile(r'(?:must be|always) "?([a-z_]+)"?$')


class Checker:
    """Structural checks of values against reference types."""

    def __init__(self, reference: ApiReference) -> None:
        self.reference = reference

    def value(self, value: Any, types: Sequence[str], path: str) -> list[Problem]:
        """Problems of the best-matching candidate type (none if one matches cleanly)."""
        best: list[Problem] | None = None
        for candidate in types:
            problems = self._one(value, candidate, path)
            if not problems:
                return []
            if best is None or _score(problems) < _score(best):
                best = problems
        return best or []

    def _one(self, value: Any, type_name: str, path: str) -> list[Problem]:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [_mismatch(path, type_name, value)]
            inner = type_name.removeprefix("Array of ")
            return [
                problem
                for index, item in enumerate(value)
                for problem in self.value(item, [inner], f"{path}[{index}]")
            ]
        primitive = {
            "Integer": isinstance(value, int) and not isinstance(value, bool),
            "Float": isinstance(value, int | float) and not isinstance(value, bool),
            "String": isinstance(value, str),
            "Boolean": isinstance(value, bool),
            "True": value is True,
        }
        if type_name in primitive:
            return [] if primitive[type_name] else [_mismatch(path, type_name, value)]
        if type_name == "InputFile":
            ok = isinstance(value, Upload) or (
                isinstance(value, str) and value.startswith("attach://")
            )
            return [] if ok else [_mismatch(path, type_name, value)]
        if type_name == "KeyboardButton" and isinstance(value, str):
            return []  # a plain string is the documented shorthand for a text button
        spec = self.reference.types.get(type_name)
        if spec is None:
            return [Problem(f"{path}: type {type_name} is not in the reference")]
        if spec.get("subtypes"):
            return self.value(value, spec["subtypes"], path)
        return self.object(value, type_name, path)

    def object(self, value: Any, type_name: str, path: str) -> list[Problem]:
        if not isinstance(value, dict):
            return [_mismatch(path, type_name, value)]
        fields = self.reference.type_fields(type_name)
        problems: list[Problem] = []
        for name, spec in fields.items():
            if name not in value:
                if spec["required"]:
                    problems.append(
                        Problem(
                            f"{path}: {type_name} needs field {name!r}",
                            f"Bad Request: can't parse {path.split('.')[0]}: "
                            f"field {name!r} of {type_name} is required",
                        )
                    )
                continue
            problems.extend(self.value(value[name], spec["types"], f"{path}.{name}"))
            expected = _discriminator(name, spec)
            if expected is not None and value[name] != expected:
                problems.append(
                    Problem(
                        f"{path}.{name}: {type_name} needs {expected!r}, got {value[name]!r}",
                        f"Bad Request: can't parse {path.split('.')[0]}: wrong {name}",
                    )
                )
        for name in value:
            if name not in fields:
                problems.append(Problem(f"{path}: {type_name} has no field {name!r}"))
        return problems


def _discriminator(name: str, spec: dict[str, Any]) -> str | None:
    if name not in ("type", "status", "source") or spec["types"] != ["String"]:
        return None
    match = _DISCRIMINATOR.search(spec["description"].rstrip("."))
    return match[1] if match else None


def _score(problems: list[Problem]) -> tuple[int, int]:
    return (sum(1 for problem in problems if problem.reject), len(problems))


def _mismatch(path: str, expected: str, value: Any) -> Problem:
    top = path.split(".")[0].split("[")[0]
    return Problem(
        f"{path}: expected {expected}, got {_kind(value)} {_short(value)}",
        f"Bad Request: can't parse {top}: {path} must be {expected}",
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _decode_form_value(text: str, types: Sequence[str]) -> Any:
    """A form/query value as Telegram reads it for a field of these types."""
    if "Integer" in types and re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if "Float" in types:
        with contextlib.suppress(ValueError):
            return float(text)
    if "Boolean" in types and text.lower() in ("true", "false", "1", "0"):
        return text.lower() in ("true", "1")
    if "String" in types or "InputFile" in types:
        return text
    if any(t.startswith("Array of ") or t[:1].isupper() for t in types):
        return json.loads(text)  # raises ValueError on bad JSON
    raise ValueError(text)


# --------------------------------------------------------------------------------------------
# The fake server


class FakeBotApi:
    """An in-process Telegram Bot API for tests (see the module docstring)."""

    def __init__(
        self,
        reference: ApiReference | None = None,
        *,
        token: str | None = None,
        max_poll_seconds: float = 2.0,
    ) -> None:
        self.reference = reference or load_reference()
        self.checker = Checker(self.reference)
        self.token = token  # when set, other tokens get 401 Unauthorized
        self.max_poll_seconds = max_poll_seconds
        self.url = ""
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.updates: list[dict[str, Any]] = []
        self.messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._results: dict[str, Any] = {}  # a value, or a callable taking the Call
        self._allowed_updates: list[str] | None = None
        self._arrived = asyncio.Event()
        self._called = asyncio.Event()
        self._file_ids = itertools.count(1)
        self._last_token = ""
        self._handlers: dict[str, Callable[[Call], Any]] = {
            "getMe": lambda call: self.bot_user(full=True),
            "getWebhookInfo": self._get_webhook_info,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message,
            "editMessageCaption": self._edit_message,
            "editMessageReplyMarkup": self._edit_message,
            "deleteMessage": self._delete_message,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
        }

    # ---- wiring

    def app(self) -> web.Application:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._download)
        return app

    @property
    def base_url(self) -> str:
        """For `telegram.Bot(base_url=...)`: the bot appends `<token>/<method>`."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ---- test controls

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (update_id assigned when missing)."""
        update.setdefault("update_id", next(_update_ids))
        for problem in self.checker.object(update, "Update", "update"):
            self.violations.append(f"push_update: {problem.message}")
        self.updates.append(update)
        self._arrived.set()
        return update

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        description: str = "Too Many Requests: retry after 1",
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with this Telegram error."""
        name = self.reference.method_name(method) or method
        self._faults.setdefault(name, []).append(_Fault(status, description, retry_after, times))

    def set_result(self, method: str, result: Any) -> None:
        """Answer `method` with `result` (or `result(call)`) instead of the built-in answer."""
        self._results[self.reference.method_name(method) or method] = result

    def add_file(self, data: bytes, *, file_id: str | None = None, name: str = "file.bin") -> str:
        """Make a file downloadable through getFile; returns its file_id."""
        return self._store_file(data, name, file_id).file_id

    def calls_to(self, method: str) -> list[Call]:
        name = self.reference.method_name(method) or method
        return [call for call in self.calls if call.method == name]

    def last(self, method: str) -> Call:
        calls = self.calls_to(method)
        if not calls:
            made = sorted({call.method for call in self.calls})
            raise AssertionError(f"no call to {method}; calls made: {made}")
        return calls[-1]

    async def wait_for_call(self, method: str, *, count: int = 1, within: float = 2.0) -> Call:
        """Wait until `method` has been called `count` times (e.g. a long poll has started)."""
        async with asyncio.timeout(within):
            while len(self.calls_to(method)) < count:
                self._called.clear()
                await self._called.wait()
        return self.calls_to(method)[count - 1]

    def check_update(self, update: dict[str, Any]) -> list[str]:
        """How an update departs from the reference's Update type (empty when it conforms)."""
        return [problem.message for problem in self.checker.object(update, "Update", "update")]

    def assert_clean(self) -> None:
        assert not self.violations, "Bot API violations:\n" + "\n".join(self.violations)

    def clear(self) -> None:
        self.calls.clear()
        self.violations.clear()

    def bot_user(self, *, full: bool = False) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": self._bot_id(),
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }
        if full:
            user |= {
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        return user

    # ---- HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        asked = request.match_info["method"]
        self._last_token = token
        if self.token is not None and token != self.token:
            self.violations.append(f"{asked}: called with a token the fake does not know")
            return _error(401, "Unauthorized")
        try:
            fields, files = await _read_request(request)
        except _Refusal as bad_body:
            self.violations.append(f"{asked}: {bad_body.description}")
            return _error(bad_body.status, bad_body.description)
        method = self.reference.method_name(asked)
        if method is None:
            self._record(Call(asked, {**fields, **files}, token))
            self.violations.append(f"{asked}: no such method in Bot API {self.reference.version}")
            return _error(404, "Not Found")
        params, problems = self._decode(method, fields, files)
        problems += self._semantics(method, params)
        call = Call(method, params, token)
        self._record(call)
        self.violations.extend(f"{method}: {problem.message}" for problem in problems)
        fault = self._take_fault(method)
        if fault is not None:
            parameters = {"retry_after": fault.retry_after} if fault.retry_after else None
            return _error(fault.status, fault.description, parameters)
        refusal = next((problem.reject for problem in problems if problem.reject), None)
        if refusal is not None:
            return _error(400, refusal)
        try:
            result = await self._answer(call)
        except _Refusal as refused:
            self.violations.append(f"{method}: {refused.description}")
            return _error(refused.status, refused.description)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return _error(404, "Not Found")

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._called.set()

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    # ---- decoding and checks

    def _decode(
        self, method: str, fields: dict[str, Any], files: dict[str, Upload]
    ) -> tuple[dict[str, Any], list[Problem]]:
        spec = self.reference.method_fields(method)
        params: dict[str, Any] = {}
        problems: list[Problem] = []
        for name, raw in fields.items():
            field_spec = spec.get(name)
            if field_spec is None:
                params[name] = raw
                problems.append(Problem(f"unknown parameter {name!r} (Telegram ignores it)"))
                continue
            types = field_spec["types"]
            value = raw
            if types == ["String"] and isinstance(raw, int | float) and not isinstance(raw, bool):
                # Telegram reads every top-level parameter as a string, so a number passes.
                params[name] = str(raw)
                problems.append(Problem(f"{name}: String given as a JSON number {raw!r}"))
                continue
            if isinstance(raw, str) and types != ["String"]:
                try:
                    value = _decode_form_value(raw, types)
                except ValueError:
                    params[name] = raw
                    problems.append(
                        Problem(
                            f"{name}: {_short(raw)} is not a valid {' or '.join(types)}",
                            f"Bad Request: can't parse {name}",
                        )
                    )
                    continue
            params[name] = value
            problems.extend(self.checker.value(value, types, name))
        attachments = json.dumps(fields, default=str)
        for name, upload in files.items():
            field_spec = spec.get(name)
            if field_spec is not None:
                params[name] = upload
                if "InputFile" not in field_spec["types"]:
                    problems.append(
                        Problem(f"{name}: a file was uploaded, but {name} takes no InputFile")
                    )
            elif f"attach://{name}" in attachments:
                params[name] = upload
            else:
                params[name] = upload
                problems.append(
                    Problem(f"uploaded file part {name!r} is neither a parameter nor attached")
                )
        for name, field_spec in spec.items():
            if field_spec["required"] and name not in params:
                problems.append(
                    Problem(
                        f"missing required parameter {name!r}",
                        f'Bad Request: parameter "{name}" is required',
                    )
                )
        return params, problems

    def _semantics(self, method: str, params: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        parse_mode = params.get("parse_mode")
        if isinstance(parse_mode, str) and parse_mode.lower() not in PARSE_MODES:
            problems.append(
                Problem(
                    f"parse_mode {parse_mode!r} is not HTML, Markdown or MarkdownV2",
                    "Bad Request: unsupported parse_mode",
                )
            )
            parse_mode = None
        mode = parse_mode if isinstance(parse_mode, str) else None
        text = params.get("text")
        if method in TEXT_METHODS:
            if isinstance(text, str):
                problems.extend(_check_text(text, mode, "text", MAX_TEXT))
            elif method == "editMessageText" and "rich_message" not in params:
                problems.append(
                    Problem("editMessageText without text", "Bad Request: message text is empty")
                )
        caption = params.get("caption")
        if isinstance(caption, str):
            problems.extend(_check_text(caption, mode, "caption", MAX_CAPTION))
        identified = "inline_message_id" in params or {"chat_id", "message_id"} <= set(params)
        if method in EDIT_METHODS and not identified:
            problems.append(
                Problem(
                    "editing needs chat_id and message_id, or inline_message_id",
                    "Bad Request: message identifier is not specified",
                )
            )
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            if "inline_keyboard" in markup:
                problems.extend(self._check_inline_keyboard(markup["inline_keyboard"]))
            elif "keyboard" in markup:
                problems.extend(self._check_reply_keyboard(markup["keyboard"]))
        if (
            method == "answerCallbackQuery"
            and isinstance(text, str)
            and len(text) > MAX_CALLBACK_ANSWER
        ):
            problems.append(
                Problem(
                    f"callback answer text is {len(text)} characters (max {MAX_CALLBACK_ANSWER})",
                    "Bad Request: MESSAGE_TOO_LONG",
                )
            )
        if method in ("setMyCommands", "getMyCommands", "deleteMyCommands"):
            problems.extend(_check_language_code(params.get("language_code")))
        if method == "setMyCommands":
            problems.extend(_check_commands(params.get("commands")))
        return problems

    def _check_inline_keyboard(self, rows: Any) -> list[Problem]:
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            return []  # the structural check already reported it
        problems: list[Problem] = []
        fields = self.reference.type_fields("InlineKeyboardButton")
        actions = set(fields) - BUTTON_DECORATIONS
        total = sum(len(row) for row in rows)
        if total > MAX_BUTTONS:
            problems.append(
                Problem(
                    f"inline keyboard has {total} buttons (max {MAX_BUTTONS})",
                    "Bad Request: reply markup is too long",
                )
            )
        for r, row in enumerate(rows):
            if len(row) > MAX_BUTTONS_PER_ROW:
                problems.append(
                    Problem(
                        f"inline keyboard row {r} has {len(row)} buttons "
                        f"(max {MAX_BUTTONS_PER_ROW})",
                        "Bad Request: too many buttons in a row of the inline keyboard",
                    )
                )
            for c, button in enumerate(row):
                if not isinstance(button, dict):
                    continue
                where = f"inline button [{r}][{c}]"
                if not (isinstance(button.get("text"), str) and button["text"].strip()):
                    problems.append(
                        Problem(f"{where} has no text", "Bad Request: BUTTON_TEXT_INVALID")
                    )
                used = sorted(actions & set(button))
                if not used:
                    problems.append(
                        Problem(
                            f"{where} {button.get('text')!r} has no action",
                            "Bad Request: can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard",
                        )
                    )
                elif len(used) > 1:
                    problems.append(
                        Problem(
                            f"{where} has {len(used)} actions {used} (exactly one allowed)",
                            "Bad Request: can't parse inline keyboard button: "
                            "exactly one of the optional fields must be used",
                        )
                    )
                data = button.get("callback_data")
                if isinstance(data, str):
                    size = len(data.encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        problems.append(
                            Problem(
                                f"{where} callback_data is {size} bytes "
                                f"(1-{MAX_CALLBACK_DATA_BYTES} allowed): {_short(data)}",
                                "Bad Request: BUTTON_DATA_INVALID",
                            )
                        )
        return problems

    def _check_reply_keyboard(self, rows: Any) -> list[Problem]:
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            return []
        problems: list[Problem] = []
        actions = set(self.reference.type_fields("KeyboardButton")) - BUTTON_DECORATIONS
        for r, row in enumerate(rows):
            for c, button in enumerate(row):
                text = button if isinstance(button, str) else None
                if isinstance(button, dict):
                    text = button.get("text")
                    used = sorted(actions & set(button))
                    if len(used) > 1:
                        problems.append(
                            Problem(
                                f"keyboard button [{r}][{c}] has {len(used)} request fields "
                                f"{used} (at most one allowed)",
                                "Bad Request: can't parse keyboard button: "
                                "at most one of the optional fields can be used",
                            )
                        )
                if not (isinstance(text, str) and text.strip()):
                    problems.append(
                        Problem(
                            f"keyboard button [{r}][{c}] has no text",
                            "Bad Request: BUTTON_TEXT_INVALID",
                        )
                    )
        return problems

    # ---- answers

    async def _answer(self, call: Call) -> Any:
        custom = self._results.get(call.method)
        if custom is not None:
            return custom(call) if callable(custom) else custom
        if call.method == "getUpdates":
            return await self._get_updates(call)
        handler = self._handlers.get(call.method)
        if handler is not None:
            return handler(call)
        returns = self.reference.returns(call.method)
        if "Boolean" in returns:
            return True
        if "Message" in returns and "chat_id" in call.params:
            return self._new_message(call)
        raise _Refusal(
            501,
            f"Not Implemented: the fake has no answer for {call.method}; "
            "give it one with set_result()",
        )

    async def _get_updates(self, call: Call) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise _Refusal(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = call.params
        offset = params.get("offset")
        if isinstance(offset, int):
            if offset < 0:
                self.updates = self.updates[offset:]
            else:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        limit = params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        wait = params.get("timeout")
        wait = min(float(wait), self.max_poll_seconds) if isinstance(wait, int) else 0.0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(wait, 0.0)
        while True:
            ready = [update for update in self.updates if self._is_allowed(update)][:limit]
            remaining = deadline - loop.time()
            if ready or remaining <= 0:
                return ready
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._arrived.wait()

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        if self._allowed_updates is None:
            return True
        return any(kind in update for kind in self._allowed_updates)

    def _set_webhook(self, call: Call) -> bool:
        self.webhook = dict(call.params)
        if call.params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _delete_webhook(self, call: Call) -> bool:
        self.webhook = {}
        if call.params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _get_webhook_info(self, call: Call) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": "certificate" in self.webhook,
            "pending_update_count": len(self.updates),
        }
        if info["url"]:
            info["max_connections"] = self.webhook.get("max_connections", 40)
            if "ip_address" in self.webhook:
                info["ip_address"] = self.webhook["ip_address"]
            if "allowed_updates" in self.webhook:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    def _send_message(self, call: Call) -> dict[str, Any]:
        return self._new_message(call)

    def _send_photo(self, call: Call) -> dict[str, Any]:
        photo = call.params["photo"]
        if isinstance(photo, Upload):
            stored = self._store_file(photo.data, photo.filename or "photo.jpg", None, "photos")
            file_id, unique, size = stored.file_id, stored.file_unique_id, len(photo.data)
        else:
            file_id, unique, size = str(photo), f"AgAD{next(self._file_ids):08d}", 1024
        sizes = [
            {"file_id": file_id, "file_unique_id": unique, "width": 90, "height": 67,
             "file_size": max(size // 10, 1)},
            {"file_id": file_id, "file_unique_id": unique, "width": 1280, "height": 960,
             "file_size": size},
        ]  # fmt: skip
        return self._new_message(call, photo=sizes)

    def _send_document(self, call: Call) -> dict[str, Any]:
        document = call.params["document"]
        if isinstance(document, Upload):
            name = document.filename or "document"
            stored = self._store_file(document.data, name, None, "documents")
            described: dict[str, Any] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": name,
                "mime_type": document.content_type,
                "file_size": len(document.data),
            }
        else:
            described = {"file_id": str(document), "file_unique_id": "AQADdoc"}
        return self._new_message(call, document=described)

    def _edit_message(self, call: Call) -> dict[str, Any] | bool:
        params = call.params
        if "inline_message_id" in params:
            return True
        key = (params["chat_id"], params["message_id"])
        old = self.messages.get(key)
        message = dict(old) if old else self._message_base(params["chat_id"], params["message_id"])
        mode = params.get("parse_mode")
        for field_name, entities_name in (("text", "entities"), ("caption", "caption_entities")):
            if isinstance(params.get(field_name), str):
                rendered = render(params[field_name], mode if isinstance(mode, str) else None)
                message[field_name] = rendered.text
                message.pop(entities_name, None)
                if rendered.entities or params.get(entities_name):
                    message[entities_name] = rendered.entities or params[entities_name]
        markup = params.get("reply_markup")
        message.pop("reply_markup", None)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        if old is not None and _same_content(old, message):
            raise _Refusal(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["edit_date"] = int(time.time())
        self.messages[key] = message
        return message

    def _delete_message(self, call: Call) -> bool:
        self.messages.pop((call.params["chat_id"], call.params["message_id"]), None)
        return True

    def _get_file(self, call: Call) -> dict[str, Any]:
        stored = self.files.get(call.params["file_id"])
        if stored is None:
            raise _Refusal(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def _set_my_commands(self, call: Call) -> bool:
        self.commands[_commands_key(call.params)] = list(call.params["commands"])
        return True

    def _get_my_commands(self, call: Call) -> list[dict[str, Any]]:
        return self.commands.get(_commands_key(call.params), [])

    def _delete_my_commands(self, call: Call) -> bool:
        self.commands.pop(_commands_key(call.params), None)
        return True

    # ---- building results

    def _bot_id(self) -> int:
        token = self.token or self._last_token
        prefix = token.split(":", 1)[0]
        return int(prefix) if prefix.isdigit() else BOT_ID

    def _message_base(self, chat_id: Any, message_id: int | None = None) -> dict[str, Any]:
        return {
            "message_id": message_id if message_id is not None else next(_message_ids),
            "from": self.bot_user(),
            "chat": chat_for(chat_id),
            "date": int(time.time()),
        }

    def _new_message(self, call: Call, **content: Any) -> dict[str, Any]:
        params = call.params
        message = self._message_base(params["chat_id"])
        mode = params.get("parse_mode")
        mode = mode if isinstance(mode, str) else None
        if isinstance(params.get("text"), str) and call.method in TEXT_METHODS:
            rendered = render(params["text"], mode)
            message["text"] = rendered.text
            entities = rendered.entities or params.get("entities")
            if entities:
                message["entities"] = entities
        message |= content
        if isinstance(params.get("caption"), str):
            rendered = render(params["caption"], mode)
            message["caption"] = rendered.text
            entities = rendered.entities or params.get("caption_entities")
            if entities:
                message["caption_entities"] = entities
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes inline keyboards only
        self.messages[(params["chat_id"], message["message_id"])] = message
        return message

    def _store_file(
        self, data: bytes, name: str, file_id: str | None, folder: str = "documents"
    ) -> StoredFile:
        number = next(self._file_ids)
        suffix = Path(name).suffix or ".bin"
        stored = StoredFile(
            file_id=file_id or f"BQACAgUAAxkDAAI{number:08d}",
            file_unique_id=f"AgAD{number:08d}",
            file_path=f"{folder}/file_{number}{suffix}",
            data=data,
        )
        self.files[stored.file_id] = stored
        return stored


async def start_fake(aiohttp_server: AiohttpServer, **options: Any) -> FakeBotApi:
    """Start a `FakeBotApi` on 127.0.0.1; `fake.url` is its root ("http://127.0.0.1:PORT")."""
    fake = FakeBotApi(**options)
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/")).rstrip("/")
    return fake


# --------------------------------------------------------------------------------------------
# Helpers for the checks and answers


def _check_text(text: str, parse_mode: str | None, name: str, limit: int) -> list[Problem]:
    try:
        rendered = render(text, parse_mode)
    except HtmlError as error:
        return [
            Problem(f"{name}: bad HTML: {error}", f"Bad Request: can't parse entities: {error}")
        ]
    problems = [Problem(f"{name}: {warning}") for warning in rendered.warnings]
    length = len(rendered.text)
    if name == "text" and not rendered.text.strip():
        problems.append(
            Problem("text is empty after entity parsing", "Bad Request: message text is empty")
        )
    if length > limit:
        too_long = "message is too long" if name == "text" else "message caption is too long"
        problems.append(
            Problem(
                f"{name} is {length} characters after entity parsing (max {limit})",
                f"Bad Request: {too_long}",
            )
        )
    return problems


def _check_language_code(code: Any) -> list[Problem]:
    if code is None or code == "":
        return []
    if isinstance(code, str) and LANGUAGE_CODE.fullmatch(code):
        return []
    return [
        Problem(
            f"language_code {code!r} is not a two-letter ISO 639-1 code",
            "Bad Request: invalid language code specified",
        )
    ]


def _check_commands(commands: Any) -> list[Problem]:
    if not isinstance(commands, list):
        return []
    problems: list[Problem] = []
    if len(commands) > MAX_COMMANDS:
        problems.append(
            Problem(
                f"{len(commands)} commands (max {MAX_COMMANDS})", "Bad Request: too many commands"
            )
        )
    for command in commands:
        if not isinstance(command, dict):
            continue
        name = command.get("command")
        if not (isinstance(name, str) and COMMAND_NAME.fullmatch(name)):
            problems.append(
                Problem(
                    f"command {name!r} must be 1-32 characters of a-z, 0-9 and _",
                    "Bad Request: BOT_COMMAND_INVALID",
                )
            )
        description = command.get("description")
        if not (isinstance(description, str) and 1 <= len(description) <= MAX_COMMAND_DESCRIPTION):
            size = len(description) if isinstance(description, str) else description
            problems.append(
                Problem(
                    f"description of command {name!r} is {size} characters "
                    f"(1-{MAX_COMMAND_DESCRIPTION} allowed)",
                    "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
                )
            )
    return problems


def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _same_content(old: dict[str, Any], new: dict[str, Any]) -> bool:
    keys = ("text", "entities", "caption", "caption_entities", "reply_markup")
    return all(old.get(key) == new.get(key) for key in keys)


def _error(
    status: int, description: str, parameters: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


async def _read_request(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Parameters from the query string and the body, the four ways Telegram accepts them."""
    fields: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if not request.body_exists:
        return fields, files
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = json.loads(await request.text() or "{}")
        except ValueError as error:
            raise _Refusal(400, f"Bad Request: can't parse JSON body: {error}") from error
        if not isinstance(body, dict):
            raise _Refusal(400, "Bad Request: the JSON body must be an object")
        fields |= body
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, FileField):
                files[name] = Upload(value.filename, value.content_type, value.file.read())
            elif isinstance(value, bytes | bytearray):
                fields[name] = bytes(value).decode("utf-8")
            else:
                fields[name] = value
    else:
        raise _Refusal(400, f"Bad Request: unsupported content type {content_type!r}")
    return fields, files


def chat_for(chat_id: Any) -> dict[str, Any]:
    """The Chat object Telegram would report for this chat_id."""
    if isinstance(chat_id, str) and chat_id.startswith("@"):
        return {"id": -1_001_000_000_001, "type": "channel", "title": chat_id[1:],
                "username": chat_id[1:]}  # fmt: skip
    if not re.fullmatch(r"-?[0-9]+", str(chat_id)):
        raise _Refusal(400, "Bad Request: chat not found")
    number = int(chat_id)
    if number < 0:
        kind = "supergroup" if number <= -1_000_000_000_000 else "group"
        return {"id": number, "type": kind, "title": "Grup Uji"}
    return {"id": number, "type": "private", "first_name": "Budi"}


# --------------------------------------------------------------------------------------------
# Incoming updates, shaped as Telegram sends them

_update_ids = itertools.count(100_001)
_message_ids = itertools.count(1)
_callback_ids = itertools.count(1)
_file_numbers = itertools.count(1)

SENDER: Literal["sender"] = "sender"


def user_dict(
    user_id: int, *, first_name: str = "Budi", language_code: str | None = "id"
) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    return user


def bot_user_dict() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME}


def _private_chat(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": first_name}


def _message(
    user_id: int,
    content: dict[str, Any],
    *,
    first_name: str,
    language_code: str | None,
    message_id: int | None = None,
    kind: str = "message",
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id if message_id is not None else next(_message_ids),
        "from": user_dict(user_id, first_name=first_name, language_code=language_code),
        "chat": _private_chat(user_id, first_name),
        "date": int(time.time()),
        **content,
    }
    return {"update_id": next(_update_ids), kind: message}


def text_update(
    user_id: int, text: str, *, first_name: str = "Budi", language_code: str | None = "id"
) -> dict[str, Any]:
    return _message(user_id, {"text": text}, first_name=first_name, language_code=language_code)


def command_update(
    user_id: int,
    command: str,
    args: str = "",
    *,
    first_name: str = "Budi",
    language_code: str | None = "id",
) -> dict[str, Any]:
    """`/command args`, with the bot_command entity Telegram adds (`/start@bot` works too)."""
    word = command if command.startswith("/") else f"/{command}"
    text = f"{word} {args}" if args else word
    entity = {"type": "bot_command", "offset": 0, "length": utf16_len(word)}
    return _message(
        user_id,
        {"text": text, "entities": [entity]},
        first_name=first_name,
        language_code=language_code,
    )


def contact_update(
    user_id: int,
    phone: str,
    *,
    contact_user_id: int | Literal["sender"] | None = SENDER,
    first_name: str = "Budi",
    contact_first_name: str | None = None,
    language_code: str | None = "id",
) -> dict[str, Any]:
    """A shared contact. By default the sender's own (contact.user_id == sender, as after a
    request_contact button); `contact_user_id=None` is someone else's card without an account
    link, any other id someone else's account."""
    contact: dict[str, Any] = {
        "phone_number": phone,
        "first_name": contact_first_name or first_name,
    }
    owner = user_id if contact_user_id == SENDER else contact_user_id
    if owner is not None:
        contact["user_id"] = owner
    return _message(
        user_id, {"contact": contact}, first_name=first_name, language_code=language_code
    )


def callback_update(
    user_id: int,
    data: str,
    *,
    message_id: int,
    message_text: str = "Pilih:",
    first_name: str = "Budi",
    language_code: str | None = "id",
) -> dict[str, Any]:
    """A press on an inline button of the bot's message `message_id`."""
    message = {
        "message_id": message_id,
        "from": bot_user_dict(),
        "chat": _private_chat(user_id, first_name),
        "date": int(time.time()) - 5,
        "text": message_text,
    }
    query = {
        "id": str(4_000_000_000_000_000 + next(_callback_ids)),
        "from": user_dict(user_id, first_name=first_name, language_code=language_code),
        "message": message,
        "chat_instance": str(-7_000_000_000_000_000_000 + user_id),
        "data": data,
    }
    return {"update_id": next(_update_ids), "callback_query": query}


def _file_ids(prefix: str, file_id: str | None) -> dict[str, str]:
    number = next(_file_numbers)
    return {
        "file_id": file_id or f"{prefix}{number:08d}",
        "file_unique_id": f"AQAD{number:08d}",
    }


def photo_update(
    user_id: int,
    *,
    caption: str | None = None,
    file_id: str | None = None,
    first_name: str = "Budi",
    language_code: str | None = "id",
) -> dict[str, Any]:
    """A photo in the sizes Telegram generates (smallest first); all share one file_id base."""
    ids = _file_ids("AgACAgUAAxkBAAI", file_id)
    sizes = [
        {**ids, "width": 90, "height": 68, "file_size": 1_200},
        {**ids, "width": 320, "height": 240, "file_size": 14_000},
        {**ids, "width": 1280, "height": 960, "file_size": 98_000},
    ]
    content: dict[str, Any] = {"photo": sizes}
    if caption is not None:
        content["caption"] = caption
    return _message(user_id, content, first_name=first_name, language_code=language_code)


def document_update(
    user_id: int,
    *,
    file_name: str = "laporan.pdf",
    mime_type: str = "application/pdf",
    file_size: int = 20_480,
    caption: str | None = None,
    file_id: str | None = None,
    first_name: str = "Budi",
    language_code: str | None = "id",
) -> dict[str, Any]:
    document = {
        **_file_ids("BQACAgUAAxkBAAI", file_id),
        "file_name": file_name,
        "mime_type": mime_type,
        "file_size": file_size,
    }
    content: dict[str, Any] = {"document": document}
    if caption is not None:
        content["caption"] = caption
    return _message(user_id, content, first_name=first_name, language_code=language_code)


def sticker_update(
    user_id: int,
    *,
    emoji: str = "👍",
    first_name: str = "Budi",
    language_code: str | None = "id",
) -> dict[str, Any]:
    sticker = {
        **_file_ids("CAACAgIAAxkBAAI", None),
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
        "set_name": "KinerjaTest",
        "file_size": 24_000,
    }
    return _message(
        user_id, {"sticker": sticker}, first_name=first_name, language_code=language_code
    )


def voice_update(
    user_id: int,
    *,
    duration: int = 3,
    first_name: str = "Budi",
    language_code: str | None = "id",
) -> dict[str, Any]:
    voice = {
        **_file_ids("AwACAgUAAxkBAAI", None),
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": 6_000 * max(duration, 1),
    }
    return _message(user_id, {"voice": voice}, first_name=first_name, language_code=language_code)


def location_update(
    user_id: int,
    latitude: float = -6.175392,
    longitude: float = 106.827153,
    *,
    first_name: str = "Budi",
    language_code: str | None = "id",
) -> dict[str, Any]:
    location = {"latitude": latitude, "longitude": longitude}
    return _message(
        user_id, {"location": location}, first_name=first_name, language_code=language_code
    )


def edited_message_update(
    user_id: int,
    text: str,
    *,
    message_id: int,
    first_name: str = "Budi",
    language_code: str | None = "id",
) -> dict[str, Any]:
    """The user edited their earlier message `message_id` to `text`."""
    now = int(time.time())
    update = _message(
        user_id,
        {"text": text, "edit_date": now},
        first_name=first_name,
        language_code=language_code,
        message_id=message_id,
        kind="edited_message",
    )
    update["edited_message"]["date"] = now - 60
    return update


def all_factory_updates(user_id: int = 4242) -> Iterable[tuple[str, dict[str, Any]]]:
    """One update from each factory, named, for conformance tests."""
    yield "text", text_update(user_id, "halo")
    yield "command", command_update(user_id, "start", "abc")
    yield "contact", contact_update(user_id, "+6281234567890")
    yield "foreign contact", contact_update(user_id, "+6281200000000", contact_user_id=None)
    yield "callback", callback_update(user_id, "menu:1", message_id=7)
    yield "photo", photo_update(user_id, caption="foto kegiatan")
    yield "document", document_update(user_id)
    yield "sticker", sticker_update(user_id)
    yield "voice", voice_update(user_id)
    yield "location", location_update(user_id)
    yield "edited", edited_message_update(user_id, "halo lagi", message_id=3)
