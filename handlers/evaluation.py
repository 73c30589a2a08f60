"""Periodic evaluation in chat: the atasan rates each staff member, the employee may object.

`/penilaian` lists the staff of each open period; a staff member's button leads through
hasil kerja, perilaku kerja (with the BerAKHLAK values as guidance), the predikat that follows,
and typed feedback. Every press is re-authorised on the server (`kinerja.services.evaluation`):
only the current atasan, once per period, while the period is open. The employee is told and
can lodge a keberatan, which goes to the evaluator's own atasan. Admins see completion per unit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.chat.callbacks import Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Inbound, TextMessage
from bot.chat.replies import Button, Markup, Reply, Text, keyboard
from bot.chat.router import Access, Router
from kinerja.evaluation import (
    EvaluationError,
    EvaluationPolicy,
    EvaluationRecord,
    Period,
    PeriodKind,
    Rating,
    is_open,
    latest_ended,
    policy_of,
    predikat,
)
from kinerja.people import MenuRole, Role, local_now
from kinerja.services import evaluation as service
from kinerja.services.admin_scope import scope_of

router = Router("evaluation")
LIST = Payload("el")
STAFF = Payload("es", "who", "p")
HASIL = Payload("eh", "who", "p", "h")
PERILAKU = Payload("eb", "who", "p", "h", "b")
OBJECT = Payload("eo", "id")
CANCEL = Payload("ex")
FLOW = "evaluation"
OBJECTION_FLOW = "evaluation_objection"
MAX_STAFF_BUTTONS = 30
router.menu_item("btn.evaluation", LIST.pack(), MenuRole.ATASAN, MenuRole.ADMIN, order=21)
log = logging.getLogger(__name__)


def _policy(ctx: ChatContext) -> EvaluationPolicy:
    return policy_of(ctx.policy.evaluation_period, ctx.policy.evaluation_window_days)


def period_name(ctx: ChatContext, period: Period) -> str:
    if period.kind is PeriodKind.MONTHLY:
        return str(ctx.t(f"period.month.{period.index}", year=period.year))
    if period.kind is PeriodKind.QUARTERLY:
        return str(ctx.t(f"period.quarter.{period.index}", year=period.year))
    return str(ctx.t("period.year", year=period.year))


# --- the atasan's list ----------------------------------------------------------------------


@router.command("penilaian", "evaluation", access=Access.ATASAN)
@router.button(LIST, access=Access.ATASAN)
async def overview(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    if ctx.state.flow in (FLOW, OBJECTION_FLOW):
        ctx.state.clear()
    policy = _policy(ctx)
    periods = service.periods_open(ctx.person, ctx.now(), policy)
    parts: list[str] = []
    rows: list[tuple[Button, ...]] = []
    if ctx.person.role is Role.ADMIN:
        parts.append(await _completion(ctx, periods, policy))
    if ctx.person.is_supervisor:
        if not periods:
            parts.append(ctx.t("evaluation.none_open", days=policy.window_days))
        for period in periods:
            text, buttons = await _staff_list(ctx, period)
            parts.append(text)
            rows.extend(buttons)
    return Text(text=Markup("\n\n".join(parts)), buttons=(*rows, *ctx.back_to_menu()))


async def _completion(
    ctx: ChatContext, periods: Sequence[Period], policy: EvaluationPolicy
) -> Markup:
    assert ctx.person is not None
    shown = list(periods) or [latest_ended(local_now(ctx.person, ctx.now()).date(), policy.kind)]
    lines: list[str] = []
    scope = await scope_of(ctx.uow, ctx.person)
    for period in shown:
        lines.append(ctx.t("evaluation.completion_title", period=period_name(ctx, period)))
        for unit in await service.completion(ctx.uow, period):
            if scope is not None and not scope.has_code(unit.unit_code):
                continue
            lines.append(
                ctx.t(
                    "evaluation.completion_row",
                    unit=unit.unit_code,
                    done=unit.evaluated,
                    staff=unit.staff,
                    objections=unit.objections,
                )
            )
    return Markup("\n".join(lines))


async def _staff_list(ctx: ChatContext, period: Period) -> tuple[Markup, list[tuple[Button, ...]]]:
    assert ctx.person is not None
    staff = await service.staff_of(ctx.uow, ctx.person, period)
    done = sum(1 for member in staff if member.predikat)
    lines = [
        ctx.t(
            "evaluation.period_title",
            period=period_name(ctx, period),
            done=done,
            staff=len(staff),
        )
    ]
    buttons: list[Button] = []
    for member in staff:
        if member.predikat:
            lines.append(
                ctx.t(
                    "evaluation.staff_done",
                    name=member.name,
                    predikat=ctx.t(f"predikat.{member.predikat}"),
                )
            )
        else:
            lines.append(ctx.t("evaluation.staff_todo", name=member.name))
            if len(buttons) < MAX_STAFF_BUTTONS:
                buttons.append(
                    Button(_fit(member.name), STAFF.pack(who=member.employee_id, p=period.code))
                )
    return Markup("\n".join(lines)), list(keyboard(buttons, per_row=1))


@router.push(service.PROMPT)
async def push_prompt(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    """At a period's end: the atasan's staff to rate; nothing once all are rated."""
    if ctx.person is None or not ctx.person.active:
        return []
    try:
        period = service.period_of(str(payload["period"]))
    except EvaluationError:
        return []
    text, buttons = await _staff_list(ctx, period)
    if not buttons:
        return []
    intro = ctx.t("evaluation.prompt", period=period_name(ctx, period))
    return [Text(text=Markup(f"{intro}\n\n{text}"), buttons=(*buttons, *ctx.back_to_menu()))]


# --- rating one staff member ----------------------------------------------------------------


@router.button(STAFF, access=Access.REGISTERED)
async def start_rating(ctx: ChatContext, event: ButtonPress) -> Text:
    try:
        values = STAFF.unpack(event.payload)
        employee_id = int(values["who"])
        period = service.period_of(values["p"])
    except (PayloadError, ValueError, EvaluationError):
        return _refused(ctx, "evaluation.missing")
    refusal, name = await _check(ctx, employee_id, period)
    if refusal is not None:
        return refusal
    ctx.state.enter(FLOW, "hasil", who=employee_id, p=period.code)
    buttons = [
        Button(ctx.t(f"btn.rating_{r.value}"), HASIL.pack(who=employee_id, p=period.code, h=r))
        for r in (Rating.ABOVE, Rating.MEETS, Rating.BELOW)
    ]
    return Text(
        text=ctx.t("evaluation.ask_hasil", name=name, period=period_name(ctx, period)),
        buttons=(*keyboard(buttons, per_row=1), _cancel_row(ctx)),
    )


@router.button(HASIL, access=Access.REGISTERED)
async def rate_hasil(ctx: ChatContext, event: ButtonPress) -> Text:
    try:
        values = HASIL.unpack(event.payload)
        employee_id, hasil = int(values["who"]), Rating(values["h"])
        period = service.period_of(values["p"])
    except (PayloadError, ValueError, EvaluationError):
        return _refused(ctx, "evaluation.missing")
    refusal, name = await _check(ctx, employee_id, period)
    if refusal is not None:
        return refusal
    ctx.state.enter(FLOW, "perilaku", who=employee_id, p=period.code, h=hasil.value)
    buttons = [
        Button(
            ctx.t(f"btn.rating_{r.value}"),
            PERILAKU.pack(who=employee_id, p=period.code, h=hasil.value, b=r.value),
        )
        for r in (Rating.ABOVE, Rating.MEETS, Rating.BELOW)
    ]
    text = Markup(
        f"{ctx.t('evaluation.ask_perilaku', name=name, hasil=ctx.t(f'rating.{hasil.value}'))}"
        f"\n\n{ctx.t('evaluation.berakhlak')}"
    )
    return Text(text=text, buttons=(*keyboard(buttons, per_row=1), _cancel_row(ctx)))


@router.button(PERILAKU, access=Access.REGISTERED)
async def rate_perilaku(ctx: ChatContext, event: ButtonPress) -> Text:
    try:
        values = PERILAKU.unpack(event.payload)
        employee_id = int(values["who"])
        hasil, perilaku = Rating(values["h"]), Rating(values["b"])
        period = service.period_of(values["p"])
    except (PayloadError, ValueError, EvaluationError):
        return _refused(ctx, "evaluation.missing")
    refusal, name = await _check(ctx, employee_id, period)
    if refusal is not None:
        return refusal
    ctx.state.enter(
        FLOW, "feedback", who=employee_id, p=period.code, h=hasil.value, b=perilaku.value
    )
    return Text(
        text=ctx.t(
            "evaluation.ask_feedback",
            name=name,
            hasil=ctx.t(f"rating.{hasil.value}"),
            perilaku=ctx.t(f"rating.{perilaku.value}"),
            predikat=ctx.t(f"predikat.{predikat(hasil, perilaku).value}"),
        ),
        buttons=(_cancel_row(ctx),),
    )


@router.text(FLOW, access=Access.REGISTERED)
async def feedback_text(ctx: ChatContext, event: TextMessage) -> Text:
    assert ctx.person is not None
    data = ctx.state.data
    try:
        employee_id = int(data["who"])
        period = service.period_of(str(data["p"]))
        hasil, perilaku = Rating(str(data["h"])), Rating(str(data["b"]))
    except (KeyError, ValueError, EvaluationError):
        ctx.state.clear()
        return _refused(ctx, "evaluation.missing")
    try:
        record = await service.evaluate(
            ctx.uow,
            ctx.person,
            employee_id,
            period,
            hasil,
            perilaku,
            event.text,
            now=ctx.now(),
            policy=_policy(ctx),
            channel=ctx.identity.channel,
        )
    except EvaluationError as error:
        if error.code in ("evaluation.feedback_short", "evaluation.feedback_long"):
            return Text(text=ctx.t(error.code, **error.params), buttons=(_cancel_row(ctx),))
        ctx.state.clear()
        log.warning("evaluation of %s refused for %s: %s", employee_id, ctx.person.nip, error)
        return _refused(ctx, error.code, **error.params)
    ctx.state.clear()
    employee = await ctx.uow.employees.person(employee_id)
    return Text(
        text=ctx.t(
            "evaluation.saved",
            name=employee.name if employee else "—",
            period=period_name(ctx, period),
            predikat=ctx.t(f"predikat.{record.predikat}"),
        ),
        buttons=((Button(ctx.t("btn.evaluation"), LIST.pack()),), *ctx.back_to_menu()),
    )


@router.button(CANCEL, access=Access.REGISTERED)
async def cancel(ctx: ChatContext, _event: ButtonPress) -> Text:
    ctx.state.clear()
    return Text(text=ctx.t("evaluation.cancelled"), buttons=ctx.back_to_menu())


async def _check(ctx: ChatContext, employee_id: int, period: Period) -> tuple[Text | None, str]:
    """Re-authorise a press: (a refusal, "") or (None, the employee's name)."""
    assert ctx.person is not None
    try:
        employee = await service.check_evaluable(
            ctx.uow, ctx.person, employee_id, period, ctx.now(), _policy(ctx)
        )
    except EvaluationError as error:
        if ctx.state.flow == FLOW:
            ctx.state.clear()
        log.warning(
            "evaluation press on %s refused for %s: %s", employee_id, ctx.person.nip, error
        )
        return _refused(ctx, error.code, period=period_name(ctx, period)), ""
    return None, employee.name


# --- the employee: result and objection -----------------------------------------------------


def result_text(ctx: ChatContext, record: EvaluationRecord, evaluator: str) -> Markup:
    return ctx.t(
        "evaluation.result",
        period=period_name(ctx, service.period_of(record.period)),
        evaluator=evaluator,
        hasil=ctx.t(f"rating.{record.hasil_kerja}"),
        perilaku=ctx.t(f"rating.{record.perilaku_kerja}"),
        predikat=ctx.t(f"predikat.{record.predikat}"),
        feedback=record.feedback,
    )


@router.push(service.RESULT)
async def push_result(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    if ctx.person is None:
        return []
    record = await service.evaluation_for(ctx.uow, ctx.person, int(payload["evaluation_id"]))
    if record is None or record.employee_id != ctx.person.id:
        return []
    evaluator = await ctx.uow.employees.person(record.evaluator_id)
    text = result_text(ctx, record, evaluator.name if evaluator else "—")
    buttons: tuple[tuple[Button, ...], ...] = ctx.back_to_menu()
    if record.objected_at is None:
        text = Markup(f"{text}\n\n{ctx.t('evaluation.objection_hint')}")
        buttons = ((Button(ctx.t("btn.object"), OBJECT.pack(id=record.id)),), *buttons)
    return [Text(text=text, buttons=buttons)]


@router.button(OBJECT, access=Access.REGISTERED)
async def start_objection(ctx: ChatContext, event: ButtonPress) -> Text:
    assert ctx.person is not None
    try:
        evaluation_id = int(OBJECT.unpack(event.payload)["id"])
    except (PayloadError, ValueError):
        return _refused(ctx, "evaluation.missing")
    record = await service.evaluation_for(ctx.uow, ctx.person, evaluation_id)
    if record is None or record.employee_id != ctx.person.id:
        log.warning("objection to %s refused for %s", evaluation_id, ctx.person.nip)
        return _refused(ctx, "evaluation.not_yours")
    if record.objected_at is not None:
        return _refused(ctx, "evaluation.objection_exists")
    period = service.period_of(record.period)
    today = local_now(ctx.person, ctx.now()).date()
    policy = _policy(ctx)
    if not is_open(period, today, policy.window_days):
        return _refused(ctx, "evaluation.closed", period=period_name(ctx, period))
    ctx.state.enter(OBJECTION_FLOW, "reason", id=evaluation_id)
    return Text(text=ctx.t("evaluation.ask_objection"), buttons=(_cancel_row(ctx),))


@router.text(OBJECTION_FLOW, access=Access.REGISTERED)
async def objection_text(ctx: ChatContext, event: TextMessage) -> Text:
    assert ctx.person is not None
    evaluation_id = int(ctx.state.data.get("id", 0))
    try:
        record = await service.object_to(
            ctx.uow,
            ctx.person,
            evaluation_id,
            event.text,
            now=ctx.now(),
            policy=_policy(ctx),
            channel=ctx.identity.channel,
        )
    except EvaluationError as error:
        if error.code in ("evaluation.objection_short", "evaluation.objection_long"):
            return Text(text=ctx.t(error.code, **error.params), buttons=(_cancel_row(ctx),))
        ctx.state.clear()
        return _refused(ctx, error.code, period="")
    ctx.state.clear()
    reviewer = await ctx.uow.employees.person(record.reviewer_id) if record.reviewer_id else None
    if reviewer is not None:
        text = ctx.t("evaluation.objection_sent", reviewer=reviewer.name)
    else:
        text = ctx.t("evaluation.objection_sent_admin")
    return Text(text=text, buttons=ctx.back_to_menu())


@router.push(service.OBJECTION)
async def push_objection(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
    """The reviewer (the evaluator's atasan, or admins) learns of a keberatan."""
    if ctx.person is None or not ctx.person.active:
        return []
    record = await ctx.uow.performance.evaluation(int(payload["evaluation_id"]))
    if record is None or not await service.may_review(ctx.uow, ctx.person, record):
        return []
    employee = await ctx.uow.employees.person(record.employee_id)
    evaluator = await ctx.uow.employees.person(record.evaluator_id)
    text = ctx.t(
        "evaluation.objection_notice",
        name=employee.name if employee else "—",
        nip=employee.nip if employee else "—",
        reason=record.objection or "",
    )
    body = result_text(ctx, record, evaluator.name if evaluator else "—")
    return [Text(text=Markup(f"{text}\n\n{body}"), buttons=ctx.back_to_menu())]


# --- helpers --------------------------------------------------------------------------------


def _cancel_row(ctx: ChatContext) -> tuple[Button, ...]:
    return (Button(ctx.t("btn.cancel"), CANCEL.pack()),)


def _refused(ctx: ChatContext, code: str, **params: object) -> Text:
    return Text(text=ctx.t(code, **params), buttons=ctx.back_to_menu())


def _fit(label: str, limit: int = 20) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
