"""Last in the citizen channel: anything unanswered gets the citizen menu (never a staff
command: staff features are not in this channel's routers)."""

from __future__ import annotations

from bot.chat.context import ChatContext
from bot.chat.events import Command, Inbound, TextMessage, Unsupported
from bot.chat.replies import Text
from bot.chat.router import Access, Router
from handlers.citizen.common import FLOW, citizen_menu
from kinerja.citizen import parse_quick_rating

router = Router("citizen_fallback")


# Commands typed in the middle of a citizen flow (the catch-all matches commands only outside a
# flow): answered here too, so no staff-bot text ("ketik /bantuan") ever reaches a citizen.
@router._add(Command, Access.PUBLIC, flow=FLOW)
@router.any(access=Access.PUBLIC)
async def not_understood(ctx: ChatContext, event: Inbound) -> Text:
    if isinstance(event, Command):
        return citizen_menu(ctx, ctx.t("citizen.unknown_command"))
    if isinstance(event, TextMessage) and parse_quick_rating(event.text) is not None:
        return citizen_menu(ctx, ctx.t("citizen.rating_needs_service"))
    if isinstance(event, Unsupported):
        return citizen_menu(ctx, ctx.t("chat.unsupported"))
    return citizen_menu(ctx)
