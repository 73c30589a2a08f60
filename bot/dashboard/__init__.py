"""The read-only admin web dashboard at `/admin` (routes, login by chat link, templates)."""

from bot.dashboard.routes import Dashboard, Section

__all__ = ["Dashboard", "Section"]
