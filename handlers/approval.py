"""Verification by the atasan: the approval card, decisions with a note, evidence, history.

Every press carries only an entry (or staff) id; who may decide is worked out again on the
server from the current roster and delegations (`kinerja.services.approvals`), so a forged,
forwarded or stale button changes nothing and is answered with the entry's current state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from bot.chat.callbacks import Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, TextMessage
from bot.chat.replies import Button, Markup, Reply, StoredMedia, Text, keyboard
from bot.chat.router import Access, Router
from handlers.activity_list import ENTRY
from kinerja.activities import Status
from kinerja.approvals import COMMON_REASONS, ApprovalError, Decision, PendingEntry
from kinerja.people import local_now
from kinerja.services import approvals

router = Router("approval")
CARD = Payload("ap", "id", "do")  # do: a Decision value
REASON = Payload("ar", "id", "do", "r")  # a common reason for Revisi/Tolak
HISTORY = Payload("ah", "id")
EVIDENCE = Payload("ae", "id")
LIST = Payload("al", "page")  # the pending list (handlers/approval_list.py)
CANCEL_NOTE = Payload("ax")
FLOW = "approval_note"
log = logging.getLogger(__name__)


# --- the card -------------------------------------------------------------------------------


def card_text(ctx: ChatContext, entry: PendingEntry) -> Markup:
    t = ctx.t
    when = (
        f"{t.clock(entry.start)}–{t.clock(entry.end)}"
        if entry.start and entry.end
        else t("activity.duration_only")
    )
    rhk = (
        t("activity.rhk_line", number=entry.rhk_number, title=entry.rhk_title)
        if entry.rhk_number is not None
        else t("activity.no_rhk")
    )
    quantity = (
        f"{t.number(entry.quantity)} {entry.quantity_unit or ''}".strip()
        if entry.quantity is not None
        else "—"
    )
    evidence = (
        t(f"activity.evidence_{entry.evidence.get('kind', 'photo')}") if entry.evidence else "—"
    )
    punctuality = t("approval.on_time" if entry.on_time is not False else "approval.late")
    return t(
        "approval.card",
        name=entry.owner_name,
        nip=entry.owner_nip,
        date=t.day(entry.work_date),
        time=when,
        minutes=entry.minutes,
        description=entry.description,
        rhk=rhk,
        quantity=quantity,
        evidence=evidence,
        punctuality=punctuality,
    )


def _outcome_line(ctx: ChatContext, entry: PendingEntry) -> Markup:
    """Who decided what and when, in the viewer's language and the viewer's clock."""
    assert ctx.person is not None
    if entry.status is Status.SUBMITTED or entry.decided_at is None:
        return ctx.t(f"approval.status.{entry.status.value}")
    at = local_now(ctx.person, entry.decided_at)
    line = ctx.t(
        f"approval.decided.{entry.status.value}",
        who=entry.decided_by_name or "—",
        when=f"{ctx.t.short_day(at.date())} {ctx.t.clock(at.time())}",
    )
    if entry.decision_note:
        line = ctx.t("approval.with_note", line=line, note=entry.decision_note)
    return line


def _decision_buttons(ctx: ChatContext, entry: PendingEntry) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(ctx.t("btn.approve"), CARD.pack(id=entry.id, do=Decision.APPROVE.value)),
            Button(ctx.t("btn.revise"), CARD.pack(id=entry.id, do=Decision.REVISE.value)),
            Button(ctx.t("btn.reject"), CARD.pack(id=entry.id, do=Decision.REJECT.value)),
        ),
        _more_buttons(ctx, entry),
    )


def _more_buttons(ctx: ChatContext, entry: PendingEntry) -> tuple[Button, ...]:
    """History always; the evidence when there is some."""
    history = Button(ctx.t("btn.history"), HISTORY.pack(id=entry.id))
    if entry.evidence:
        return (Button(ctx.t("btn.evidence"), EVIDENCE.pack(id=entry.id)), history)
    return (history,)


def card(ctx: ChatContext, entry: PendingEntry) -> Text:
    """A pending entry with its decision buttons, or a decided one showing the outcome."""
    if entry.status is Status.SUBMITTED:
        return Text(text=card_text(ctx, entry), buttons=_decision_buttons(ctx, entry))
    text = Markup(f"{card_text(ctx, entry)}\n\n{_outcome_line(ctx, entry)}")
    return Text(text=text, buttons=(_more_buttons(ctx, entry),))


@router.push(approvals.APPROVAL_CARD)
async def push_card(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    """A queued card, rendered at send time: nothing if it was decided or moved meanwhile."""
    if ctx.person is None or not ctx.person.active:
        return []
    entry = await approvals.entry_for(ctx.uow, ctx.person, int(payload["activity_id"]))
    if entry is None or entry.status is not Status.SUBMITTED:
        return []
    return [card(ctx, entry)]


@router.push(approvals.DECISION_NOTICE)
async def push_outcome(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    """Tell the owner what became of their entry; a returned one offers the fix at once."""
    if ctx.person is None:
        return []
    entry = await ctx.uow.approvals.entry(int(payload["activity_id"]))
    if entry is None or entry.owner_id != ctx.person.id or entry.status is Status.SUBMITTED:
        return []
    text = ctx.t(
        f"approval.notice.{entry.status.value}",
        date=ctx.t.day(entry.work_date),
        description=entry.description,
    )
    text = Markup(f"{text}\n{_outcome_line(ctx, entry)}")
    buttons: list[Button] = []
    if entry.status is Status.REVISION:
        buttons.append(Button(ctx.t("btn.fix"), ENTRY.pack(id=entry.id, do="edit")))
    buttons.append(Button(ctx.t("btn.history"), HISTORY.pack(id=entry.id)))
    return [Text(text=text, buttons=keyboard(buttons))]


# --- deciding -------------------------------------------------------------------------------


@router.button(CARD, access=Access.REGISTERED)
async def decide_press(ctx: ChatContext, event: ButtonPress) -> Reply:
    assert ctx.person is not None
    try:
        values = CARD.unpack(event.payload)
        activity_id, decision = int(values["id"]), Decision(values["do"])
    except (PayloadError, ValueError):
        log.warning("malformed approval payload %r from %s", event.payload, ctx.person.nip)
        return refused(ctx, "approval.missing")
    entry = await approvals.entry_for(ctx.uow, ctx.person, activity_id)
    if entry is None:
        log.warning("approval press on %s refused for %s", activity_id, ctx.person.nip)
        return refused(ctx, "approval.not_your_team")
    if entry.status is not Status.SUBMITTED:
        if ctx.state.flow == FLOW:
            ctx.state.clear()
        return _already(ctx, entry)
    if decision.needs_note:
        ctx.state.enter(FLOW, "note", id=activity_id, do=decision.value)
        reasons = [
            Button(
                ctx.t(f"btn.reason_{code}"),
                REASON.pack(id=activity_id, do=decision.value, r=code),
            )
            for code in COMMON_REASONS
        ]
        return Text(
            text=ctx.t(f"approval.ask_note.{decision.value}", name=entry.owner_name),
            buttons=(*keyboard(reasons), (Button(ctx.t("btn.cancel"), CANCEL_NOTE.pack()),)),
        )
    return await _apply(ctx, activity_id, decision, None)


@router.button(CANCEL_NOTE, access=Access.REGISTERED)
async def cancel_note(ctx: ChatContext, _event: ButtonPress) -> Text:
    ctx.state.clear()
    return Text(text=ctx.t("approval.note_cancelled"), buttons=ctx.back_to_menu())


@router.button(REASON, access=Access.REGISTERED)
async def reason_press(ctx: ChatContext, event: ButtonPress) -> Reply:
    assert ctx.person is not None
    try:
        values = REASON.unpack(event.payload)
        activity_id, decision = int(values["id"]), Decision(values["do"])
        if values["r"] not in COMMON_REASONS or not decision.needs_note:
            raise ValueError(values["r"])
    except (PayloadError, ValueError):
        return refused(ctx, "approval.missing")
    ctx.state.clear()
    note = str(ctx.t(f"approval.reason.{values['r']}"))
    return await _apply(ctx, activity_id, decision, note)


@router.text(FLOW, access=Access.REGISTERED)
async def note_text(ctx: ChatContext, event: TextMessage) -> Reply:
    activity_id = int(ctx.state.data.get("id", 0))
    try:
        decision = Decision(str(ctx.state.data.get("do")))
    except ValueError:
        ctx.state.clear()
        return Text(text=ctx.t("approval.missing"), buttons=ctx.back_to_menu())
    return await _apply(ctx, activity_id, decision, event.text, replace=False)


async def _apply(
    ctx: ChatContext,
    activity_id: int,
    decision: Decision,
    note: str | None,
    *,
    replace: bool = True,
) -> Reply:
    assert ctx.person is not None
    try:
        entry = await approvals.decide(
            ctx.uow,
            ctx.person,
            activity_id,
            decision,
            note,
            now=ctx.now(),
            policy=ctx.policy,
            channel=ctx.identity.channel,
        )
    except ApprovalError as error:
        if error.code in ("approval.note_short", "approval.note_long"):
            # Stay in the note step: the atasan just types a better note.
            return Text(text=ctx.t(error.code, **error.params))
        ctx.state.clear()
        if error.code == "approval.already_decided":
            current = await ctx.uow.approvals.entry(activity_id)
            if current is not None:
                return _already(ctx, current)
        log.warning("decision on %s refused for %s: %s", activity_id, ctx.person.nip, error)
        return refused(ctx, error.code, **error.params)
    ctx.state.clear()
    decided = card(ctx, entry)
    return Text(
        text=decided.text,
        buttons=(*decided.buttons, (Button(ctx.t("btn.next_pending"), LIST.pack(page=0)),)),
        replaces_prompt=replace,
    )


def _already(ctx: ChatContext, entry: PendingEntry) -> Text:
    """A press on a card someone already decided: show the decision, change nothing."""
    text = Markup(f"{ctx.t('approval.already_decided')}\n\n{card(ctx, entry).text}")
    return Text(text=text, buttons=ctx.back_to_menu(), replaces_prompt=True)


def refused(ctx: ChatContext, code: str, **params: object) -> Text:
    return Text(text=ctx.t(code, **params), buttons=ctx.back_to_menu())


# --- evidence -------------------------------------------------------------------------------


@router.button(EVIDENCE, access=Access.REGISTERED)
async def show_evidence(ctx: ChatContext, event: ButtonPress) -> Reply:
    """The entry's photo or document, for whoever may decide it (or its owner)."""
    assert ctx.person is not None
    try:
        activity_id = int(EVIDENCE.unpack(event.payload)["id"])
    except (PayloadError, ValueError):
        return refused(ctx, "approval.missing")
    entry = await ctx.uow.approvals.entry(activity_id)
    if entry is not None and entry.owner_id != ctx.person.id:
        entry = await approvals.entry_for(ctx.uow, ctx.person, activity_id)
    if entry is None or not entry.evidence:
        log.warning("evidence of %s refused for %s", activity_id, ctx.person.nip)
        return refused(ctx, "approval.missing")
    evidence = entry.evidence
    origin = evidence.get("channel", "")
    if origin != ctx.identity.channel or not evidence.get("file_ref"):
        return Text(
            text=ctx.t("approval.evidence_elsewhere", channel=ctx.t(_channel_key(origin))),
            buttons=ctx.back_to_menu(),
        )
    kind: Literal["photo", "document"] = (
        "document" if evidence.get("kind") == "document" else "photo"
    )
    caption = ctx.t(
        "approval.evidence_caption",
        name=entry.owner_name,
        date=ctx.t.short_day(entry.work_date),
        description=short(entry.description),
    )
    return StoredMedia(
        channel=origin, file_ref=evidence["file_ref"], kind=kind, caption=str(caption)
    )


