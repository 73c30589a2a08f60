"""`/tim`: an atasan's direct staff, the people whose work they verify."""

from __future__ import annotations

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.events import Inbound
from bot.chat.replies import Text
from bot.chat.router import Access, Router
from kinerja.people import MenuRole
from kinerja.services.directory import team_of

router = Router("team")
TEAM = Payload("team")
router.menu_item("btn.team", TEAM.pack(), MenuRole.ATASAN, order=20)


@router.command("tim", "team", access=Access.ATASAN)
@router.button(TEAM, access=Access.ATASAN)
async def show_team(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    staff = await team_of(ctx.uow, ctx.person)
    back = ctx.back_to_menu()
    if not staff:
        return Text(text=ctx.t("team.empty"), buttons=back)
    lines = [ctx.t("team.title", count=len(staff))]
    lines += [
        ctx.t(
            "team.row",
            number=number,
            name=member.name,
            position=member.position or "—",
            nip=member.nip,
        )
        for number, member in enumerate(staff, 1)
    ]
    return Text(text="\n".join(lines), buttons=back)
