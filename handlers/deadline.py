"""`/tenggat`: an admin sets a deadline from the phone (title and date, then who it is for)
and the reminder jobs nudge that audience at H-7, H-3, H-1 and on the day, skipping days off;
upcoming deadlines are listed with a button to cancel each. `kinerja deadline` is the CLI.

Unit admins set deadlines for their own unit tree and see only their own; the service
(`kinerja.services.deadlines`) checks it on every step, whatever button was pressed.
"""

from __future__ import annotations

from datetime import date

from bot.chat.callbacks import Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Inbound, TextMessage
from bot.chat.replies import Button, Markup, Text
from bot.chat.router import Access, Router
from handlers import audience
from kinerja.people import MenuRole, local_now
from kinerja.reminders import Audience, ReminderError
from kinerja.services import deadlines

router = Router("deadline")
START = Payload("tg")
AUDIENCE = Payload("tga", "k")
SAVE = Payload("tgs", "x")  # x: 1 skips people who already have this year's SKP
CLOSE = Payload("tgc")
CANCEL = Payload("tgx", "id")
FLOW = "deadline"
router.menu_item("btn.deadline", START.pack(), MenuRole.ADMIN, order=66)


@router.command("tenggat", "deadline", access=Access.ADMIN)
@router.button(START, access=Access.ADMIN)
async def start(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    today = local_now(ctx.person, ctx.now()).date()
    lines: list[str] = []
    buttons: list[tuple[Button, ...]] = []
    for item in await deadlines.visible(ctx.uow, ctx.person, today):
        offsets = ", ".join(f"H-{offset}" if offset else "H" for offset in item.offsets)
        lines.append(
            ctx.t(
                "deadline.row",
                id=item.id,
                day=ctx.t.day(item.due_on),
                title=item.title,
                at=offsets,
            )
        )
        buttons.append(
            (Button(ctx.t("btn.cancel_deadline", id=item.id), CANCEL.pack(id=item.id)),)
        )
    lines.insert(0, ctx.t("deadline.list_title") if lines else ctx.t("deadline.none"))
    lines.append("")
    lines.append(ctx.t("deadline.ask"))
    buttons.append((Button(ctx.t("btn.cancel"), CLOSE.pack()),))
    ctx.state.enter(FLOW, "title")
    return Text(text=Markup("\n".join(lines)), buttons=tuple(buttons))


@router.button(CLOSE, access=Access.ADMIN)
async def close(ctx: ChatContext, _event: Inbound) -> Text:
    ctx.state.clear()
    return Text(text=ctx.t("chat.cancelled"), buttons=ctx.back_to_menu(), replaces_prompt=True)


@router.text(FLOW, access=Access.ADMIN)
async def typed(ctx: ChatContext, event: TextMessage) -> Text:
    assert ctx.person is not None
    if ctx.state.step == "unit":
        return await _unit_typed(ctx, event.text)
    if ctx.state.step != "title":
        return Text(text=ctx.t("broadcast.use_buttons"))
    today = local_now(ctx.person, ctx.now()).date()
    try:
        title, due = deadlines.parse_deadline(event.text, today)
    except ReminderError as error:
        return Text(text=ctx.t(error.code, **error.params))
    ctx.state.enter(FLOW, "audience", title=title, due=due.isoformat())
    return _audience_question(ctx)


def _audience_question(ctx: ChatContext) -> Text:
    return audience.question(ctx, "deadline.ask_audience", deadlines.AUDIENCES, AUDIENCE, CLOSE)


@router.button(AUDIENCE, access=Access.ADMIN)
async def audience_press(ctx: ChatContext, event: ButtonPress) -> Text:
    if ctx.state.flow != FLOW or "title" not in ctx.state.data:
        return Text(text=ctx.t("deadline.expired"), buttons=ctx.back_to_menu())
    try:
        chosen = audience.pressed(ctx, AUDIENCE, event.payload)
    except (PayloadError, ValueError):
        return Text(text=ctx.t("deadline.expired"), buttons=ctx.back_to_menu())
    if chosen is None:
        ctx.state.step = "unit"
        return Text(text=ctx.t("broadcast.ask_unit"))
    return await _preview(ctx, chosen)


async def _unit_typed(ctx: ChatContext, typed: str) -> Text:
    chosen = await audience.typed_unit(ctx, typed)
    return chosen if isinstance(chosen, Text) else await _preview(ctx, chosen)


async def _preview(ctx: ChatContext, audience: Audience) -> Text:
    assert ctx.person is not None
    try:
        people = await deadlines.reach(ctx.uow, ctx.person, audience, ctx.now())
    except ReminderError as error:
        return Text(text=ctx.t(error.code, **error.params))
    ctx.state.step = "confirm"
    ctx.state.data["audience"] = audience.to_json()
    return Text(
        text=ctx.t(
            "deadline.preview",
            title=str(ctx.state.data["title"]),
            day=ctx.t.day(_due(ctx)),
            audience=ctx.t(f"broadcast.audience.{audience.kind.value}"),
            people=people,
        ),
        buttons=(
            (Button(ctx.t("btn.save"), SAVE.pack(x="0")),),
            (Button(ctx.t("btn.save_skip_skp"), SAVE.pack(x="1")),),
            (Button(ctx.t("btn.cancel"), CLOSE.pack()),),
        ),
    )


@router.button(SAVE, access=Access.ADMIN)
async def save(ctx: ChatContext, event: ButtonPress) -> Text:
    assert ctx.person is not None
    data = ctx.state.data
    if ctx.state.flow != FLOW or not {"title", "due", "audience"} <= data.keys():
        return Text(text=ctx.t("deadline.expired"), buttons=ctx.back_to_menu())
    try:
        skip = SAVE.unpack(event.payload)["x"] == "1"
        deadline_id = await deadlines.create(
            ctx.uow,
            ctx.person,
            str(data["title"]),
            _due(ctx),
            Audience.from_json(data["audience"]),
            ctx.now(),
            skip_with_skp=skip,
        )
    except (PayloadError, ValueError):
        return Text(text=ctx.t("deadline.expired"), buttons=ctx.back_to_menu())
    except ReminderError as error:
        return Text(text=ctx.t(error.code, **error.params), buttons=ctx.back_to_menu())
    ctx.state.clear()
    return Text(
        text=ctx.t("deadline.saved", id=deadline_id, title=str(data["title"])),
        buttons=(
            (Button(ctx.t("btn.cancel_deadline", id=deadline_id), CANCEL.pack(id=deadline_id)),),
            *ctx.back_to_menu(),
        ),
        replaces_prompt=True,
    )


@router.button(CANCEL, access=Access.ADMIN)
async def cancel(ctx: ChatContext, event: ButtonPress) -> Text:
    assert ctx.person is not None
    try:
        deadline_id = int(CANCEL.unpack(event.payload)["id"])
        await deadlines.cancel(ctx.uow, ctx.person, deadline_id, ctx.now())
    except (PayloadError, ValueError):
        return Text(text=ctx.t("deadline.expired"), buttons=ctx.back_to_menu())
    except ReminderError as error:
        return Text(text=ctx.t(error.code, **error.params), buttons=ctx.back_to_menu())
    return Text(text=ctx.t("deadline.cancelled", id=deadline_id), buttons=ctx.back_to_menu())


def _due(ctx: ChatContext) -> date:
    return date.fromisoformat(str(ctx.state.data["due"]))
