"""Periodic evaluation use cases: who to rate, rating, objections, prompts, completion.

Every write is authorised here from facts read in the same transaction (the employee's
*current* atasan, the period's window), whatever button asked for it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kinerja.evaluation import (
    EvaluationError,
    EvaluationPolicy,
    EvaluationRecord,
    Period,
    Rating,
    StaffEvaluation,
    UnitCompletion,
    check_may_evaluate,
    check_may_object,
    clean_feedback,
    clean_objection,
    open_periods,
    parse_period,
    predikat,
)
from kinerja.people import Person, local_now
from storage.uow import UnitOfWork

PROMPT = "evaluation_prompt"
RESULT = "evaluation_result"
OBJECTION = "evaluation_objection"


def periods_open(person: Person, now: datetime, policy: EvaluationPolicy) -> list[Period]:
    today = local_now(person, now).date()
    return open_periods(today, policy.kind, policy.window_days)


def period_of(code: str) -> Period:
    try:
        return parse_period(code)
    except ValueError:
        raise EvaluationError("evaluation.missing") from None


async def staff_of(uow: UnitOfWork, atasan: Person, period: Period) -> list[StaffEvaluation]:
    return await uow.performance.staff_evaluations(atasan.id, period.code)


async def check_evaluable(
    uow: UnitOfWork,
    evaluator: Person,
    employee_id: int,
    period: Period,
    now: datetime,
    policy: EvaluationPolicy,
) -> Person:
    """The employee, if `evaluator` may rate them for `period` now; else EvaluationError."""
    employee = await uow.employees.person(employee_id)
    if employee is None or not employee.active:
        raise EvaluationError("evaluation.not_your_staff")
    supervisor = (
        await uow.employees.person_by_nip(employee.supervisor_nip)
        if employee.supervisor_nip
        else None
    )
    existing = await uow.performance.evaluation_of(employee_id, period.code)
    check_may_evaluate(
        evaluator.id,
        supervisor.id if supervisor else None,
        period,
        local_now(evaluator, now).date(),
        policy.window_days,
        already_rated=existing is not None,
    )
    return employee


async def evaluate(
    uow: UnitOfWork,
    evaluator: Person,
    employee_id: int,
    period: Period,
    hasil_kerja: Rating,
    perilaku_kerja: Rating,
    feedback: str,
    *,
    now: datetime,
    policy: EvaluationPolicy,
    channel: str,
) -> EvaluationRecord:
    """Record a rating with its predikat; the employee is told. EvaluationError says why not."""
    await check_evaluable(uow, evaluator, employee_id, period, now, policy)
    text = clean_feedback(feedback)
    result = predikat(hasil_kerja, perilaku_kerja)
    evaluation_id = await uow.performance.add_evaluation(
        employee_id=employee_id,
        evaluator_id=evaluator.id,
        period=period.code,
        hasil_kerja=hasil_kerja.value,
        perilaku_kerja=perilaku_kerja.value,
        predikat=result.value,
        feedback=text,
        at=now,
    )
    await uow.audit.record(
        actor=f"employee:{evaluator.nip}",
        actor_employee_id=evaluator.id,
        action="evaluation.create",
        subject_type="evaluation",
        subject_id=str(evaluation_id),
        detail={
            "period": period.code,
            "hasil_kerja": hasil_kerja.value,
            "perilaku_kerja": perilaku_kerja.value,
            "predikat": result.value,
            "channel": channel,
        },
    )
    await _push(uow, employee_id, RESULT, {"evaluation_id": evaluation_id}, str(evaluation_id))
    record = await uow.performance.evaluation(evaluation_id)
    assert record is not None
    return record


async def evaluation_for(
    uow: UnitOfWork, viewer: Person, evaluation_id: int
) -> EvaluationRecord | None:
    """The evaluation if `viewer` is its employee, its evaluator or its objection's reviewer."""
    record = await uow.performance.evaluation(evaluation_id)
    if record is None:
        return None
    if viewer.id in (record.employee_id, record.evaluator_id, record.reviewer_id):
        return record
    return None


async def object_to(
    uow: UnitOfWork,
    employee: Person,
    evaluation_id: int,
    reason: str,
    *,
    now: datetime,
    policy: EvaluationPolicy,
    channel: str,
) -> EvaluationRecord:
    """Lodge a keberatan; it goes to the evaluator's own atasan (admins when there is none)."""
    record = await uow.performance.evaluation(evaluation_id)
    if record is None:
        raise EvaluationError("evaluation.missing")
    check_may_object(
        employee.id,
        record.employee_id,
        period_of(record.period),
        local_now(employee, now).date(),
        policy.window_days,
        objected=record.objected_at is not None,
    )
    text = clean_objection(reason)
    evaluator = await uow.employees.person(record.evaluator_id)
    reviewer = (
        await uow.employees.person_by_nip(evaluator.supervisor_nip)
        if evaluator is not None and evaluator.supervisor_nip
        else None
    )
    reviewer_id = reviewer.id if reviewer is not None and reviewer.active else None
    if not await uow.performance.add_objection(evaluation_id, text, reviewer_id, now):
        raise EvaluationError("evaluation.objection_exists")
    await uow.audit.record(
        actor=f"employee:{employee.nip}",
        actor_employee_id=employee.id,
        action="evaluation.object",
        subject_type="evaluation",
        subject_id=str(evaluation_id),
        detail={"reason": text, "channel": channel, "reviewer_id": reviewer_id},
    )
    recipients = [reviewer_id] if reviewer_id is not None else await uow.performance.admin_ids()
    for recipient in recipients:
        await _push(
            uow, recipient, OBJECTION, {"evaluation_id": evaluation_id}, str(evaluation_id)
        )
    updated = await uow.performance.evaluation(evaluation_id)
    assert updated is not None
    return updated


async def may_review(uow: UnitOfWork, viewer: Person, record: EvaluationRecord) -> bool:
    """The objection's reviewer, or an admin when it went to admins."""
    if record.objected_at is None:
        return False
    if record.reviewer_id is not None:
        return record.reviewer_id == viewer.id
    return viewer.id in await uow.performance.admin_ids()


async def completion(uow: UnitOfWork, period: Period) -> list[UnitCompletion]:
    return await uow.performance.completion_by_unit(period.code)


async def queue_prompts(
    uow: UnitOfWork, zone: str, now: datetime, policy: EvaluationPolicy
) -> int:
    """Prompt each atasan in `zone` once per open period to rate their staff.

    The dedupe key per (purpose, chat, period) makes a daily re-run harmless; the push itself
    shows nothing once everyone is rated.
    """
    today = now.astimezone(ZoneInfo(zone)).date()
    periods = open_periods(today, policy.kind, policy.window_days)
    if not periods:
        return 0
    queued = 0
    for atasan_id in await uow.performance.supervisors_with_staff(zone):
        for period in periods:
            queued += await _push(uow, atasan_id, PROMPT, {"period": period.code}, period.code)
    return queued


async def _push(
    uow: UnitOfWork, employee_id: int, purpose: str, payload: dict[str, object], key: str
) -> int:
    queued = 0
    for identity in await uow.identities.of_employee(employee_id):
        if await uow.outbox.enqueue(
            channel=identity.channel,
            recipient=identity.external_id,
            purpose=purpose,
            payload=payload,
            dedupe_key=f"{purpose}:{identity.channel}:{identity.external_id}:{key}",
        ):
            queued += 1
    return queued
