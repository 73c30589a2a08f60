"""`/bantuan`: what this person can do here, by role."""

from __future__ import annotations

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.events import Inbound
from bot.chat.replies import Text
from bot.chat.router import Access, Router
from kinerja.people import MenuRole

router = Router("help")
HELP = Payload("help")
router.menu_item("btn.help", HELP.pack(), *MenuRole, order=90)


@router.command("bantuan", "help", access=Access.PUBLIC)
@router.button(HELP, access=Access.PUBLIC)
async def show_help(ctx: ChatContext, _event: Inbound) -> Text:
    sections = [ctx.t("help.title"), ctx.t("help.common")]
    role = ctx.person.menu_role if ctx.person and ctx.person.active else None
    if role in (MenuRole.ATASAN, MenuRole.ADMIN):
        sections.append(ctx.t("help.atasan"))
    if role is MenuRole.ADMIN:
        sections.append(ctx.t("help.admin"))
    if role is None:
        sections.append(ctx.t("help.unregistered"))
    return Text(
        text="\n\n".join(sections),
        buttons=ctx.back_to_menu(),
    )
