"""`/kalender` for admins of the whole organisation (a unit admin's days off would change
everyone's calendar): the days off admins added or corrected, and changing them in chat.

24/12/2026 Cuti bersama        an extra day off
masuk 24/12/2026 Tetap masuk   a packaged holiday that is worked
hapus 24/12/2026               back to the packaged calendar
"""

from __future__ import annotations

from datetime import date

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.events import Inbound, TextMessage
from bot.chat.replies import Button, Markup, Text
from bot.chat.router import Access, Router
from kinerja.calendar import DayKind
from kinerja.people import MenuRole, local_now
from kinerja.reminders import ReminderError, parse_day

router = Router("calendar_admin")
START = Payload("kal")
CLOSE = Payload("kalc")
FLOW = "calendar"
MAX_NAME = 200
router.menu_item("btn.calendar", START.pack(), MenuRole.ADMIN, order=70, access=Access.ORG_ADMIN)


@router.command("kalender", "calendar", access=Access.ORG_ADMIN)
@router.button(START, access=Access.ORG_ADMIN)
async def start(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    today = local_now(ctx.person, ctx.now()).date()
    entries = await ctx.uow.calendar.corrections(today, date(today.year + 1, 12, 31))
    lines: list[str] = [ctx.t("calendar.title")]
    for entry in entries:
        lines.append(
            ctx.t(
                f"calendar.row.{entry.kind.value}",
                day=ctx.t.day(entry.day),
                name=entry.name,
            )
        )
    if not entries:
        lines.append(ctx.t("calendar.none"))
    lines.extend(("", ctx.t("calendar.help")))
    ctx.state.enter(FLOW, "edit")
    return Text(
        text=Markup("\n".join(lines)), buttons=((Button(ctx.t("btn.done"), CLOSE.pack()),),)
    )


@router.button(CLOSE, access=Access.ORG_ADMIN)
async def close(ctx: ChatContext, _event: Inbound) -> Text:
    ctx.state.clear()
    return Text(text=ctx.t("calendar.closed"), buttons=ctx.back_to_menu())


@router.text(FLOW, access=Access.ORG_ADMIN)
async def edit(ctx: ChatContext, event: TextMessage) -> Text:
    assert ctx.person is not None
    today = local_now(ctx.person, ctx.now()).date()
    words = event.text.strip().split(maxsplit=1)
    if not words:
        return Text(text=ctx.t("calendar.help"))
    command = words[0].lower()
    try:
        if command in ("hapus", "remove"):
            day = parse_day(words[1] if len(words) > 1 else "", today)
            removed = await ctx.uow.calendar.remove_day(day)
            key = "calendar.removed" if removed else "calendar.not_found"
            await _audit(ctx, "calendar.remove", day, "")
            return Text(text=ctx.t(key, day=ctx.t.day(day)))
        kind = DayKind.DAY_OFF
        rest = event.text.strip()
        if command in ("masuk", "worked"):
            kind = DayKind.WORKED
            rest = words[1] if len(words) > 1 else ""
        head, _, name = rest.partition(" ")
        day = parse_day(head, today)
    except ReminderError as error:
        return Text(text=ctx.t(error.code, **error.params))
    name = name.strip()[:MAX_NAME] or str(ctx.t(f"calendar.default_name.{kind.value}"))
    await ctx.uow.calendar.set_day(day, kind, name, ctx.person.id)
    await _audit(ctx, "calendar.set", day, kind.value)
    return Text(text=ctx.t(f"calendar.saved.{kind.value}", day=ctx.t.day(day), name=name))


async def _audit(ctx: ChatContext, action: str, day: date, kind: str) -> None:
    assert ctx.person is not None
    await ctx.uow.audit.record(
        actor=f"employee:{ctx.person.nip}",
        actor_employee_id=ctx.person.id,
        action=action,
        subject_type="calendar_day",
        subject_id=day.isoformat(),
        detail={"kind": kind},
    )
