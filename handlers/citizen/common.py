"""Payloads, state and small views shared by the citizen features."""

from __future__ import annotations

from bot.chat.callbacks import Payload
from bot.chat.citizen_gate import citizen_turn
from bot.chat.context import ChatContext
from bot.chat.replies import Button, Keyboard, Text, keyboard
from kinerja.citizen import QUICK_LABELS

FLOW = "citizen"
MENU = Payload("cm")
LIST = Payload("cl", "p")  # p: page of the service list, from 0
PICK = Payload("cp", "s")  # s: service id
QUICK = Payload("cq", "s", "c", "v")  # service id, counter id (0: none), score 1-4
SURVEY = Payload("cs", "r")  # start the SKM for rating r
ANSWER = Payload("ca", "r", "e", "v")  # rating, element 1-9, score 1-4
COMMENT = Payload("cc", "r")
DONE = Payload("cd")
COMPLAIN = Payload("cx", "s")  # s: service id, 0 to choose
CONSENT = Payload("cy", "v")  # v: y / n
SKIP_CONTACT = Payload("ck")
TICKETS = Payload("ct")


def menu_keyboard(ctx: ChatContext) -> Keyboard:
    return keyboard(
        [
            Button(ctx.t("btn.citizen.rate"), LIST.pack(p=0)),
            Button(ctx.t("btn.citizen.complain"), COMPLAIN.pack(s=0)),
            Button(ctx.t("btn.citizen.tickets"), TICKETS.pack()),
        ],
        per_row=1,
    )


def back(ctx: ChatContext) -> Keyboard:
    return ((Button(ctx.t("btn.citizen.menu"), MENU.pack()),),)


def citizen_menu(ctx: ChatContext, lead: str | None = None) -> Text:
    text = ctx.t("citizen.menu", agency=citizen_turn().policy.agency)
    return Text(text=f"{lead}\n\n{text}" if lead else text, buttons=menu_keyboard(ctx))


def quick_buttons(ctx: ChatContext, service_id: int, counter_id: int) -> Keyboard:
    return keyboard(
        [
            Button(
                ctx.t(f"btn.citizen.{QUICK_LABELS[v]}"),
                QUICK.pack(s=service_id, c=counter_id, v=v),
            )
            for v in (4, 3, 2, 1)
        ],
        per_row=2,
    )


async def citizen_id(ctx: ChatContext) -> int:
    return await ctx.uow.citizen.citizen_id(ctx.identity.external_id)


PAGE_SIZE = 8  # with "next" and "menu", ten rows: WhatsApp's list limit


async def service_page(ctx: ChatContext, page: int, lead: str | None = None) -> Text:
    """Active services, a page at a time; the question follows the flow (rating or complaint),
    and a pick is answered by the feature whose step it is."""
    services = await ctx.uow.citizen.services(active_only=True)
    if not services:
        return Text(text=ctx.t("citizen.no_services"), buttons=back(ctx))
    pages = (len(services) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = services[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    key = (
        "citizen.complaint.pick_service"
        if ctx.state.step == "complaint_service"
        else "citizen.pick_service"
    )
    text: str = ctx.t(key)
    if pages > 1:
        text += "\n" + ctx.t("citizen.page", page=page + 1, pages=pages)
    if lead:
        text = f"{lead}\n\n{text}"
    rows = [(Button(s.name[:40], PICK.pack(s=s.id)),) for s in shown]
    if page + 1 < pages:
        rows.append((Button(ctx.t("btn.citizen.more"), LIST.pack(p=page + 1)),))
    return Text(text=text, buttons=(*rows, *back(ctx)))
