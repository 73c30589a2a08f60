"""The main menu: `/menu` and every "back to menu" button (`/start` is registration's)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.chat.callbacks import MAIN_MENU
from bot.chat.context import ChatContext
from bot.chat.events import Inbound
from bot.chat.replies import Text, keyboard
from bot.chat.router import Access, Router

router = Router("menu")


def main_menu(ctx: ChatContext, lead: str | None = None) -> Text:
    """The role's menu as a message, after an optional lead line."""
    person = ctx.person
    if person is None or not person.active:
        key = "auth.inactive" if person else "auth.not_registered"
        return Text(text=ctx.t(key))
    prompt = ctx.t(f"menu.prompt.{person.menu_role.value}")
    text = f"{lead}\n\n{prompt}" if lead else prompt
    return Text(text=text, buttons=keyboard(ctx.menu(), per_row=2))


def greeting(ctx: ChatContext, now: datetime | None = None) -> str:
    """ "Selamat pagi, Bapak/Ibu X" by the hour in the person's own time zone."""
    assert ctx.person is not None
    local = (now or ctx.now()).astimezone(ZoneInfo(ctx.person.timezone))
    period = "morning" if local.hour < 11 else "noon" if local.hour < 15 else "afternoon"
    if local.hour >= 18 or local.hour < 4:
        period = "evening"
    return ctx.t("menu.greeting", period=ctx.t(f"greeting.{period}"), name=ctx.person.name)


@router.command("menu", access=Access.PUBLIC)
@router.button(MAIN_MENU, access=Access.PUBLIC)
async def show_menu(ctx: ChatContext, _event: Inbound) -> Text:
    ctx.state.clear()
    if ctx.person is None or not ctx.person.active:
        return main_menu(ctx)
    return main_menu(ctx, lead=greeting(ctx))
