"""`/cuti`: an employee records leave (no reminders meanwhile, minutes credited); an admin can
record it for anyone ("NIP 24/11-28/11"). Leave can be cancelled from the same list."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.chat.callbacks import Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Inbound, TextMessage
from bot.chat.replies import Button, Markup, Text
from bot.chat.router import Access, Router
from kinerja.approvals import ApprovalError, parse_period
from kinerja.nip import NIP_LENGTH
from kinerja.people import Role, local_now
from kinerja.services.admin_scope import scope_of
from kinerja.services.directory import person_by_nip

router = Router("leave")
START = Payload("cuti")
CANCEL = Payload("cutx", "id")
CLOSE = Payload("cutc")
FLOW = "leave"
_NIP = re.compile(rf"\b(\d{{{NIP_LENGTH}}})\b")


@router.command("cuti", "leave", access=Access.REGISTERED)
@router.button(START, access=Access.REGISTERED)
async def start(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    today = local_now(ctx.person, ctx.now()).date()
    leaves = await ctx.uow.calendar.leaves_of(ctx.person.id, today, today + timedelta(days=400))
    lines = [ctx.t("leave.ask_admin" if ctx.person.role is Role.ADMIN else "leave.ask")]
    buttons: list[tuple[Button, ...]] = []
    if leaves:
        lines.insert(0, ctx.t("leave.current"))
        for number, (leave_id, starts, ends, _note) in enumerate(leaves, 1):
            lines.insert(
                number,
                ctx.t(
                    "leave.row",
                    number=number,
                    starts=ctx.t.short_day(starts),
                    ends=ctx.t.short_day(ends),
                ),
            )
            label = ctx.t("btn.cancel_leave", number=number)
            buttons.append((Button(label, CANCEL.pack(id=leave_id)),))
    buttons.append((Button(ctx.t("btn.cancel"), CLOSE.pack()),))
    ctx.state.enter(FLOW, "period")
    return Text(text=Markup("\n".join(lines)), buttons=tuple(buttons))


@router.button(CLOSE, access=Access.REGISTERED)
async def close(ctx: ChatContext, _event: Inbound) -> Text:
    ctx.state.clear()
    return Text(text=ctx.t("chat.cancelled"), buttons=ctx.back_to_menu())


@router.button(CANCEL, access=Access.REGISTERED)
async def cancel(ctx: ChatContext, event: ButtonPress) -> Text:
    assert ctx.person is not None
    try:
        leave_id = int(CANCEL.unpack(event.payload)["id"])
    except (PayloadError, ValueError):
        return Text(text=ctx.t("leave.not_found"), buttons=ctx.back_to_menu())
    ctx.state.clear()
    if not await ctx.uow.calendar.cancel_leave(leave_id, ctx.person.id, ctx.now()):
        return Text(text=ctx.t("leave.not_found"), buttons=ctx.back_to_menu())
    await ctx.uow.audit.record(
        actor=f"employee:{ctx.person.nip}",
        actor_employee_id=ctx.person.id,
        action="leave.cancel",
        subject_type="leave",
        subject_id=str(leave_id),
    )
    return Text(text=ctx.t("leave.cancelled"), buttons=ctx.back_to_menu(), replaces_prompt=True)


@router.text(FLOW, access=Access.REGISTERED)
async def period(ctx: ChatContext, event: TextMessage) -> Text:
    """ "24/11-28/11", or for an admin "NIP 24/11-28/11"."""
    assert ctx.person is not None
    nips = _NIP.findall(event.text)
    rest = _NIP.sub(" ", event.text).strip()
    who = ctx.person
    if nips:
        if ctx.person.role is not Role.ADMIN or len(nips) > 1:
            return Text(text=ctx.t("leave.ask"))
        found = await person_by_nip(ctx.uow, nips[0])
        if found is None or not found.active:
            return Text(text=ctx.t("delegation.unknown", nip=nips[0]))
        scope = await scope_of(ctx.uow, ctx.person)
        if scope is not None and not scope.has_unit(found.unit_id):
            return Text(text=ctx.t("leave.out_of_scope", nip=nips[0]))
        who = found
    today = local_now(ctx.person, ctx.now()).date()
    try:
        starts, ends = parse_period(rest, today)
    except ApprovalError as error:
        return Text(text=ctx.t(error.code, **error.params))
    leave_id = await ctx.uow.calendar.add_leave(who.id, starts, ends, "", ctx.person.id)
    await ctx.uow.audit.record(
        actor=f"employee:{ctx.person.nip}",
        actor_employee_id=ctx.person.id,
        action="leave.add",
        subject_type="leave",
        subject_id=str(leave_id),
        detail={"employee": who.nip, "starts": starts.isoformat(), "ends": ends.isoformat()},
    )
    ctx.state.clear()
    return Text(
        text=ctx.t("leave.saved", name=who.name, starts=ctx.t.day(starts), ends=ctx.t.day(ends)),
        buttons=ctx.back_to_menu(),
    )
