"""Logging an activity: a guided conversation, or one line of quick form confirmed with a tap.

Guided: description -> time -> RHK -> quantity -> evidence -> summary [Simpan] [Ubah] [Batal].
Each step answers a wrong value with the reason and an example and stays where it is. The draft
lives in the conversation state, so a restart or another worker picks the conversation up.
"""

from __future__ import annotations

from datetime import date

from bot.chat.callbacks import MAIN_MENU, Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, DocumentMessage, Inbound, PhotoMessage, TextMessage
from bot.chat.replies import Button, Markup, Text, keyboard
from bot.chat.router import SKIP, HandlerResult, Router
from handlers.menu import main_menu
from kinerja.activity_text import (
    check_description,
    parse_duration,
    parse_quantity,
    parse_quick_entry,
    parse_time_range,
    parse_work_date,
)
from kinerja.errors import RuleViolation
from kinerja.people import MenuRole, local_now
from kinerja.services.activity_log import Draft, check_timing, rhk_of, submit
from kinerja.skp import RhkItem

router = Router("activity")
FLOW = "activity"
LOG = Payload("log")
TODAY = Payload("td")
WEEK = Payload("wk")
ACT = Payload("lg", "do")
PICK_RHK = Payload("lgr", "id")
FIELD = Payload("lgf", "name")
FIELDS = ("description", "time", "rhk", "quantity", "evidence")
router.menu_item("btn.log", LOG.pack(), *MenuRole, order=1)


# --- entry points --------------------------------------------------------------------------------


@router.command("catat", "log")
@router.button(LOG)
async def start_logging(ctx: ChatContext, _event: Inbound) -> Text:
    ctx.state.enter(FLOW, "description", draft=Draft().to_state())
    return _ask(ctx, "description")


@router.text(idle=True)
async def quick_form(ctx: ChatContext, event: TextMessage) -> HandlerResult:
    """One line such as `08.00-10.30 Menyusun laporan #2 3 dokumen`; other text passes on."""
    assert ctx.person is not None
    today = local_now(ctx.person, ctx.now()).date()
    try:
        entry = parse_quick_entry(event.text, today=today)
    except RuleViolation as problem:
        return Text(text=_problem(ctx, problem), buttons=ctx.back_to_menu())
    if entry is None:
        return SKIP
    draft = Draft(description=entry.description).timed(
        entry.work_date, entry.start, entry.end, entry.minutes
    )
    if entry.rhk_number is not None:
        found = await _rhk_by_number(ctx, entry.work_date.year, entry.rhk_number)
        if found is None:
            return Text(
                text=ctx.t(
                    "activity.no_rhk_number", number=entry.rhk_number, year=entry.work_date.year
                ),
                buttons=ctx.back_to_menu(),
            )
        draft = draft.with_rhk(found)
        if entry.quantity is not None:
            draft = draft.with_quantity(entry.quantity, entry.quantity_unit)
    refusal = await _timing_problem(ctx, draft)
    if refusal:
        return Text(text=refusal, buttons=ctx.back_to_menu())
    ctx.state.enter(FLOW, "confirm", draft=draft.to_state())
    return _summary(ctx, draft)


# --- the guided steps ----------------------------------------------------------------------------


@router.text(flow=FLOW)
async def typed(ctx: ChatContext, event: TextMessage) -> Text:
    step = ctx.state.step or "description"
    draft = Draft.from_state(ctx.state.data.get("draft"))
    text = event.text.strip()
    try:
        if step == "description":
            draft = draft.with_description(check_description(text))
        elif step == "time":
            draft = _parse_when(ctx, draft, text)
            refusal = await _timing_problem(ctx, draft)
            if refusal:
                return Text(text=refusal, buttons=_ask(ctx, step).buttons)
        elif step == "quantity":
            draft = draft.with_quantity(*parse_quantity(text))
        else:
            return _ask(ctx, step, hint=True)
    except RuleViolation as problem:
        # Stay on the step, with its buttons (skip, cancel) still at hand.
        return Text(text=_problem(ctx, problem), buttons=_ask(ctx, step).buttons)
    return await _advance(ctx, draft, step)


@router.photo(flow=FLOW)
@router.document(flow=FLOW)
async def evidence(ctx: ChatContext, event: PhotoMessage | DocumentMessage) -> Text:
    if ctx.state.step != "evidence":
        return _ask(ctx, ctx.state.step or "description", hint=True)
    draft = Draft.from_state(ctx.state.data.get("draft"))
    stored = {"channel": event.channel, "file_ref": event.file_ref}
    if isinstance(event, DocumentMessage):
        stored.update(kind="document", filename=event.filename)
    else:
        stored["kind"] = "photo"
    return await _advance(ctx, draft.with_evidence(stored), "evidence")


@router.button(PICK_RHK)
async def rhk_chosen(ctx: ChatContext, event: ButtonPress) -> Text:
    if ctx.state.flow != FLOW or ctx.state.step != "rhk":
        return _stale(ctx)
    try:
        rhk_id = int(PICK_RHK.unpack(event.payload)["id"])
    except (PayloadError, ValueError):
        return _stale(ctx)
    draft = Draft.from_state(ctx.state.data.get("draft"))
    assert draft.work_date is not None
    chosen = next(
        (rhk for rhk in await _rhk_list(ctx, draft.work_date.year) if rhk.id == rhk_id), None
    )
    if chosen is None:
        return _stale(ctx)
    return await _advance(ctx, draft.with_rhk(chosen), "rhk")


