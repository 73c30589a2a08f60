"""`/persetujuan`: what waits for the atasan, per staff member, paged, with batch approval;
the daily digest and escalation pushes, and the atasan's instant/digest preference.

Scope is worked out on the server for every press (own staff, plus a delegator's staff while a
delegation is active), so a forged staff id shows nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.chat.callbacks import Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Inbound
from bot.chat.replies import Button, Markup, Reply, Text, keyboard
from bot.chat.router import Access, Router
from handlers.approval import LIST, card, refused, short
from kinerja.approvals import ApprovalMode, PendingEntry
from kinerja.people import MenuRole
from kinerja.services import approvals

router = Router("approval_list")
OPEN = Payload("ao", "id")
STAFF = Payload("as", "who", "page")  # one staff member's pending entries
APPROVE_ALL = Payload("aa", "who")  # who: an employee id, or "all"
MODE = Payload("am", "mode")
PAGE_SIZE = 8
LABEL_MAX = 20
router.menu_item("btn.approvals", LIST.pack(page=0), MenuRole.ATASAN, order=3)
log = logging.getLogger(__name__)


# --- lists and batches ----------------------------------------------------------------------


@router.command("persetujuan", "approvals", access=Access.REGISTERED)
@router.button(LIST, access=Access.REGISTERED)
async def pending_list(ctx: ChatContext, event: Inbound) -> Text:
    """Pending entries per staff member, a page at a time, with batch approval."""
    return await _overview(ctx, _page_of(event, LIST))


@router.push(approvals.DIGEST)
async def push_digest(ctx: ChatContext, _payload: Mapping[str, Any]) -> Sequence[Reply]:
    """The daily digest: the same overview as `/persetujuan`, if anything still waits."""
    if ctx.person is None or not ctx.person.active:
        return []
    if not await approvals.pending(ctx.uow, ctx.person, ctx.now()):
        return []
    overview = await _overview(ctx, 0)
    text = Markup(f"{ctx.t('approval.digest_title')}\n{overview.text}")
    return [Text(text=text, buttons=overview.buttons)]


@router.push(approvals.ESCALATION)
async def push_escalation(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    """Tell the next level up that an atasan's staff wait; a reminder, not a decision."""
    if ctx.person is None or not ctx.person.active:
        return []
    approver = await ctx.uow.employees.person(int(payload["approver_id"]))
    if approver is None:
        return []
    text = ctx.t(
        "approval.escalation",
        name=approver.name,
        count=int(payload["count"]),
        days=int(payload["days"]),
    )
    return [Text(text=text, buttons=ctx.back_to_menu())]


