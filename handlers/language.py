"""`/bahasa`: switch between Bahasa Indonesia and English; the choice is remembered."""

from __future__ import annotations

from bot.chat.callbacks import Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Inbound
from bot.chat.replies import Button, Text
from bot.chat.router import Access, Router
from handlers.menu import main_menu
from kinerja.people import MenuRole

router = Router("language")
OPEN = Payload("lang")
CHOOSE = Payload("lang", "code")
router.menu_item("btn.language", OPEN.pack(), *MenuRole, order=80)


@router.command("bahasa", "language", access=Access.PUBLIC)
async def ask_language(ctx: ChatContext, _event: Inbound) -> Text:
    return _prompt(ctx)


@router.button(OPEN, access=Access.PUBLIC)
async def choose_language(ctx: ChatContext, event: ButtonPress) -> Text:
    try:
        code = CHOOSE.unpack(event.payload)["code"]
    except PayloadError:
        return _prompt(ctx)
    if not ctx.catalogs.supports(code):
        return _prompt(ctx)
    ctx.set_language(code)
    changed = ctx.t("language.changed")
    if ctx.person is None:
        return Text(text=changed)
    return main_menu(ctx, lead=changed)


def _prompt(ctx: ChatContext) -> Text:
    buttons = tuple(
        (Button(ctx.catalogs.text(code, "language.name"), CHOOSE.pack(code=code)),)
        for code in ctx.catalogs.languages
    )
    return Text(text=ctx.t("language.prompt"), buttons=buttons)
