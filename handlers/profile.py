"""The profile card: who the bot thinks you are (name, NIP, unit, atasan)."""

from __future__ import annotations

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.events import Inbound
from bot.chat.replies import Text
from bot.chat.router import Router
from kinerja.people import MenuRole

router = Router("profile")
PROFILE = Payload("prof")
router.menu_item("btn.profile", PROFILE.pack(), *MenuRole, order=10)


@router.command("profil", "profile")
@router.button(PROFILE)
async def show_profile(ctx: ChatContext, _event: Inbound) -> Text:
    person = ctx.person
    assert person is not None  # Access.REGISTERED guarantees it
    supervisor = (
        ctx.t("profile.supervisor", name=person.supervisor_name, nip=person.supervisor_nip)
        if person.supervisor_nip
        else ctx.t("profile.no_supervisor")
    )
    text: str = ctx.t(
        "profile.card",
        name=person.name,
        nip=person.nip,
        position=person.position or "—",
        unit=person.unit_name,
        zone=person.zone_label,
        supervisor=supervisor,
        role=ctx.t(f"role.{person.menu_role.value}"),
    )
    if person.is_supervisor:
        text += "\n" + ctx.t("profile.staff_count", count=person.staff_count)
    return Text(text=text, buttons=ctx.back_to_menu())