async def _overview(ctx: ChatContext, page: int) -> Text:
    assert ctx.person is not None
    entries = await approvals.pending(ctx.uow, ctx.person, ctx.now())
    mode = await ctx.uow.approvals.mode_of(ctx.person.id)
    if not entries:
        return Text(
            text=ctx.t("approval.none_pending"),
            buttons=(_mode_row(ctx, mode), *ctx.back_to_menu()),
        )
    by_owner: dict[int, list[PendingEntry]] = {}
    for entry in entries:
        by_owner.setdefault(entry.owner_id, []).append(entry)
    owners = list(by_owner.items())
    pages = max(1, -(-len(owners) // PAGE_SIZE))
    page = min(page, pages - 1)
    shown = owners[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [ctx.t("approval.list_title", entries=len(entries), people=len(owners))]
    for owner_id, items in shown:
        del owner_id
        lines.append(
            ctx.t(
                "approval.list_row",
                name=items[0].owner_name,
                count=len(items),
                minutes=sum(item.minutes for item in items),
            )
        )
    if pages > 1:
        lines.append(ctx.t("approval.page", page=page + 1, pages=pages))
    staff_buttons = [
        Button(_fit(f"{items[0].owner_name} ({len(items)})"), STAFF.pack(who=owner_id, page=0))
        for owner_id, items in shown
    ]
    rows: list[tuple[Button, ...]] = [*keyboard(staff_buttons, per_row=1)]
    rows.append(_paging(ctx, LIST, page, pages))
    rows.append(
        (
            Button(
                _fit(f"{ctx.t('btn.approve_all')} ({len(entries)})"), APPROVE_ALL.pack(who="all")
            ),
        )
    )
    rows.append(_mode_row(ctx, mode))
    rows.extend(ctx.back_to_menu())
    return Text(text=Markup("\n".join(lines)), buttons=tuple(row for row in rows if row))


@router.button(STAFF, access=Access.REGISTERED)
async def staff_entries(ctx: ChatContext, event: ButtonPress) -> Text:
    """One staff member's pending entries: open one, or approve them all."""
    assert ctx.person is not None
    try:
        values = STAFF.unpack(event.payload)
        owner_id, page = int(values["who"]), max(0, int(values["page"]))
    except (PayloadError, ValueError):
        return refused(ctx, "approval.missing")
    entries = await approvals.pending(ctx.uow, ctx.person, ctx.now(), owner_id)
    if not entries:
        return Text(
            text=ctx.t("approval.none_pending_staff"),
            buttons=((Button(ctx.t("btn.back"), LIST.pack(page=0)),),),
        )
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    page = min(page, pages - 1)
    shown = entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [ctx.t("approval.staff_title", name=entries[0].owner_name, count=len(entries))]
    for number, entry in enumerate(shown, page * PAGE_SIZE + 1):
        lines.append(
            ctx.t(
                "approval.staff_row",
                number=number,
                date=ctx.t.short_day(entry.work_date),
                minutes=entry.minutes,
                description=short(entry.description),
            )
        )
    open_buttons = [
        Button(f"#{number}", OPEN.pack(id=entry.id))
        for number, entry in enumerate(shown, page * PAGE_SIZE + 1)
    ]
    rows: list[tuple[Button, ...]] = [*keyboard(open_buttons, per_row=4)]
    if pages > 1:
        rows.append(_paging(ctx, STAFF, page, pages, who=owner_id))
    label = _fit(f"{ctx.t('btn.approve_all')} ({len(entries)})")
    rows.append((Button(label, APPROVE_ALL.pack(who=owner_id)),))
    rows.append((Button(ctx.t("btn.back"), LIST.pack(page=0)),))
    return Text(text=Markup("\n".join(lines)), buttons=tuple(rows))


@router.button(OPEN, access=Access.REGISTERED)
async def open_entry(ctx: ChatContext, event: ButtonPress) -> Text:
    assert ctx.person is not None
    try:
        activity_id = int(OPEN.unpack(event.payload)["id"])
    except (PayloadError, ValueError):
        return refused(ctx, "approval.missing")
    entry = await approvals.entry_for(ctx.uow, ctx.person, activity_id)
    if entry is None:
        log.warning("open of %s refused for %s", activity_id, ctx.person.nip)
        return refused(ctx, "approval.not_your_team")
    return card(ctx, entry)


@router.button(APPROVE_ALL, access=Access.REGISTERED)
async def approve_all(ctx: ChatContext, event: ButtonPress) -> Text:
    assert ctx.person is not None
    try:
        who = APPROVE_ALL.unpack(event.payload)["who"]
        owner_id = None if who == "all" else int(who)
    except (PayloadError, ValueError):
        return refused(ctx, "approval.missing")
    result = await approvals.approve_all(
        ctx.uow,
        ctx.person,
        now=ctx.now(),
        policy=ctx.policy,
        channel=ctx.identity.channel,
        owner_id=owner_id,
    )
    text = ctx.t("approval.batch_done", approved=result.approved)
    if result.skipped:
        text = Markup(f"{text}\n{ctx.t('approval.batch_skipped', skipped=result.skipped)}")
    return Text(
        text=text,
        buttons=((Button(ctx.t("btn.approvals"), LIST.pack(page=0)),), *ctx.back_to_menu()),
    )


@router.button(MODE, access=Access.ATASAN)
async def switch_mode(ctx: ChatContext, event: ButtonPress) -> Text:
    assert ctx.person is not None
    try:
        mode = ApprovalMode(MODE.unpack(event.payload)["mode"])
    except (PayloadError, ValueError):
        return refused(ctx, "approval.missing")
    await ctx.uow.approvals.set_mode(ctx.person.id, mode)
    return Text(
        text=ctx.t(f"approval.mode_set.{mode.value}"),
        buttons=((Button(ctx.t("btn.approvals"), LIST.pack(page=0)),), *ctx.back_to_menu()),
    )


def _page_of(event: Inbound, payload: Payload) -> int:
    if isinstance(event, ButtonPress):
        try:
            return max(0, int(payload.unpack(event.payload)["page"]))
        except (PayloadError, ValueError, KeyError):
            return 0
    return 0


def _paging(
    ctx: ChatContext, payload: Payload, page: int, pages: int, **fixed: object
) -> tuple[Button, ...]:
    row: list[Button] = []
    if page > 0:
        row.append(Button(ctx.t("btn.previous"), payload.pack(page=page - 1, **fixed)))
    if page < pages - 1:
        row.append(Button(ctx.t("btn.next"), payload.pack(page=page + 1, **fixed)))
    return tuple(row)


def _mode_row(ctx: ChatContext, mode: ApprovalMode) -> tuple[Button, ...]:
    other = ApprovalMode.DIGEST if mode is ApprovalMode.INSTANT else ApprovalMode.INSTANT
    return (Button(ctx.t(f"btn.mode_{other.value}"), MODE.pack(mode=other.value)),)


def _fit(label: str) -> str:
    """Labels longer than the tightest channel allows are shortened, keeping the count."""
    if len(label) <= LABEL_MAX:
        return label
    head, _, count = label.rpartition(" (")
    if head and count:
        room = LABEL_MAX - len(count) - 3
        return f"{head[:room]}… ({count}"
    return label[: LABEL_MAX - 1] + "…"
