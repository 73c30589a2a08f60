"""Verification use cases: prompting the atasan, deciding, batches, delegation, history.

Every decision is authorised here, on the server, from facts loaded in the same transaction
(the entry's owner, their *current* atasan, active delegations), whatever button or command
asked for it. A decision is a conditional update, so of two people pressing at once exactly
one wins and the other is told what happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kinerja.activities import WorkPolicy
from kinerja.approvals import (
    ApprovalError,
    ApprovalMode,
    Decision,
    Delegation,
    HistoryItem,
    PendingEntry,
    StaffStatus,
    check_may_decide,
    clean_note,
    is_late_in_period,
    needs_escalation,
)
from kinerja.people import Person, as_utc, local_now
from kinerja.services.calendar import calendar_for
from storage.uow import UnitOfWork

APPROVAL_CARD = "approval_card"
DECISION_NOTICE = "approval_outcome"
DIGEST = "approval_digest"
ESCALATION = "approval_escalation"


@dataclass(frozen=True, slots=True)
class BatchResult:
    approved: int
    skipped: int


async def request_decision(
    uow: UnitOfWork,
    owner: Person,
    activity_id: int,
    work_date: date,
    now: datetime,
    policy: WorkPolicy,
) -> int:
    """Queue a card for each approver who wants one now; returns how many were queued.

    Approvers on the daily digest get no card, except for entries of a month that has ended
    but not yet locked: a digest might come after the cut-off.
    """
    today = local_now(owner, now).date()
    return await _queue_cards(uow, owner.id, activity_id, work_date, today, policy)


async def handover(
    uow: UnitOfWork, employee_ids: Iterable[int], now: datetime, policy: WorkPolicy
) -> int:
    """After a roster change of atasan: the new atasan gets cards for what already waits.

    Nothing needs moving (entries are routed by the owner's *current* atasan); this only makes
    sure an atasan on instant cards hears of them. Old cards answer "not your team".
    """
    queued = 0
    for owner_id in employee_ids:
        owner = await uow.employees.person(owner_id)
        if owner is None:
            continue
        today = local_now(owner, now).date()
        for entry in await uow.activities.waiting_of(owner_id):
            queued += await _queue_cards(uow, owner_id, entry[0], entry[1], today, policy)
    return queued


async def _queue_cards(
    uow: UnitOfWork,
    owner_id: int,
    activity_id: int,
    work_date: date,
    today: date,
    policy: WorkPolicy,
) -> int:
    late = is_late_in_period(work_date, today, policy.cutoff_day)
    queued = 0
    seen: set[int] = set()
    for approver_id, mode in await uow.approvals.card_targets(owner_id, today):
        if approver_id in seen or (mode is ApprovalMode.DIGEST and not late):
            continue
        seen.add(approver_id)
        for identity in await uow.identities.of_employee(approver_id):
            await uow.outbox.enqueue(
                channel=identity.channel,
                recipient=identity.external_id,
                purpose=APPROVAL_CARD,
                payload={"activity_id": activity_id},
            )
            queued += 1
    return queued


async def approver_scope(uow: UnitOfWork, decider: Person, today: date) -> frozenset[int]:
    """The atasan whose staff `decider` may decide for today: themself and any delegators."""
    return frozenset({decider.id}) | await uow.approvals.delegators_of(decider.id, today)


async def pending(
    uow: UnitOfWork, decider: Person, now: datetime, owner_id: int | None = None
) -> list[PendingEntry]:
    today = local_now(decider, now).date()
    scope = await approver_scope(uow, decider, today)
    return await uow.approvals.pending_for(scope, owner_id)


async def entry_for(uow: UnitOfWork, decider: Person, activity_id: int) -> PendingEntry | None:
    """The entry if `decider` may see it (their staff's, now or by delegation); else None."""
    facts = await uow.approvals.facts(activity_id)
    if facts is None or facts.owner_id == decider.id:
        return None
    if facts.owner_supervisor_id != decider.id:
        delegators = {
            d.delegator_id
            for d in await uow.approvals.delegations_involving(decider.id)
            if d.delegate_id == decider.id
        }
        if facts.owner_supervisor_id not in delegators:
            return None
    return await uow.approvals.entry(activity_id)


async def decide(
    uow: UnitOfWork,
    decider: Person,
    activity_id: int,
    decision: Decision,
    note: str | None,
    *,
    now: datetime,
    policy: WorkPolicy,
    channel: str,
) -> PendingEntry:
    """Apply one decision; `ApprovalError` says why not. Returns the entry as decided."""
    facts = await uow.approvals.facts(activity_id)
    if facts is None:
        raise ApprovalError("approval.missing")
    today = local_now(decider, now).date()
    delegations: list[Delegation] = await uow.approvals.delegations_involving(decider.id)
    check_may_decide(decider.id, facts, delegations, today, policy.cutoff_day)
    text = clean_note(decision, note)
    if not await uow.approvals.decide(activity_id, decision.outcome, decider.id, text, now):
        # Someone else decided between our read and our write.
        raise ApprovalError("approval.already_decided")
    await uow.audit.record(
        actor=f"employee:{decider.nip}",
        actor_employee_id=decider.id,
        action=f"activity.{decision.outcome.value}",
        subject_type="activity",
        subject_id=str(activity_id),
        detail={"note": text, "channel": channel},
    )
    for identity in await uow.identities.of_employee(facts.owner_id):
        await uow.outbox.enqueue(
            channel=identity.channel,
            recipient=identity.external_id,
            purpose=DECISION_NOTICE,
            payload={"activity_id": activity_id},
        )
    entry = await uow.approvals.entry(activity_id)
    assert entry is not None
    return entry


async def approve_all(
    uow: UnitOfWork,
    decider: Person,
    *,
    now: datetime,
    policy: WorkPolicy,
    channel: str,
    owner_id: int | None = None,
) -> BatchResult:
    """Approve every pending entry in scope (one staff member's, or everyone's).

    Entries that cannot be approved (a closed month, decided meanwhile) are counted as skipped,
    not fatal: the rest still go through.
    """
    approved = skipped = 0
    for entry in await pending(uow, decider, now, owner_id):
        try:
            await decide(
                uow,
                decider,
                entry.id,
                Decision.APPROVE,
                None,
                now=now,
                policy=policy,
                channel=channel,
            )
            approved += 1
        except ApprovalError:
            skipped += 1
    return BatchResult(approved, skipped)


async def history(uow: UnitOfWork, viewer: Person, activity_id: int) -> list[HistoryItem] | None:
    """An entry's trail for its owner or someone who may decide it; None for anyone else."""
    facts = await uow.approvals.facts(activity_id)
    if facts is None:
        return None
    if facts.owner_id != viewer.id and await entry_for(uow, viewer, activity_id) is None:
        return None
    return await uow.approvals.history(activity_id)


async def delegate(
    uow: UnitOfWork,
    delegator: Person,
    delegate_person: Person,
    starts: date,
    ends: date,
    *,
    created_by: Person,
) -> int:
    """Let `delegate_person` decide for `delegator`'s staff from `starts` to `ends`."""
    if delegate_person.id == delegator.id:
        raise ApprovalError("approval.delegate_self")
    if not delegate_person.active:
        raise ApprovalError("approval.delegate_inactive")
    if ends < starts:
        raise ApprovalError("approval.delegate_dates")
    delegation_id = await uow.approvals.add_delegation(
        Delegation(delegator.id, delegate_person.id, starts, ends), created_by.id
    )
    await uow.audit.record(
        actor=f"employee:{created_by.nip}",
        actor_employee_id=created_by.id,
        action="delegation.create",
        subject_type="delegation",
        subject_id=str(delegation_id),
        detail={
            "delegator": delegator.nip,
            "delegate": delegate_person.nip,
            "starts": starts.isoformat(),
            "ends": ends.isoformat(),
        },
    )
    return delegation_id


async def team_status(uow: UnitOfWork, leader: Person, now: datetime) -> list[StaffStatus]:
    """The leader's direct reports: today's and this month's logging and verification."""
    today = local_now(leader, now).date()
    return await uow.approvals.team_status(leader.id, today, today.replace(day=1))


async def _push_to(
    uow: UnitOfWork, employee_id: int, purpose: str, payload: dict[str, object], period: str
) -> int:
    """Queue `purpose` to each of the employee's chats, once per (purpose, chat, period)."""
    queued = 0
    for identity in await uow.identities.of_employee(employee_id):
        key = f"{purpose}:{identity.channel}:{identity.external_id}:{period}"
        if await uow.outbox.enqueue(
            channel=identity.channel,
            recipient=identity.external_id,
            purpose=purpose,
            payload=payload,
            dedupe_key=key,
        ):
            queued += 1
    return queued


async def queue_digests(uow: UnitOfWork, zone: str, now: datetime, policy: WorkPolicy) -> int:
    """The daily digest for every atasan on it in `zone` with something waiting.

    Runs on working days only; a second run the same day queues nothing (dedupe keys).
    """
    today = now.astimezone(ZoneInfo(zone)).date()
    calendar = await calendar_for(uow, today, today)
    if not calendar.is_working_day(today):
        return 0
    queued = 0
    for approver_id in sorted(await uow.approvals.waiting_by_approver(zone)):
        queued += await _push_to(uow, approver_id, DIGEST, {}, today.isoformat())
    return queued


async def queue_escalations(
    uow: UnitOfWork, zone: str, now: datetime, policy: WorkPolicy, after_working_days: int
) -> int:
    """Remind an atasan's own atasan of entries waiting more than N working days.

    A reminder, not a decision: the next level up is told how many entries of whom wait, so
    they can follow up. Once per recipient per day.
    """
    if after_working_days <= 0:
        return 0
    local = ZoneInfo(zone)
    today = now.astimezone(local).date()
    calendar = await calendar_for(uow, today - timedelta(days=120), today)
    if not calendar.is_working_day(today):
        return 0
    overdue: dict[tuple[int, int], int] = {}
    for approver_id, upper_id, submitted_at in await uow.approvals.waiting_since(zone):
        if upper_id is None:
            continue
        submitted_on = as_utc(submitted_at).astimezone(local).date()
        if needs_escalation(submitted_on, today, after_working_days, calendar.is_working_day):
            overdue[(upper_id, approver_id)] = overdue.get((upper_id, approver_id), 0) + 1
    queued = 0
    for (upper_id, approver_id), count in sorted(overdue.items()):
        payload: dict[str, object] = {
            "approver_id": approver_id,
            "count": count,
            "days": after_working_days,
        }
        period = f"{today.isoformat()}:{approver_id}"
        queued += await _push_to(uow, upper_id, ESCALATION, payload, period)
    return queued
