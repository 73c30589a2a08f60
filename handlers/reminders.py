"""Reminders as the recipient sees them: rendered when sent, so a nudge whose reason went away
(the day got logged, the entries were decided, the deadline was cancelled) is not sent.

Each reminder has a one-tap action: log now, or open the approvals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.chat.context import ChatContext
from bot.chat.replies import Button, Reply, Text
from bot.chat.router import Router
from handlers.activity import LOG, TODAY
from handlers.approval import LIST
from kinerja.people import local_now
from kinerja.reminders import month_end
from kinerja.services import reminders

router = Router("reminders")


def _log_button(ctx: ChatContext) -> tuple[Button, ...]:
    return (Button(ctx.t("btn.log_now"), LOG.pack()),)


async def _away(ctx: ChatContext) -> bool:
    """Deactivated, unlinked or on leave today: no reminder."""
    if ctx.person is None or not ctx.person.active:
        return True
    today = local_now(ctx.person, ctx.now()).date()
    return bool(await ctx.uow.calendar.leaves_of(ctx.person.id, today, today))


@router.push(reminders.DAILY)
async def push_daily(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    if await _away(ctx):
        return []
    assert ctx.person is not None
    day = date.fromisoformat(str(payload["day"]))
    if await ctx.uow.reminders.has_entry(ctx.person.id, day):
        return []
    return [Text(text=ctx.t("reminder.daily", day=ctx.t.day(day)), buttons=(_log_button(ctx),))]


@router.push(reminders.GAP)
async def push_gap(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    if await _away(ctx):
        return []
    assert ctx.person is not None
    day = date.fromisoformat(str(payload["day"]))
    if await ctx.uow.reminders.has_entry(ctx.person.id, day):
        return []
    return [
        Text(
            text=ctx.t("reminder.gap", day=ctx.t.day(day), short=ctx.t.short_day(day)),
            buttons=(_log_button(ctx),),
        )
    ]


@router.push(reminders.CLOSING)
async def push_closing(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    if await _away(ctx):
        return []
    assert ctx.person is not None
    month = date.fromisoformat(str(payload["month"]))
    deadline = date.fromisoformat(str(payload["deadline"]))
    as_atasan = payload.get("role") == "atasan"
    count = await ctx.uow.reminders.open_count(
        ctx.person.id, month, month_end(month), as_atasan=as_atasan
    )
    if not count:
        return []
    kind = "cutoff" if payload.get("kind") == "cutoff" else "month_end"
    role = "atasan" if as_atasan else "owner"
    text = ctx.t(
        f"reminder.{kind}.{role}",
        count=count,
        month=ctx.t.month(month),
        deadline=ctx.t.day(deadline),
    )
    button = (
        Button(ctx.t("btn.approvals"), LIST.pack(page=0))
        if as_atasan
        else Button(ctx.t("btn.today"), TODAY.pack())
    )
    return [Text(text=text, buttons=((button,),))]


@router.push(reminders.DEADLINE)
async def push_deadline(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    if await _away(ctx):
        return []
    assert ctx.person is not None
    deadline = await ctx.uow.reminders.deadline(int(payload["deadline_id"]))
    if deadline is None:
        return []
    if deadline.exclude_done == "skp" and await ctx.uow.reminders.has_skp(
        [ctx.person.id], deadline.due_on.year
    ):
        return []
    offset = int(payload.get("offset", 0))
    key = "reminder.deadline_today" if offset == 0 else "reminder.deadline"
    text = ctx.t(key, title=deadline.title, day=ctx.t.day(deadline.due_on), offset=offset)
    return [Text(text=text, buttons=ctx.back_to_menu())]
