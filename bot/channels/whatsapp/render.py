"""Laid-out replies (`Outgoing`) as Cloud API message bodies.

The capability table (`bot.chat.capabilities.WHATSAPP`) already chose the layout: up to 3
buttons -> reply buttons, up to 10 -> a list message, more -> numbered text. Here the mini HTML
of replies becomes WhatsApp's own formatting (*bold*, _italic_, ~strike~, ```mono```), texts are
split at 4096 characters and an interactive message's body at 1024 (the text before it goes out
as plain messages first).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

from bot.chat.capabilities import Outgoing
from bot.chat.capabilities import split_text as core_split
from bot.chat.replies import Text

MAX_TEXT = 4096
MAX_BODY = 1024
MAX_BUTTON_TITLE = 20
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROWS = 10
MAX_REPLY_BUTTONS = 3
MAX_CAPTION = 1024
MAX_TEMPLATE_PARAMETER = 700

_MARKS = {"b": "*", "strong": "*", "i": "_", "em": "_", "s": "~", "del": "~", "strike": "~"}


class _ToWhatsApp(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: list[str | None] = []
        self.link_start: list[int] = []
        self.in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _MARKS:
            self.out.append(_MARKS[tag])
        elif tag == "code" and not self.in_pre:
            self.out.append("`")
        elif tag == "pre":
            self.in_pre = True
            self.out.append("```")
        elif tag == "blockquote":
            self.out.append("> ")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.link_start.append(len(self.out))
        elif tag == "br":
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _MARKS:
            self.out.append(_MARKS[tag])
        elif tag == "code" and not self.in_pre:
            self.out.append("`")
        elif tag == "pre":
            self.in_pre = False
            self.out.append("```")
        elif tag == "a" and self.href:
            href = self.href.pop()
            start = self.link_start.pop()
            label = "".join(self.out[start:])
            if href and href != label:
                self.out.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def to_whatsapp(text: str) -> str:
    """Mini HTML (`bot.chat.replies`) as WhatsApp formatted text: never longer than the input."""
    if "<" not in text and "&" not in text:
        return text
    parser = _ToWhatsApp()
    parser.feed(text)
    parser.close()
    converted = "".join(parser.out)
    # An emptied mark pair ("**") would show literally.
    return re.sub(r"(\*\*|__|~~)(?=\s|$)", "", converted)


def plain(text: str) -> str:
    """Text without any markup (template parameters, list rows)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def split_text(text: str, limit: int) -> list[str]:
    """The core's split (line breaks first), without parts that would be blank on WhatsApp."""
    return [part for part in core_split(text, limit) if part.strip()] or [text[:limit]]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_body(to: str, text: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": text, "preview_url": False},
    }


def text_messages(to: str, out: Outgoing, list_button: str) -> list[dict[str, Any]]:
    """The message bodies of one laid-out text reply, in sending order."""
    reply = out.reply
    assert isinstance(reply, Text)
    text = to_whatsapp(reply.text).strip() or "…"
    if out.layout == "buttons":
        buttons = [button for row in out.keyboard for button in row]
        if 0 < len(buttons) <= MAX_REPLY_BUTTONS:
            head, body = _split_body(text)
            action: dict[str, Any] = {
                "buttons": [
                    {
                        "type": "reply",
                        "reply": {"id": b.payload, "title": _clip(b.label, MAX_BUTTON_TITLE)},
                    }
                    for b in buttons
                ]
            }
            return [
                *(text_body(to, part) for part in head),
                _interactive(to, "button", body, action),
            ]
    if out.layout == "list" and 0 < len(out.choices) <= MAX_ROWS:
        head, body = _split_body(text)
        rows = [
            {"id": choice.payload, "title": _clip(plain(choice.label), MAX_ROW_TITLE)}
            for choice in out.choices
        ]
        action = {
            "button": _clip(list_button, MAX_BUTTON_TITLE),
            "sections": [{"rows": rows}],
        }
        return [*(text_body(to, part) for part in head), _interactive(to, "list", body, action)]
    # Plain, numbered (the numbers are in the text), or a layout this channel cannot show.
    return [text_body(to, part) for part in split_text(text, MAX_TEXT)]


def _split_body(text: str) -> tuple[list[str], str]:
    """The plain messages to send first and the interactive body (<= 1024 characters)."""
    if len(text) <= MAX_BODY:
        return [], text
    parts = split_text(text, MAX_BODY)
    head = split_text("\n".join(parts[:-1]), MAX_TEXT)
    return head, parts[-1]


def _interactive(to: str, kind: str, body: str, action: dict[str, Any]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": {"type": kind, "body": {"text": body}, "action": action},
    }


def media_body(
    to: str, kind: str, media_id: str, caption: str, filename: str = ""
) -> dict[str, Any]:
    """An image or document by uploaded media id."""
    media: dict[str, Any] = {"id": media_id}
    if caption:
        media["caption"] = _clip(to_whatsapp(caption), MAX_CAPTION)
    if kind == "document" and filename:
        media["filename"] = filename
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
        kind: media,
    }


def template_parameter(outgoing: Sequence[Outgoing]) -> str:
    """The gist of a push as one template parameter: WhatsApp refuses new lines, tabs and runs
    of more than four spaces in parameters, and the whole body must stay within 1024."""
    texts = [plain(out.reply.text) for out in outgoing if isinstance(out.reply, Text)]
    if not texts:
        captions = [getattr(out.reply, "caption", "") for out in outgoing]
        texts = [plain(caption) for caption in captions if caption]
    joined = " · ".join(
        " · ".join(line.strip() for line in t.splitlines() if line.strip()) for t in texts
    )
    joined = re.sub(r"\s+", " ", joined).strip() or "-"
    return _clip(joined, MAX_TEMPLATE_PARAMETER)


def template_body(to: str, name: str, language: str, parameter: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": name,
            "language": {"policy": "deterministic", "code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": parameter}]}],
        },
    }
