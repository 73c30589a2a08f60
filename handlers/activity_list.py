"""Today's and this week's entries: status, minutes against the requirement, and per entry the
atasan's note and what may still be done (edit, delete, fix and resubmit).

Every press names an entry id; the server checks that the entry is the presser's own, so a
forged or forwarded payload shows nothing and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.chat.callbacks import MAIN_MENU, Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Inbound
from bot.chat.replies import Button, Text, keyboard
from bot.chat.router import Router
from handlers.activity import FLOW, LOG, TODAY, WEEK, confirm_buttons, describe
from kinerja.activities import ActivityView, Status
from kinerja.people import MenuRole, local_now
from kinerja.services.activity_log import draft_of, entries, owned, remove, week_of
from kinerja.services.calendar import calendar_of

router = Router("activity_list")
ENTRY = Payload("en", "id", "do")
ACTIONS = ("open", "edit", "del", "delok")
router.menu_item("btn.today", TODAY.pack(), *MenuRole, order=2)
log = logging.getLogger(__name__)


@router.command("hari_ini", "today")
@router.button(TODAY)
async def today(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    day = local_now(ctx.person, ctx.now()).date()
    found = await entries(ctx.uow, ctx.person, day, day)
    title = ctx.t("list.title_today", date=ctx.t.day(day))
    calendar = await calendar_of(ctx.uow, ctx.person, day)
    required = ctx.policy.daily_minutes if calendar.is_working_day(day) else 0
    return _listing(ctx, title, found, required, show_dates=False)


@router.command("pekan", "week")
@router.button(WEEK)
async def this_week(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    first, last = week_of(local_now(ctx.person, ctx.now()).date())
    found = await entries(ctx.uow, ctx.person, first, last)
    title = ctx.t("list.title_week", first=ctx.t.short_day(first), last=ctx.t.short_day(last))
    calendar = await calendar_of(ctx.uow, ctx.person, first)
    required = ctx.policy.daily_minutes * len(calendar.working_days(first, last))
    return _listing(ctx, title, found, required, show_dates=True)


@router.button(ENTRY)
async def entry_action(ctx: ChatContext, event: ButtonPress) -> Text:
    assert ctx.person is not None
    try:
        values = ENTRY.unpack(event.payload)
        activity_id, what = int(values["id"]), values["do"]
    except (PayloadError, ValueError):
        return _not_found(ctx)
    entry = await owned(ctx.uow, ctx.person, activity_id)
    if entry is None or what not in ACTIONS:
        log.warning("entry %s press %r refused for %s", activity_id, what, ctx.person.nip)
        return _not_found(ctx)
    if what == "open":
        return _card(ctx, entry)
    if not entry.status.editable:
        return Text(text=ctx.t("entry.locked"), buttons=ctx.back_to_menu())
    if what == "edit":
        draft = draft_of(entry)
        ctx.state.enter(FLOW, "confirm", draft=draft.to_state())
        return Text(text=describe(ctx, draft), buttons=confirm_buttons(ctx))
    if what == "del":
        buttons = (
            (
                Button(ctx.t("btn.confirm_delete"), ENTRY.pack(id=entry.id, do="delok")),
                Button(ctx.t("btn.cancel"), ENTRY.pack(id=entry.id, do="open")),
            ),
        )
        return Text(text=ctx.t("entry.confirm_delete"), buttons=buttons)
    await remove(ctx.uow, ctx.person, entry)
    return Text(
        text=ctx.t("entry.deleted"),
        buttons=((Button(ctx.t("btn.today"), TODAY.pack()),),),
    )


def _listing(
    ctx: ChatContext, title: str, found: list[ActivityView], required: int, *, show_dates: bool
) -> Text:
    t = ctx.t
    if not found:
        return Text(text=f"{title}\n\n{t('list.empty')}", buttons=_list_buttons(ctx, []))
    lines = [title]
    for number, entry in enumerate(found, 1):
        when = (
            f"{t.clock(entry.start)}–{t.clock(entry.end)}"
            if entry.start and entry.end
            else t("activity.duration_only")
        )
        if show_dates:
            when = f"{t.short_day(entry.work_date)} {when}"
        lines.append(
            t(
                "list.row",
                number=number,
                time=when,
                minutes=entry.minutes,
                status=t(f"status.{entry.status.value}"),
                description=_short(entry.description, 60),
            )
        )
    counted = sum(entry.minutes for entry in found if entry.status is not Status.REJECTED)
    if required:
        percent = min(999, round(100 * counted / required))
        lines.append(t("list.total", minutes=counted, required=required, percent=percent))
    else:
        lines.append(t("list.total_free", minutes=counted))
    return Text(text="\n".join(lines), buttons=_list_buttons(ctx, found))


def _list_buttons(ctx: ChatContext, found: list[ActivityView]) -> tuple[tuple[Button, ...], ...]:
    opens = [
        Button(f"{number}. {_short(entry.description, 16)}", ENTRY.pack(id=entry.id, do="open"))
        for number, entry in enumerate(found, 1)
    ]
    rows = keyboard(opens, per_row=2)
    return (
        *rows,
        (
            Button(ctx.t("btn.log"), LOG.pack()),
            Button(ctx.t("btn.week"), WEEK.pack()),
            Button(ctx.t("btn.menu"), MAIN_MENU.pack()),
        ),
    )


def _card(ctx: ChatContext, entry: ActivityView) -> Text:
    text = describe(ctx, replace(draft_of(entry), editing_id=None))
    text += "\n" + ctx.t("entry.status", status=ctx.t(f"status.{entry.status.value}"))
    if entry.decision_note and entry.status in (Status.REVISION, Status.REJECTED):
        text += "\n" + ctx.t("entry.note", note=entry.decision_note)
    if not entry.status.editable:
        return Text(text=text, buttons=ctx.back_to_menu())
    edit_key = "btn.fix" if entry.status in (Status.REVISION, Status.REJECTED) else "btn.edit"
    buttons = (
        (
            Button(ctx.t(edit_key), ENTRY.pack(id=entry.id, do="edit")),
            Button(ctx.t("btn.delete"), ENTRY.pack(id=entry.id, do="del")),
        ),
        (Button(ctx.t("btn.today"), TODAY.pack()),),
    )
    return Text(text=text, buttons=buttons)


def _not_found(ctx: ChatContext) -> Text:
    return Text(text=ctx.t("entry.not_found"), buttons=ctx.back_to_menu())


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
