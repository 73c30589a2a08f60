"""`/skp`: an SKP in chat, one's own or a staff member's, with realisation and comments.

An employee sees their SKP (RHK, indicator, target, realisation so far) and the comments their
atasan left. The atasan picks a staff member (`/skp` → *SKP staf*, `/tim`, or `/skp NIP`; an
admin by NIP), reads the same view and comments on the whole SKP or on one RHK; the employee is
told through the outbox. Every press is authorised again on the server
(`kinerja.services.skp_review`): only the current atasan or an admin sees another's SKP.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.chat.callbacks import Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Command, Inbound, TextMessage
from bot.chat.replies import Button, Markup, Reply, Text, keyboard
from bot.chat.router import Access, Router
from handlers.progress import PROGRESS, SKP
from kinerja.people import local_now
from kinerja.services import skp_review as service
from kinerja.services.skp_review import SkpView
from kinerja.skp_review import CommentItem, SkpReviewError

router = Router("skp")
STAFF_LIST = Payload("ksl")  # the atasan's staff, to pick one
VIEW = Payload("ksv", "who")  # a staff member's SKP
COMMENT = Payload("ksc", "who", "r")  # r: an RHK number, or 0 for the whole SKP
CANCEL = Payload("ksx")
FLOW = "skp_comment"
WHOLE = 0
MAX_STAFF_BUTTONS = 30
log = logging.getLogger(__name__)


@router.command("skp", access=Access.REGISTERED)
@router.button(SKP, access=Access.REGISTERED)
async def show_skp(ctx: ChatContext, event: Inbound) -> Text:
    """The own SKP; `/skp NIP` (atasan, admin) a staff member's."""
    assert ctx.person is not None
    if ctx.state.flow == FLOW:
        ctx.state.clear()
    if isinstance(event, Command) and event.args.strip():
        found = await ctx.uow.employees.person_by_nip(event.args.strip())
        return await _staff_view(ctx, found.id if found else 0)
    return await _own_view(ctx)


async def _own_view(ctx: ChatContext) -> Text:
    assert ctx.person is not None
    view = await service.own_view(ctx.uow, ctx.person, ctx.now())
    rows: list[tuple[Button, ...]] = []
    if view.rhk:
        rows.append((Button(ctx.t("btn.progress"), PROGRESS.pack()),))
    if ctx.person.is_supervisor:
        rows.append((Button(ctx.t("btn.staff_skp"), STAFF_LIST.pack()),))
    if not view.rhk and not view.comments:
        text = ctx.t("progress.no_skp", year=view.year)
    else:
        text = _skp_text(ctx, view)
    return Text(text=text, buttons=(*rows, *ctx.back_to_menu()))


