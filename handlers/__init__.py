"""Conversation features, one per module, in the order the dispatcher tries them.

Cancel comes first so `/batal` leaves any flow; the fallback comes last and answers anything left.
"""

from __future__ import annotations

from bot.chat.router import Router
from handlers import (
    activity,
    activity_list,
    approval,
    approval_list,
    broadcast,
    calendar_admin,
    cancel,
    citizen_admin,
    dashboard_login,
    deadline,
    delegation,
    evaluation,
    fallback,
    help,
    language,
    leave,
    menu,
    profile,
    progress,
    reminders,
    report,
    roster,
    skp,
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
    approval.router,
    approval_list.router,
    delegation.router,
    profile.router,
    team.router,
    roster.router,
    leave.router,
    calendar_admin.router,
    broadcast.router,
    deadline.router,
    reminders.router,
    progress.router,
    skp.router,
    evaluation.router,
    report.router,
    dashboard_login.router,
    citizen_admin.router,
    fallback.router,
)

# Commands offered in Telegram's menu, per language: (command, description key).
COMMANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "id": (
        ("menu", "tg.command.menu"),
        ("catat", "tg.command.log"),
        ("hari_ini", "tg.command.today"),
        ("profil", "tg.command.profile"),
        ("persetujuan", "tg.command.approvals"),
        ("capaian", "tg.command.progress"),
        ("penilaian", "tg.command.evaluation"),
        ("laporan", "tg.command.report"),
        ("delegasi", "tg.command.delegation"),
        ("cuti", "tg.command.leave"),
        ("bahasa", "tg.command.language"),
        ("bantuan", "tg.command.help"),
        ("batal", "tg.command.cancel"),
    ),
    "en": (
        ("menu", "tg.command.menu"),
        ("log", "tg.command.log"),
        ("today", "tg.command.today"),
        ("profile", "tg.command.profile"),
        ("approvals", "tg.command.approvals"),
        ("progress", "tg.command.progress"),
        ("evaluation", "tg.command.evaluation"),
        ("report", "tg.command.report"),
        ("delegation", "tg.command.delegation"),
        ("leave", "tg.command.leave"),
        ("language", "tg.command.language"),
        ("help", "tg.command.help"),
        ("cancel", "tg.command.cancel"),
    ),
}
