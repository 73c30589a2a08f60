"""A small feature that renders pushes the way real features will (e.g. an approval card)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress
from bot.chat.replies import Button, Reply, Text, escape, keyboard
from bot.chat.router import Router
from handlers import ROUTERS

CARD = Payload("tcard", "id", "choice")
CARD_PURPOSE = "test_card"
NOTICE_PURPOSE = "test_notice"


def push_router() -> Router:
    """`test_card`: a card with `choices` buttons for `id` (nothing when `obsolete`);
    `test_notice`: one line, no buttons. Pressing a card's button answers which was chosen."""
    router = Router("test_pushes")

    @router.push(CARD_PURPOSE)
    async def card(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
        if payload.get("obsolete"):
            return []
        name = ctx.person.name if ctx.person else "-"
        buttons = [
            Button(f"Pilihan {number}", CARD.pack(id=payload["id"], choice=number))
            for number in range(1, int(payload.get("choices", 2)) + 1)
        ]
        text = f"Kartu {escape(payload['id'])} untuk {escape(name)} [{ctx.language}]"
        return [Text(text=text, buttons=keyboard(buttons))]

    @router.push(NOTICE_PURPOSE)
    async def notice(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
        return [Text(text=f"Pemberitahuan {escape(payload.get('id', ''))}")]

    @router.button(CARD)
    async def chosen(ctx: ChatContext, event: ButtonPress) -> Text:
        return Text(text=f"Dipilih {escape(event.payload)}")

    return router


def routers_with_pushes() -> tuple[Router, ...]:
    return (push_router(), *ROUTERS)
