"""`/delegasi`: a Plt/Plh decides an atasan's staff entries for a date range.

An atasan delegates their own verification ("NIP period"); an admin can set it for any atasan
("NIP-of-atasan NIP-of-delegate period"). Delegations can be revoked the same way.
"""

from __future__ import annotations

import logging
import re

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.events import Inbound, TextMessage
from bot.chat.replies import Button, Markup, Text
from bot.chat.router import Access, Router
from kinerja.approvals import ApprovalError, parse_period
from kinerja.nip import NIP_LENGTH
from kinerja.people import MenuRole, Person, Role, local_now
from kinerja.services import approvals
from kinerja.services.admin_scope import scope_of
from kinerja.services.directory import person_by_nip

router = Router("delegation")
START = Payload("dg")
REVOKE = Payload("dgx")
CANCEL = Payload("dgc")
router.menu_item("btn.delegation", START.pack(), MenuRole.ATASAN, order=25)
FLOW = "delegation"
_NIP = re.compile(rf"\b(\d{{{NIP_LENGTH}}})\b")
log = logging.getLogger(__name__)


def _may_delegate(person: Person | None) -> bool:
    return person is not None and (person.is_supervisor or person.role is Role.ADMIN)


@router.command("delegasi", "delegation", access=Access.ATASAN)
@router.button(START, access=Access.ATASAN)
async def start(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    today = local_now(ctx.person, ctx.now()).date()
    current = [
        d for d in await ctx.uow.approvals.delegations_involving(ctx.person.id) if d.ends >= today
    ]
    lines = []
    for delegation in current:
        other_id = (
            delegation.delegate_id
            if delegation.delegator_id == ctx.person.id
            else delegation.delegator_id
        )
        other = await ctx.uow.employees.person(other_id)
        key = (
            "delegation.row_given"
            if delegation.delegator_id == ctx.person.id
            else "delegation.row_received"
        )
        lines.append(
            ctx.t(
                key,
                name=other.name if other else "—",
                starts=ctx.t.short_day(delegation.starts),
                ends=ctx.t.short_day(delegation.ends),
            )
        )
    ctx.state.enter(FLOW, "ask")
    hint = "delegation.ask_admin" if ctx.person.role is Role.ADMIN else "delegation.ask"
    text = ctx.t(hint)
    if lines:
        text = Markup("\n".join([ctx.t("delegation.current"), *lines, "", text]))
    buttons: list[tuple[Button, ...]] = []
    if any(d.delegator_id == ctx.person.id for d in current):
        buttons.append((Button(ctx.t("btn.revoke"), REVOKE.pack()),))
    buttons.append((Button(ctx.t("btn.cancel"), CANCEL.pack()),))
    return Text(text=text, buttons=tuple(buttons))


@router.button(CANCEL, access=Access.ATASAN)
async def cancel(ctx: ChatContext, _event: Inbound) -> Text:
    ctx.state.clear()
    return Text(text=ctx.t("chat.cancelled"), buttons=ctx.back_to_menu())


@router.button(REVOKE, access=Access.ATASAN)
async def revoke(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    count = await ctx.uow.approvals.revoke_delegations(ctx.person.id, ctx.now())
    ctx.state.clear()
    await ctx.uow.audit.record(
        actor=f"employee:{ctx.person.nip}",
        actor_employee_id=ctx.person.id,
        action="delegation.revoke",
        subject_type="delegation",
        detail={"count": count},
    )
    return Text(text=ctx.t("delegation.revoked", count=count), buttons=ctx.back_to_menu())


@router.text(FLOW, access=Access.ATASAN)
async def answer(ctx: ChatContext, event: TextMessage) -> Text:
    """ "NIP period", or for an admin "NIP-of-atasan NIP-of-delegate period"."""
    assert ctx.person is not None
    nips = _NIP.findall(event.text)
    rest = _NIP.sub(" ", event.text).strip()
    is_admin = ctx.person.role is Role.ADMIN
    if len(nips) == 1 and _may_delegate(ctx.person):
        delegator = ctx.person
        delegate_nip = nips[0]
    elif len(nips) == 2 and is_admin:
        found = await person_by_nip(ctx.uow, nips[0])
        if found is None or not found.is_supervisor:
            return Text(text=ctx.t("delegation.not_atasan", nip=nips[0]))
        scope = await scope_of(ctx.uow, ctx.person)
        if scope is not None and not scope.has_unit(found.unit_id):
            return Text(text=ctx.t("delegation.out_of_scope", nip=nips[0]))
        delegator, delegate_nip = found, nips[1]
    else:
        return Text(text=ctx.t("delegation.ask_admin" if is_admin else "delegation.ask"))
    delegate = await person_by_nip(ctx.uow, delegate_nip)
    if delegate is None:
        return Text(text=ctx.t("delegation.unknown", nip=delegate_nip))
    today = local_now(ctx.person, ctx.now()).date()
    try:
        starts, ends = parse_period(rest, today)
        await approvals.delegate(ctx.uow, delegator, delegate, starts, ends, created_by=ctx.person)
    except ApprovalError as error:
        return Text(text=ctx.t(error.code, **error.params))
    ctx.state.clear()
    return Text(
        text=ctx.t(
            "delegation.done",
            delegate=delegate.name,
            delegator=delegator.name,
            starts=ctx.t.day(starts),
            ends=ctx.t.day(ends),
        ),
        buttons=ctx.back_to_menu(),
    )
