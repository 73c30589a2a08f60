"""`/batal` leaves whatever flow the user is in, from anywhere."""

from __future__ import annotations

from bot.chat.context import ChatContext
from bot.chat.events import Command
from bot.chat.replies import Text
from bot.chat.router import Access, Router
from handlers.menu import main_menu

router = Router("cancel")


@router.command("batal", "cancel", access=Access.PUBLIC)
async def cancel(ctx: ChatContext, _event: Command) -> Text:
    key = "chat.cancelled" if ctx.state.flow else "chat.nothing_to_cancel"
    ctx.state.clear()
    if ctx.person is None:
        return Text(text=ctx.t(key))
    return main_menu(ctx, lead=ctx.t(key))
