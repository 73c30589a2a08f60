"""`/siaran`: an admin writes a message, picks an audience, sees how many it reaches, and sends
it now or at a set time. The admin then gets a progress message edited in place and a final
report (`kinerja.services.broadcasts`); a broadcast not finished can be cancelled here.

Unit admins reach only their own unit and its sub-units; the service enforces it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat.callbacks import Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Inbound, TextMessage
from bot.chat.replies import Button, Markup, Reply, Text, escape
from bot.chat.router import Access, Router
from handlers import audience
from kinerja.people import MenuRole, local_now
from kinerja.reminders import (
    Audience,
    AudienceKind,
    ReminderError,
    check_broadcast,
    parse_when,
)
from kinerja.services import broadcasts

router = Router("broadcast")
START = Payload("sr")
AUDIENCE = Payload("sra", "k")
SEND = Payload("srs")
SCHEDULE = Payload("srj")
CLOSE = Payload("src")
CANCEL = Payload("srx", "id")
FLOW = "broadcast"
router.menu_item("btn.broadcast", START.pack(), MenuRole.ADMIN, order=65)
log = logging.getLogger(__name__)


@router.command("siaran", "broadcast", access=Access.ADMIN)
@router.button(START, access=Access.ADMIN)
async def start(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    scope = await ctx.uow.reminders.admin_unit_of(ctx.person.id)
    mine = await ctx.uow.reminders.broadcasts(
        broadcasts.OPEN, created_by_id=ctx.person.id if scope is not None else None
    )
    lines: list[str] = []
    buttons: list[tuple[Button, ...]] = []
    for item in mine:
        at = local_now(ctx.person, item.send_at)
        lines.append(
            ctx.t(
                "broadcast.open_row",
                id=item.id,
                when=f"{ctx.t.short_day(at.date())} {ctx.t.clock(at.time())}",
                total=item.total,
                text=_short(item.text),
            )
        )
        label = ctx.t("btn.cancel_broadcast", id=item.id)
        buttons.append((Button(label, CANCEL.pack(id=item.id)),))
    if lines:
        lines.insert(0, ctx.t("broadcast.open_title"))
        lines.append("")
    lines.append(ctx.t("broadcast.ask_text"))
    buttons.append((Button(ctx.t("btn.cancel"), CLOSE.pack()),))
    ctx.state.enter(FLOW, "text")
    return Text(text=Markup("\n".join(lines)), buttons=tuple(buttons))


@router.button(CLOSE, access=Access.ADMIN)
async def close(ctx: ChatContext, _event: Inbound) -> Text:
    ctx.state.clear()
    return Text(text=ctx.t("chat.cancelled"), buttons=ctx.back_to_menu(), replaces_prompt=True)


@router.text(FLOW, access=Access.ADMIN)
async def typed(ctx: ChatContext, event: TextMessage) -> Text:
    step = ctx.state.step
    if step == "unit":
        return await _unit_typed(ctx, event.text)
    if step == "when":
        return await _when_typed(ctx, event.text)
    if step != "text":
        return Text(text=ctx.t("broadcast.use_buttons"))
    try:
        text = check_broadcast(event.text, ctx.now(), ctx.now())
    except ReminderError as error:
        return Text(text=ctx.t(error.code, **error.params))
    ctx.state.enter(FLOW, "audience", text=text)
    return _audience_question(ctx)


AUDIENCES = (
    AudienceKind.ALL,
    AudienceKind.UNIT,
    AudienceKind.UNIT_TREE,
    AudienceKind.ATASAN,
    AudienceKind.NO_ACTIVITY,
    AudienceKind.PENDING,
)


def _audience_question(ctx: ChatContext) -> Text:
    return audience.question(ctx, "broadcast.ask_audience", AUDIENCES, AUDIENCE, CLOSE)


@router.button(AUDIENCE, access=Access.ADMIN)
async def audience_press(ctx: ChatContext, event: ButtonPress) -> Text:
    if ctx.state.flow != FLOW or "text" not in ctx.state.data:
        return Text(text=ctx.t("broadcast.expired"), buttons=ctx.back_to_menu())
    try:
        chosen = audience.pressed(ctx, AUDIENCE, event.payload)
    except (PayloadError, ValueError):
        return Text(text=ctx.t("broadcast.expired"), buttons=ctx.back_to_menu())
    if chosen is None:
        ctx.state.step = "unit"
        return Text(text=ctx.t("broadcast.ask_unit"))
    return await _preview(ctx, chosen)


async def _unit_typed(ctx: ChatContext, typed: str) -> Text:
    chosen = await audience.typed_unit(ctx, typed)
    return chosen if isinstance(chosen, Text) else await _preview(ctx, chosen)


async def _preview(ctx: ChatContext, audience: Audience) -> Text:
    try:
        people = await broadcasts.preview(ctx.uow, ctx.person, audience, ctx.now())
    except ReminderError as error:
        return Text(text=ctx.t(error.code, **error.params))
    if people == 0:
        ctx.state.step = "audience"
        return Text(
            text=Markup(f"{ctx.t('broadcast.empty_audience')}\n\n{_audience_question(ctx).text}"),
            buttons=_audience_question(ctx).buttons,
        )
    ctx.state.step = "confirm"
    ctx.state.data["audience"] = audience.to_json()
    text = ctx.t(
        "broadcast.preview",
        people=people,
        audience=ctx.t(f"broadcast.audience.{audience.kind.value}"),
        text=str(ctx.state.data["text"]),
    )
    return Text(
        text=text,
        buttons=(
            (
                Button(ctx.t("btn.send_now"), SEND.pack()),
                Button(ctx.t("btn.schedule"), SCHEDULE.pack()),
            ),
            (Button(ctx.t("btn.cancel"), CLOSE.pack()),),
        ),
    )


@router.button(SEND, access=Access.ADMIN)
async def send_now(ctx: ChatContext, _event: Inbound) -> Text:
    return await _create(ctx, None)


@router.button(SCHEDULE, access=Access.ADMIN)
async def schedule(ctx: ChatContext, _event: Inbound) -> Text:
    if ctx.state.flow != FLOW or "audience" not in ctx.state.data:
        return Text(text=ctx.t("broadcast.expired"), buttons=ctx.back_to_menu())
    ctx.state.step = "when"
    return Text(text=ctx.t("broadcast.ask_when"))


async def _when_typed(ctx: ChatContext, typed: str) -> Text:
    assert ctx.person is not None
    today = local_now(ctx.person, ctx.now()).date()
    try:
        day, hour, minute = parse_when(typed, today)
    except ReminderError as error:
        return Text(text=ctx.t(error.code, **error.params))
    zone = ZoneInfo(ctx.person.timezone)
    at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return await _create(ctx, at)


async def _create(ctx: ChatContext, send_at: datetime | None) -> Text:
    assert ctx.person is not None
    data = ctx.state.data
    if ctx.state.flow != FLOW or "audience" not in data or "text" not in data:
        return Text(text=ctx.t("broadcast.expired"), buttons=ctx.back_to_menu())
    try:
        broadcast_id, people = await broadcasts.create(
            ctx.uow,
            ctx.person,
            str(data["text"]),
            Audience.from_json(data["audience"]),
            ctx.now(),
            send_at=send_at,
            report_to=(ctx.identity.channel, ctx.identity.external_id),
        )
    except ReminderError as error:
        return Text(text=ctx.t(error.code, **error.params))
    ctx.state.clear()
    if send_at is None:
        text = ctx.t("broadcast.queued", id=broadcast_id, people=people)
    else:
        at = local_now(ctx.person, send_at)
        text = ctx.t(
            "broadcast.scheduled",
            id=broadcast_id,
            people=people,
            when=f"{ctx.t.day(at.date())} {ctx.t.clock(at.time())} {ctx.person.zone_label}",
        )
    return Text(
        text=text,
        buttons=(
            (
                Button(
                    ctx.t("btn.cancel_broadcast", id=broadcast_id), CANCEL.pack(id=broadcast_id)
                ),
            ),
            *ctx.back_to_menu(),
        ),
    )


@router.button(CANCEL, access=Access.ADMIN)
async def cancel(ctx: ChatContext, event: ButtonPress) -> Text:
    try:
        broadcast_id = int(CANCEL.unpack(event.payload)["id"])
        dropped = await broadcasts.cancel(ctx.uow, ctx.person, broadcast_id, ctx.now())
    except (PayloadError, ValueError):
        return Text(text=ctx.t("broadcast.expired"), buttons=ctx.back_to_menu())
    except ReminderError as error:
        return Text(text=ctx.t(error.code, **error.params), buttons=ctx.back_to_menu())
    return Text(
        text=ctx.t("broadcast.cancelled", id=broadcast_id, dropped=dropped),
        buttons=ctx.back_to_menu(),
    )


# --- pushes -------------------------------------------------------------------------------------


@router.push(broadcasts.BROADCAST)
async def push_broadcast(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    """The message itself: nothing if it was cancelled, or the person left or was unlinked."""
    if ctx.person is None or not ctx.person.active:
        return []
    found = await ctx.uow.reminders.broadcast(int(payload["broadcast_id"]))
    if found is None or found.status == "cancelled":
        return []
    return [Text(text=ctx.t("broadcast.message", text=escape(found.text)))]


@router.push(broadcasts.PROGRESS)
async def push_progress(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    """The admin's live report (the first one is sent, later ones edit it)."""
    found = await ctx.uow.reminders.broadcast(int(payload["broadcast_id"]))
    if found is None:
        return []
    done = await broadcasts.progress_of(ctx.uow, found)
    text = ctx.t(
        f"broadcast.progress.{found.status}",
        id=found.id,
        sent=done.sent,
        failed=done.failed,
        remaining=done.remaining,
        total=done.total,
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if found.status in broadcasts.OPEN:
        buttons = (
            (Button(ctx.t("btn.cancel_broadcast", id=found.id), CANCEL.pack(id=found.id)),),
        )
    return [Text(text=text, buttons=buttons)]


@router.push(broadcasts.REPORT)
async def push_report(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    found = await ctx.uow.reminders.broadcast(int(payload["broadcast_id"]))
    if found is None:
        return []
    done = await broadcasts.progress_of(ctx.uow, found)
    text = ctx.t(
        "broadcast.report",
        id=found.id,
        sent=done.sent,
        failed=done.failed,
        total=done.total,
        dropped=max(done.total - done.sent - done.failed, 0),
    )
    return [Text(text=text, buttons=ctx.back_to_menu())]


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
