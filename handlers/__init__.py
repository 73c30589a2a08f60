"""Conversation features, one per module, in the order the dispatcher tries them.

Cancel comes first so `/batal` leaves any flow; the fallback comes last and answers anything left.
"""

from __future__ import annotations

from bot.chat.router import Router
from handlers import cancel, fallback, help, language, menu, profile, roster, team

ROUTERS: tuple[Router, ...] = (
    cancel.router,
    menu.router,
    help.router,
    language.router,
    profile.router,
    team.router,
    roster.router,
    fallback.router,
)
