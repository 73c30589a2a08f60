"""Last in line: anything no feature answered gets a helpful reply with the menu."""

from __future__ import annotations

from bot.chat.context import ChatContext
from bot.chat.events import Inbound, Unsupported
from bot.chat.replies import Text
from bot.chat.router import Access, Router
from handlers.menu import main_menu

router = Router("fallback")


@router.any(access=Access.PUBLIC)
async def not_understood(ctx: ChatContext, event: Inbound) -> Text:
    if ctx.person is None or not ctx.person.active:
        return main_menu(ctx)
    if isinstance(event, Unsupported):
        key = "chat.edit_ignored" if event.kind == "edit" else "chat.unsupported"
        return main_menu(ctx, lead=ctx.t(key))
    return main_menu(ctx, lead=ctx.t("chat.unknown"))