@router.button(FIELD)
async def change_field(ctx: ChatContext, event: ButtonPress) -> Text:
    if ctx.state.flow != FLOW:
        return _stale(ctx)
    try:
        name = FIELD.unpack(event.payload)["name"]
    except PayloadError:
        return _stale(ctx)
    if name not in FIELDS:
        return _stale(ctx)
    ctx.state.step = name
    ctx.state.data["back_to_summary"] = True
    return _ask(ctx, name)


@router.button(ACT)
async def action(ctx: ChatContext, event: ButtonPress) -> Text:
    if ctx.state.flow != FLOW:
        return _stale(ctx)
    try:
        what = ACT.unpack(event.payload)["do"]
    except PayloadError:
        return _stale(ctx)
    draft = Draft.from_state(ctx.state.data.get("draft"))
    step = ctx.state.step or "description"
    if what == "cancel":
        ctx.state.clear()
        return main_menu(ctx, lead=ctx.t("activity.cancelled"))
    if what == "norhk" and step == "rhk":
        return await _advance(ctx, draft.with_rhk(None), "rhk")
    if what == "skip" and step in ("quantity", "evidence"):
        if step == "evidence":
            draft = draft.with_evidence(None)
        return await _advance(ctx, draft, step)
    if what == "change" and step == "confirm":
        return Text(text=ctx.t("activity.choose_field"), buttons=_field_buttons(ctx))
    if what == "save" and step == "confirm":
        return await _save(ctx, draft)
    return _stale(ctx)


# --- moving through the steps --------------------------------------------------------------------


async def _advance(ctx: ChatContext, draft: Draft, done: str) -> Text:
    """Store the draft and ask the next question (or show the summary)."""
    ctx.state.data["draft"] = draft.to_state()
    if ctx.state.data.pop("back_to_summary", False) and done != "rhk":
        return _to_summary(ctx, draft)
    following = await _next_step(ctx, draft, done)
    if following == "confirm":
        return _to_summary(ctx, draft)
    ctx.state.step = following
    if following == "rhk":
        assert draft.work_date is not None
        return _ask_rhk(ctx, await _rhk_list(ctx, draft.work_date.year))
    return _ask(ctx, following)


async def _next_step(ctx: ChatContext, draft: Draft, done: str) -> str:
    order = {"description": "time", "time": "rhk", "rhk": "quantity", "quantity": "evidence"}
    following = order.get(done, "confirm")
    if following == "rhk":
        assert draft.work_date is not None
        if not await _rhk_list(ctx, draft.work_date.year):
            following = "evidence"
    if following == "quantity" and draft.rhk_id is None:
        following = "evidence"
    if following == "evidence" and ctx.state.data.get("back_to_summary"):
        return "confirm"
    return following


def _to_summary(ctx: ChatContext, draft: Draft) -> Text:
    ctx.state.data.pop("back_to_summary", None)
    ctx.state.step = "confirm"
    return _summary(ctx, draft)


async def _save(ctx: ChatContext, draft: Draft) -> Text:
    assert ctx.person is not None
    try:
        await submit(ctx.uow, ctx.person, draft, ctx.policy, ctx.now())
    except RuleViolation as problem:
        ctx.state.step = "time"
        return Text(text=_problem(ctx, problem) + "\n\n" + ctx.t("activity.ask_time"))
    ctx.state.clear()
    key = "activity.resubmitted" if draft.editing_id else "activity.saved"
    buttons = keyboard(
        [
            Button(ctx.t("btn.log_again"), LOG.pack()),
            Button(ctx.t("btn.today"), TODAY.pack()),
            Button(ctx.t("btn.menu"), MAIN_MENU.pack()),
        ],
        per_row=3,
    )
    # The summary the employee confirmed becomes the record of what was saved.
    return Text(
        text=Markup(f"{describe(ctx, draft)}\n\n{ctx.t(key)}"),
        buttons=buttons,
        replaces_prompt=True,
    )


# --- questions and summary -----------------------------------------------------------------------


def _ask(ctx: ChatContext, step: str, *, hint: bool = False) -> Text:
    cancel = Button(ctx.t("btn.cancel"), ACT.pack(do="cancel"))
    if step == "quantity":
        draft = Draft.from_state(ctx.state.data.get("draft"))
        text = ctx.t("activity.ask_quantity", unit=draft.unit or "-")
        skip = Button(ctx.t("btn.skip"), ACT.pack(do="skip"))
        return Text(text=text, buttons=((skip, cancel),))
    if step == "evidence":
        text = ctx.t("activity.evidence_hint" if hint else "activity.ask_evidence")
        skip = Button(ctx.t("btn.skip"), ACT.pack(do="skip"))
        return Text(text=text, buttons=((skip, cancel),))
    if step == "confirm":
        return Text(text=ctx.t("activity.confirm_hint"), buttons=confirm_buttons(ctx))
    if step == "rhk":
        return Text(text=ctx.t("activity.rhk_hint"), buttons=((cancel,),))
    return Text(text=ctx.t(f"activity.ask_{step}"), buttons=((cancel,),))


