"""Conversation features, one per module, in the order the dispatcher tries them.

Cancel comes first so `/batal` leaves any flow; the fallback comes last and answers anything left.
"""

from __future__ import annotations

from bot.chat.router import Router
from handlers import (
    activity,
    activity_list,
    cancel,
    fallback,
    help,
    language,
    menu,
    profile,
    roster,
    start,
    team,
)

ROUTERS: tuple[Router, ...] = (
    cancel.router,
    start.router,
    menu.router,
    help.router,
    language.router,
    activity.router,
    activity_list.router,
    profile.router,
    team.router,
    roster.router,
    fallback.router,
)

# Commands offered in Telegram's menu, per language: (command, description key).
COMMANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "id": (
        ("menu", "tg.command.menu"),
        ("catat", "tg.command.log"),
        ("hari_ini", "tg.command.today"),
        ("profil", "tg.command.profile"),
        ("bahasa", "tg.command.language"),
        ("bantuan", "tg.command.help"),
        ("batal", "tg.command.cancel"),
    ),
    "en": (
        ("menu", "tg.command.menu"),
        ("log", "tg.command.log"),
        ("today", "tg.command.today"),
        ("profile", "tg.command.profile"),
        ("language", "tg.command.language"),
        ("help", "tg.command.help"),
        ("cancel", "tg.command.cancel"),
    ),
}