@router.button(STAFF_LIST, access=Access.ATASAN)
async def staff_list(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    staff = await service.staff_of(ctx.uow, ctx.person)
    if not staff:
        return Text(text=ctx.t("skp.review.no_staff"), buttons=ctx.back_to_menu())
    buttons = [
        Button(_fit(name), VIEW.pack(who=employee_id))
        for employee_id, name in staff[:MAX_STAFF_BUTTONS]
    ]
    return Text(
        text=ctx.t("skp.review.pick", count=len(staff)),
        buttons=(*keyboard(buttons, per_row=1), *ctx.back_to_menu()),
    )


@router.button(VIEW, access=Access.REGISTERED)
async def staff_skp(ctx: ChatContext, event: ButtonPress) -> Text:
    try:
        employee_id = int(VIEW.unpack(event.payload)["who"])
    except (PayloadError, ValueError):
        return _refused(ctx, "skp.review.missing")
    if ctx.state.flow == FLOW:
        ctx.state.clear()
    return await _staff_view(ctx, employee_id)


async def _staff_view(ctx: ChatContext, employee_id: int) -> Text:
    assert ctx.person is not None
    try:
        view = await service.skp_view(ctx.uow, ctx.person, employee_id, ctx.now())
    except SkpReviewError as error:
        log.warning("SKP of %s refused for %s", employee_id, ctx.person.nip)
        return _refused(ctx, error.code)
    if view.employee.id == ctx.person.id:
        return await _own_view(ctx)
    rows: list[tuple[Button, ...]] = [
        (Button(ctx.t("btn.comment_skp"), COMMENT.pack(who=view.employee.id, r=WHOLE)),)
    ]
    rhk_buttons = [
        Button(
            ctx.t("btn.comment_rhk", number=item.number),
            COMMENT.pack(who=view.employee.id, r=item.number),
        )
        for item, _progress in view.rhk
    ]
    rows.extend(keyboard(rhk_buttons, per_row=3))
    if ctx.person.is_supervisor:
        rows.append((Button(ctx.t("btn.staff_skp"), STAFF_LIST.pack()),))
    text = Markup(f"{_skp_text(ctx, view)}\n\n{ctx.t('skp.review.comment_hint')}")
    return Text(text=text, buttons=(*rows, *ctx.back_to_menu()))


# --- commenting -----------------------------------------------------------------------------


@router.button(COMMENT, access=Access.REGISTERED)
async def start_comment(ctx: ChatContext, event: ButtonPress) -> Text:
    assert ctx.person is not None
    try:
        values = COMMENT.unpack(event.payload)
        employee_id, number = int(values["who"]), int(values["r"])
    except (PayloadError, ValueError):
        return _refused(ctx, "skp.review.missing")
    year = local_now(ctx.person, ctx.now()).year
    rhk = number or None
    try:
        employee = await service.check_commentable(ctx.uow, ctx.person, employee_id, year, rhk)
    except SkpReviewError as error:
        log.warning("SKP comment on %s refused for %s", employee_id, ctx.person.nip)
        return _refused(ctx, error.code)
    ctx.state.enter(FLOW, "text", who=employee_id, y=year, r=number)
    if rhk is None:
        prompt = ctx.t("skp.review.ask_comment", name=employee.name, year=year)
    else:
        prompt = ctx.t("skp.review.ask_comment_rhk", name=employee.name, number=rhk)
    return Text(text=prompt, buttons=((Button(ctx.t("btn.cancel"), CANCEL.pack()),),))


@router.button(CANCEL, access=Access.REGISTERED)
async def cancel(ctx: ChatContext, _event: ButtonPress) -> Text:
    ctx.state.clear()
    return Text(text=ctx.t("skp.review.cancelled"), buttons=ctx.back_to_menu())


@router.text(FLOW, access=Access.REGISTERED)
async def comment_text(ctx: ChatContext, event: TextMessage) -> Text:
    assert ctx.person is not None
    data = ctx.state.data
    try:
        employee_id, year, number = int(data["who"]), int(data["y"]), int(data["r"])
    except (KeyError, ValueError, TypeError):
        ctx.state.clear()
        return _refused(ctx, "skp.review.missing")
    try:
        await service.add_comment(
            ctx.uow,
            ctx.person,
            employee_id,
            year,
            number or None,
            event.text,
            now=ctx.now(),
            channel=ctx.identity.channel,
        )
    except SkpReviewError as error:
        if error.code in ("skp.review.comment_short", "skp.review.comment_long"):
            return Text(
                text=ctx.t(error.code, **error.params),
                buttons=((Button(ctx.t("btn.cancel"), CANCEL.pack()),),),
            )
        ctx.state.clear()
        log.warning("SKP comment on %s refused for %s", employee_id, ctx.person.nip)
        return _refused(ctx, error.code)
    ctx.state.clear()
    employee = await ctx.uow.employees.person(employee_id)
    return Text(
        text=ctx.t("skp.review.saved", name=employee.name if employee else "—"),
        buttons=(
            (Button(ctx.t("btn.back_to_skp"), VIEW.pack(who=employee_id)),),
            *ctx.back_to_menu(),
        ),
    )


@router.push(service.COMMENT)
async def push_comment(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    """The employee's notice of a comment, rendered at send time from the stored comment."""
    if ctx.person is None:
        return []
    comment = await service.comment_for(ctx.uow, ctx.person, int(payload["comment_id"]))
    if comment is None:
        return []
    text = ctx.t(
        "skp.review.notice",
        author=comment.author_name,
        year=comment.year,
        about=_about(ctx, comment),
        text=comment.text,
    )
    buttons = ((Button(ctx.t("btn.skp"), SKP.pack()),), *ctx.back_to_menu())
    return [Text(text=text, buttons=buttons)]


# --- rendering ------------------------------------------------------------------------------


def _skp_text(ctx: ChatContext, view: SkpView) -> Markup:
    lines: list[str] = [ctx.t("skp.view_title", name=view.employee.name, year=view.year)]
    for item, progress in view.rhk:
        row = ctx.t(
            "skp.view_row",
            number=item.number,
            title=item.title,
            indicator=item.indicator or "—",
            target=ctx.t.number(item.target),
            unit=item.unit,
        )
        realised = ctx.t(
            "skp.view_realised",
            approved=ctx.t.number(progress.approved),
            unit=item.unit,
            percent=ctx.t.number(progress.percent),
        )
        lines.append(f"{row}\n{realised}")
        if progress.pending:
            lines.append(
                ctx.t(
                    "progress.rhk_pending",
                    pending=ctx.t.number(progress.pending),
                    unit=item.unit,
                )
            )
    if not view.rhk:
        lines.append(ctx.t("skp.review.no_rhk", year=view.year))
    if view.comments:
        comments: list[str] = [ctx.t("skp.review.comments_title")]
        comments.extend(_comment_line(ctx, comment) for comment in view.comments)
        lines.append("\n".join(comments))
    return Markup("\n\n".join(lines))


def _comment_line(ctx: ChatContext, comment: CommentItem) -> Markup:
    assert ctx.person is not None
    return ctx.t(
        "skp.review.comment_row",
        date=ctx.t.short_day(local_now(ctx.person, comment.created_at)),
        author=comment.author_name,
        about=_about(ctx, comment),
        text=comment.text,
    )


def _about(ctx: ChatContext, comment: CommentItem) -> str:
    if comment.rhk_number is None:
        return str(ctx.t("skp.review.about_skp"))
    return str(ctx.t("skp.review.about_rhk", number=comment.rhk_number))


def _refused(ctx: ChatContext, code: str) -> Text:
    return Text(text=ctx.t(code), buttons=ctx.back_to_menu())


def _fit(label: str, limit: int = 20) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