def _ask_rhk(ctx: ChatContext, items: list[RhkItem]) -> Text:
    buttons = [Button(_rhk_label(item), PICK_RHK.pack(id=item.id)) for item in items]
    buttons.append(Button(ctx.t("btn.no_rhk"), ACT.pack(do="norhk")))
    lines = [ctx.t("activity.ask_rhk")]
    lines += [ctx.t("activity.rhk_line", number=item.number, title=item.title) for item in items]
    return Text(text="\n".join(lines), buttons=keyboard(buttons, per_row=1))


def _rhk_label(item: RhkItem) -> str:
    """`3. Laporan keuangan…`, short enough for the tightest channel's list rows."""
    label = f"{item.number}. {item.title}"
    return label if len(label) <= 24 else label[:23] + "…"


def _summary(ctx: ChatContext, draft: Draft) -> Text:
    return Text(text=describe(ctx, draft), buttons=confirm_buttons(ctx))


def describe(ctx: ChatContext, draft: Draft) -> str:
    """The entry as a card; the list feature shows saved entries the same way."""
    assert draft.work_date is not None
    t = ctx.t
    if draft.start and draft.end:
        when = f"{t.clock(draft.start)}–{t.clock(draft.end)}"
    else:
        when = t("activity.duration_only")
    rhk = (
        t("activity.rhk_line", number=draft.rhk_number, title=draft.rhk_title)
        if draft.rhk_id
        else t("activity.no_rhk")
    )
    quantity = (
        f"{t.number(draft.quantity)} {draft.unit or ''}".strip()
        if draft.quantity is not None
        else "—"
    )
    evidence = (
        t(f"activity.evidence_{draft.evidence.get('kind', 'photo')}") if draft.evidence else "—"
    )
    title = t("activity.summary_edit" if draft.editing_id else "activity.summary_title")
    return (
        title
        + "\n"
        + t(
            "activity.summary",
            date=t.day(draft.work_date),
            time=when,
            minutes=draft.minutes,
            description=draft.description,
            rhk=rhk,
            quantity=quantity,
            evidence=evidence,
        )
    )


def confirm_buttons(ctx: ChatContext) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(ctx.t("btn.save"), ACT.pack(do="save")),
            Button(ctx.t("btn.change"), ACT.pack(do="change")),
            Button(ctx.t("btn.cancel"), ACT.pack(do="cancel")),
        ),
    )


def _field_buttons(ctx: ChatContext) -> tuple[tuple[Button, ...], ...]:
    draft = Draft.from_state(ctx.state.data.get("draft"))
    names = [name for name in FIELDS if name != "quantity" or draft.rhk_id is not None]
    buttons = [Button(ctx.t(f"btn.field_{name}"), FIELD.pack(name=name)) for name in names]
    return keyboard(buttons, per_row=2)


def _stale(ctx: ChatContext) -> Text:
    return Text(text=ctx.t("activity.stale"), buttons=ctx.back_to_menu())


def _problem(ctx: ChatContext, problem: RuleViolation) -> str:
    code = problem.code.removeprefix("activity.")
    return ctx.t(f"activity.error.{code}", **problem.params)


# --- helpers over the domain ---------------------------------------------------------------------


def _parse_when(ctx: ChatContext, draft: Draft, text: str) -> Draft:
    """`08.00-10.30`, `90 menit`, optionally after a date (`kemarin 13.00-15.00`, `21/11 …`)."""
    assert ctx.person is not None
    today = local_now(ctx.person, ctx.now()).date()
    work_date: date = today
    words = text.split()
    for size in (2, 1):
        if len(words) > size:
            head = parse_work_date(" ".join(words[:size]), today=today)
            if head is not None:
                work_date, words = head, words[size:]
                break
    rest = " ".join(words)
    try:
        start, end = parse_time_range(rest)
        return draft.timed(work_date, start, end, 0)
    except RuleViolation as range_problem:
        # "90 menit" is a duration; words without a number ("jam delapan") are a bad time.
        if any(ch.isalpha() for ch in rest) and any(ch.isdigit() for ch in rest):
            return draft.timed(work_date, None, None, parse_duration(rest))
        raise range_problem from None


async def _timing_problem(ctx: ChatContext, draft: Draft) -> str | None:
    assert ctx.person is not None
    try:
        await check_timing(ctx.uow, ctx.person, draft, ctx.policy, ctx.now())
    except RuleViolation as problem:
        return _problem(ctx, problem)
    return None


async def _rhk_list(ctx: ChatContext, year: int) -> list[RhkItem]:
    assert ctx.person is not None
    return await rhk_of(ctx.uow, ctx.person, year)


async def _rhk_by_number(ctx: ChatContext, year: int, number: int) -> RhkItem | None:
    return next((item for item in await _rhk_list(ctx, year) if item.number == number), None)
