"""The citizen channel's features, in the order its dispatcher tries them.

A separate tuple from `handlers.ROUTERS`: the citizen bot cannot reach a staff command and the
staff bot cannot reach a citizen flow, because neither dispatcher holds the other's routers.
"""

from __future__ import annotations

from bot.chat.router import Router
from handlers.citizen import complaint, fallback, rating

CITIZEN_ROUTERS: tuple[Router, ...] = (
    complaint.router,
    rating.router,
    fallback.router,
)

CITIZEN_COMMANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "id": (
        ("start", "citizen.command.start"),
        ("pengaduan", "citizen.command.complaint"),
        ("tiket", "citizen.command.ticket"),
        ("batal", "citizen.command.cancel"),
    ),
    "en": (
        ("start", "citizen.command.start"),
        ("complaint", "citizen.command.complaint"),
        ("ticket", "citizen.command.ticket"),
        ("cancel", "citizen.command.cancel"),
    ),
}
