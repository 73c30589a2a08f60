"""Entities back to HTML match python-telegram-bot's own `text_html` (the oracle)."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Message

from bot.channels.telegram_html import entities_to_html

CASES: list[tuple[str, list[dict[str, Any]]]] = [
    ("plain <text> & more", []),
    ("Ringkasan kegiatan\nTanggal: Rabu", [{"type": "bold", "offset": 0, "length": 18}]),
    ("tebal miring biasa", [
        {"type": "bold", "offset": 0, "length": 12},
        {"type": "italic", "offset": 6, "length": 6},
    ]),
    ("🙂 emoji lalu tebal", [{"type": "bold", "offset": 14, "length": 5}]),
    ("NIP: 199008242015032001", [{"type": "code", "offset": 5, "length": 18}]),
    ("lihat tautan", [{"type": "text_link", "offset": 6, "length": 6,
                       "url": "https://example.go.id/?a=1&b=2"}]),
    ("a < b & c > d", [{"type": "underline", "offset": 4, "length": 5}]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "entities"), CASES)
def test_matches_ptb_text_html(text: str, entities: list[dict[str, Any]]) -> None:
    message = Message.de_json(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": text,
            "entities": entities,
        },
        None,
    )
    assert message is not None
    assert entities_to_html(text, entities) == message.text_html


def test_pre_with_a_language_uses_the_bot_api_form() -> None:
    """PTB writes class="python"; the Bot API documents class="language-python"."""
    entity = {"type": "pre", "offset": 0, "length": 9, "language": "python"}
    html = entities_to_html("kode\nblok", [entity])
    assert html == '<pre><code class="language-python">kode\nblok</code></pre>'