# --- history --------------------------------------------------------------------------------


@router.button(HISTORY, access=Access.REGISTERED)
async def entry_history(ctx: ChatContext, event: ButtonPress) -> Text:
    """The entry's trail, for its owner and for whoever may decide it."""
    assert ctx.person is not None
    try:
        activity_id = int(HISTORY.unpack(event.payload)["id"])
    except (PayloadError, ValueError):
        return refused(ctx, "approval.missing")
    items = await approvals.history(ctx.uow, ctx.person, activity_id)
    if items is None:
        log.warning("history of %s refused for %s", activity_id, ctx.person.nip)
        return refused(ctx, "approval.missing")
    lines = [ctx.t("approval.history_title")]
    for item in items:
        at = local_now(ctx.person, item.at)
        line = ctx.t(
            "approval.history_row",
            when=f"{ctx.t.short_day(at.date())} {ctx.t.clock(at.time())}",
            what=ctx.t(f"audit.{item.action}"),
            who=item.actor_name or "—",
        )
        if item.note:
            line = ctx.t("approval.with_note", line=line, note=item.note)
        lines.append(line)
    return Text(text=Markup("\n".join(lines)), buttons=ctx.back_to_menu())


# --- helpers --------------------------------------------------------------------------------


def _channel_key(channel: str) -> str:
    return f"channel.{channel}" if channel in ("telegram", "whatsapp", "web") else "channel.other"


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
