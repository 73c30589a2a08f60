"""What the bot says back, before a channel decides how to show it.

Text is "mini HTML": only <b>, <i>, <u>, <s>, <code>, <pre>, <blockquote> and <a href>, with user
data escaped by `t()` or `escape()`. Telegram sends it as HTML, WhatsApp turns it into *bold* and
_italic_, and the web chat sanitises it again before display.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal


class Markup(str):
    """Text already safe as mini HTML; `t()` does not escape it again."""

    __slots__ = ()


def escape(value: object) -> Markup:
    """Escape user data for inclusion in reply text."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=False))


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str


Keyboard = tuple[tuple[Button, ...], ...]


def keyboard(buttons: Iterable[Button], per_row: int = 2) -> Keyboard:
    """Lay buttons out `per_row` to a row, the shape phones show best."""
    items = list(buttons)
    return tuple(tuple(items[i : i + per_row]) for i in range(0, len(items), per_row))


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A message. `replaces_prompt`, in answer to a press, asks channels that can edit a sent
    message to turn the pressed prompt into this text (a decided approval card becomes the
    decision) instead of marking the choice on it and sending a new message."""

    text: str
    buttons: Keyboard = ()
    request_contact: str | None = None
    replaces_prompt: bool = False

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    data: bytes = field(repr=False)
    caption: str = ""
    filename: str = "image.png"
    mime_type: str = "image/png"


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    data: bytes = field(repr=False)
    filename: str
    caption: str = ""
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMedia:
    """A file the channel already holds (a Telegram `file_id`), sent again without downloading
    it: how an atasan sees an employee's evidence. Only for the channel that stored it; other
    channels cannot fetch it, so handlers offer those users a text instead."""

    channel: str
    file_ref: str
    kind: Literal["photo", "document"] = "photo"
    caption: str = ""


Reply = Text | Image | Document | StoredMedia
Replies = Sequence[Reply]
