"""`/tim`: an atasan's direct staff and how their day and month stand.

Today's minutes (or a flag when nothing is logged yet on a working day), the month's minutes
logged and approved, and what waits for the atasan, with a shortcut to the approvals.
"""

from __future__ import annotations

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.events import Inbound
from bot.chat.replies import Button, Markup, Text
from bot.chat.router import Access, Router
from handlers.approval import LIST
from handlers.skp import STAFF_LIST
from kinerja.people import MenuRole, local_now
from kinerja.services.approvals import team_status
from kinerja.services.calendar import calendar_of

router = Router("team")
TEAM = Payload("team")
router.menu_item("btn.team", TEAM.pack(), MenuRole.ATASAN, order=20)


@router.command("tim", "team", access=Access.ATASAN)
@router.button(TEAM, access=Access.ATASAN)
async def show_team(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    staff = await team_status(ctx.uow, ctx.person, ctx.now())
    back = ctx.back_to_menu()
    if not staff:
        return Text(text=ctx.t("team.empty"), buttons=back)
    today = local_now(ctx.person, ctx.now()).date()
    working_day = (await calendar_of(ctx.uow, ctx.person, today)).is_working_day(today)
    lines = [ctx.t("team.title", count=len(staff)), ctx.t("team.as_of", date=ctx.t.day(today))]
    for number, member in enumerate(staff, 1):
        if member.today_entries:
            day = ctx.t("team.today", minutes=member.today_minutes)
        elif working_day:
            day = ctx.t("team.today_none")
        else:
            day = ctx.t("team.today_off")
        lines.append(
            ctx.t(
                "team.status_row",
                number=number,
                name=member.name,
                nip=member.nip,
                today=day,
                month=member.month_minutes,
                approved=member.approved_minutes,
                pending=member.pending,
            )
        )
    pending = sum(member.pending for member in staff)
    row = [Button(ctx.t("btn.staff_skp"), STAFF_LIST.pack())]
    if pending:
        row.insert(0, Button(f"{ctx.t('btn.approvals')} ({pending})", LIST.pack(page=0)))
    return Text(text=Markup("\n".join(lines)), buttons=(tuple(row), *back))
