"""`/pegawai` for admins: the roster at a glance (units, active staff, linked chat accounts)."""

from __future__ import annotations

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.events import Inbound
from bot.chat.replies import Text
from bot.chat.router import Access, Router
from kinerja.people import MenuRole
from kinerja.services.directory import roster_stats

router = Router("roster")
STATS = Payload("rost")
router.menu_item("btn.roster", STATS.pack(), MenuRole.ADMIN, order=30)


@router.command("pegawai", "roster", access=Access.ADMIN)
@router.button(STATS, access=Access.ADMIN)
async def show_roster_stats(ctx: ChatContext, _event: Inbound) -> Text:
    stats = await roster_stats(ctx.uow)
    return Text(
        text=ctx.t(
            "roster.stats",
            units=stats.units,
            active=stats.active_employees,
            inactive=stats.inactive_employees,
            supervisors=stats.supervisors,
            admins=stats.admins,
            linked=stats.linked_identities,
        ),
        buttons=ctx.back_to_menu(),
    )
