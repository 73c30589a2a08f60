"""What each channel can show, and how a reply degrades to fit it.

A reply's buttons become, in order of preference: buttons on the message; a list (WhatsApp's list
message); or numbered lines the user answers by typing the number. Long text is split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.chat.replies import (
    Button,
    Document,
    Image,
    Keyboard,
    Reply,
    StoredMedia,
    Text,
    escape,
)

MAX_TEXT = 4096


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Limits of one channel (DESIGN.md section 4)."""

    name: str
    max_buttons: int
    max_per_row: int
    max_button_label: int
    max_list_rows: int = 0
    max_list_label: int = 0
    max_text: int = MAX_TEXT
    max_caption: int = 1024
    contact_request: bool = False


TELEGRAM = Capabilities(
    "telegram", max_buttons=100, max_per_row=8, max_button_label=64, contact_request=True
)
WHATSAPP = Capabilities(
    "whatsapp",
    max_buttons=3,
    max_per_row=1,
    max_button_label=20,
    max_list_rows=10,
    max_list_label=24,
)
WEB = Capabilities("web", max_buttons=24, max_per_row=4, max_button_label=40)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply laid out for one channel.

    `layout` says how its choices are shown: `buttons` (rows in `keyboard`), `list` (one list of
    `choices`) or `numbered` (the numbers are in the text; `choices` maps them back).
    """

    reply: Reply
    layout: Literal["none", "buttons", "list", "numbered"] = "none"
    keyboard: Keyboard = ()
    choices: tuple[Button, ...] = ()


def present(replies: Sequence[Reply], caps: Capabilities, number_hint: str) -> list[Outgoing]:
    """Lay out every reply for `caps`; `number_hint` is the localised "answer with a number"."""
    out: list[Outgoing] = []
    for reply in replies:
        if isinstance(reply, Text):
            out.extend(_present_text(reply, caps, number_hint))
        else:
            out.append(Outgoing(_fit_caption(reply, caps)))
    return out


def _fit_caption(
    reply: Image | Document | StoredMedia, caps: Capabilities
) -> Image | Document | StoredMedia:
    if len(reply.caption) <= caps.max_caption:
        return reply
    return replace(reply, caption=reply.caption[: caps.max_caption - 1] + "…")


def _present_text(reply: Text, caps: Capabilities, number_hint: str) -> list[Outgoing]:
    buttons = reply.all_buttons()
    if not buttons:
        return [Outgoing(part) for part in _split(reply, caps.max_text)]
    labels = [button.label for button in buttons]
    unique = len(set(labels)) == len(labels)
    if (
        len(buttons) <= caps.max_buttons
        and unique
        and all(len(label) <= caps.max_button_label for label in labels)
    ):
        rows = _fit_rows(reply.buttons, caps.max_per_row)
        *head, last = _split(reply, caps.max_text)
        return [Outgoing(part) for part in head] + [Outgoing(last, "buttons", rows)]
    if (
        len(buttons) <= caps.max_list_rows
        and unique
        and all(len(label) <= caps.max_list_label for label in labels)
    ):
        *head, last = _split(reply, caps.max_text)
        return [Outgoing(part) for part in head] + [Outgoing(last, "list", (), tuple(buttons))]
    lines = [f"{number}. {escape(button.label)}" for number, button in enumerate(buttons, 1)]
    numbered = replace(reply, text=f"{reply.text}\n\n" + "\n".join(lines) + f"\n\n{number_hint}")
    *head, last = _split(numbered, caps.max_text)
    return [Outgoing(part) for part in head] + [Outgoing(last, "numbered", (), tuple(buttons))]


def _fit_rows(rows: Keyboard, per_row: int) -> Keyboard:
    fitted: list[tuple[Button, ...]] = []
    for row in rows:
        fitted.extend(tuple(row[i : i + per_row]) for i in range(0, len(row), per_row))
    return tuple(fitted)


def _split(reply: Text, limit: int) -> list[Text]:
    """Split at line breaks (or hard, for one huge line) so no part exceeds `limit`.

    Only the last part keeps the buttons and the contact request.
    """
    if len(reply.text) <= limit:
        return [reply]
    parts = split_text(reply.text, limit)
    bare = Text(text="")
    return [replace(bare, text=part) for part in parts[:-1]] + [replace(reply, text=parts[-1])]


def split_text(text: str, limit: int) -> list[str]:
    """Split at line breaks (hard, within a line longer than `limit`) so no part exceeds it."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts
