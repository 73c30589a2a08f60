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


def test_webhook_reply_keyboards_equal_ptbs_serialisation() -> None:
    """The JSON keyboards of webhook replies are exactly what PTB would send for them."""
    from bot.channels.telegram import _markup, _markup_json
    from bot.chat.capabilities import TELEGRAM, WHATSAPP, present
    from bot.chat.replies import Button, Text, keyboard

    buttons = keyboard((Button(f"Pilihan {n}", f"p:{n}") for n in range(5)), per_row=2)
    replies = [
        Text(text="tombol", buttons=buttons),
        Text(text="kontak", request_contact="Bagikan nomor"),
        Text(text="polos"),
    ]
    outs = present(replies, TELEGRAM, "") + present(replies[:1], WHATSAPP, "")
    assert {out.layout for out in outs} == {"buttons", "none", "list"}
    for out in outs:
        markup = _markup(out)
        assert _markup_json(out) == (markup.to_dict() if markup else None)
