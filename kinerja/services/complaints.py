"""Complaints (pengaduan) as SP4N-LAPOR! practice runs them: a ticket, routing to the unit's
admins, a response deadline in working days with a reminder and an escalation, and every status
change told to the citizen (when they agreed to hear back on the channel they wrote from).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kinerja.people import Person
from kinerja.services.calendar import calendar_for
from kinerja.services.citizen import CitizenPolicy, scope_of
from storage.repositories.citizen import ComplaintRecord, ServiceRecord
from storage.uow import UnitOfWork

OPEN, ANSWERED, RESOLVED = "open", "answered", "resolved"
ACTIVE = (OPEN, ANSWERED)
# Outbox purposes: to the unit's admins (staff bot), and to the citizen (citizen channel).
NEW, DUE, ESCALATED = "citizen.complaint_new", "citizen.complaint_due", "citizen.complaint_late"
STATUS = "citizen.complaint_status"


async def file_complaint(
    uow: UnitOfWork,
    *,
    citizen_id: int,
    service: ServiceRecord,
    text: str,
    photo_ref: str | None,
    reply_channel: str | None,
    reply_to: str | None,
    contact_name: str | None,
    contact_phone: str | None,
    now: datetime,
    policy: CitizenPolicy,
) -> ComplaintRecord:
    """Open a complaint with its ticket and deadline, and queue a card to the unit's admins."""
    today = now.astimezone(ZoneInfo(service.unit_timezone)).date()
    calendar = await calendar_for(uow, today, today + timedelta(days=60))
    due = today
    for _ in range(policy.response_days):
        due = calendar.next_working_day(due)
    complaint_id = await uow.citizen.add_complaint(
        ticket=f"new-{secrets.token_hex(8)}",  # numbered from the row id just below
        citizen_id=citizen_id,
        service_id=service.id,
        unit_id=service.unit_id,
        text=text,
        photo_ref=photo_ref,
        status=OPEN,
        contact_name=contact_name,
        contact_phone=contact_phone,
        reply_channel=reply_channel if reply_to else None,
        reply_to=reply_to,
        due_on=due,
        now=now,
    )
    # The row id makes the number unique without a race between two filings.
    await uow.citizen.set_complaint(
        complaint_id, now, ticket=f"ADU{today:%y%m}-{complaint_id:04d}"
    )
    complaint = await uow.citizen.complaint(complaint_id)
    assert complaint is not None
    await _to_admins(uow, complaint, NEW, await _responsible_admins(uow, complaint.unit_id))
    return complaint


async def _responsible_admins(uow: UnitOfWork, unit_id: int) -> list[int]:
    """Admins of the unit or of a unit above it; the instansi admins when there are none."""
    parents = await uow.citizen.unit_parents()
    chain: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in chain:
        chain.add(current)
        current = parents.get(current)
    return await uow.citizen.unit_admins(chain)


async def _to_admins(
    uow: UnitOfWork, complaint: ComplaintRecord, purpose: str, admins: list[int]
) -> int:
    queued = 0
    for admin in admins:
        for identity in await uow.identities.of_employee(admin):
            if identity.channel.startswith("citizen"):
                continue
            queued += await uow.outbox.enqueue(
                channel=identity.channel,
                recipient=identity.external_id,
                purpose=purpose,
                payload={"complaint": complaint.id},
                dedupe_key=f"{purpose}:{complaint.id}:{identity.channel}:{identity.external_id}",
            )
    return queued


async def _to_citizen(uow: UnitOfWork, complaint: ComplaintRecord, status: str) -> bool:
    """Tell the complainant, if they agreed; the push is rendered from the complaint's state."""
    if complaint.reply_to is None or complaint.reply_channel is None:
        return False
    pseudonym = await uow.citizen.pseudonym_of(complaint.citizen_id)
    if pseudonym is None:
        return False
    return await uow.outbox.enqueue(
        channel=complaint.reply_channel,
        recipient=pseudonym,
        purpose=STATUS,
        payload={"complaint": complaint.id, "status": status},
        dedupe_key=f"{STATUS}:{complaint.id}:{status}",
    )


class ComplaintRefused(Exception):
    """The person may not act on this complaint, or it is already closed; `key` says which."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def visible_complaint(uow: UnitOfWork, person: Person, complaint_id: int) -> ComplaintRecord:
    complaint = await uow.citizen.complaint(complaint_id)
    if complaint is None:
        raise ComplaintRefused("citizen.complaint.unknown")
    scope = await scope_of(uow, person)
    if person.role.value != "admin" or (scope is not None and complaint.unit_id not in scope):
        raise ComplaintRefused("citizen.complaint.not_yours")
    return complaint


async def answer(
    uow: UnitOfWork, person: Person, complaint_id: int, text: str, now: datetime
) -> ComplaintRecord:
    complaint = await visible_complaint(uow, person, complaint_id)
    if complaint.status == RESOLVED:
        raise ComplaintRefused("citizen.complaint.closed")
    await uow.citizen.set_complaint(
        complaint.id, now, status=ANSWERED, answer=text, answered_by=person.id
    )
    await _audit(uow, person, "citizen.complaint.answer", complaint)
    updated = await uow.citizen.complaint(complaint.id)
    assert updated is not None
    await _to_citizen(uow, updated, f"{ANSWERED}:{int(now.timestamp())}")
    return updated


async def resolve(
    uow: UnitOfWork, person: Person, complaint_id: int, now: datetime
) -> ComplaintRecord:
    complaint = await visible_complaint(uow, person, complaint_id)
    if complaint.status == RESOLVED:
        raise ComplaintRefused("citizen.complaint.closed")
    await uow.citizen.set_complaint(complaint.id, now, status=RESOLVED, closed_at=now)
    await _audit(uow, person, "citizen.complaint.resolve", complaint)
    updated = await uow.citizen.complaint(complaint.id)
    assert updated is not None
    await _to_citizen(uow, updated, RESOLVED)
    return updated


async def _audit(uow: UnitOfWork, person: Person, action: str, complaint: ComplaintRecord) -> None:
    await uow.audit.record(
        actor=person.nip,
        action=action,
        subject_type="citizen_complaint",
        subject_id=complaint.ticket,
        actor_employee_id=person.id,
    )


async def check_deadlines(uow: UnitOfWork, now: datetime) -> tuple[int, int]:
    """Remind the admins on the last working day before a complaint's deadline; escalate a
    complaint still unanswered after it (to the instansi admins, and tell the citizen of
    SP4N-LAPOR!). Idempotent: each happens once per complaint. (reminded, escalated)."""
    reminded = escalated = 0
    for complaint in await uow.citizen.complaints(None, (OPEN,), limit=10_000):
        service = await uow.citizen.service_by_id(complaint.service_id)
        assert service is not None
        today = now.astimezone(ZoneInfo(service.unit_timezone)).date()
        calendar = await calendar_for(uow, today - timedelta(days=30), today + timedelta(days=30))
        if complaint.due_on < today and complaint.escalated_at is None:
            await uow.citizen.set_complaint(complaint.id, now, escalated_at=now)
            admins = await uow.citizen.unit_admins(set())  # instansi admins
            admins = sorted(set(admins) | set(await _responsible_admins(uow, complaint.unit_id)))
            await _to_admins(uow, complaint, ESCALATED, admins)
            await _to_citizen(uow, complaint, "late")
            escalated += 1
        elif (
            complaint.reminded_on is None
            and complaint.due_on >= today
            and calendar.next_working_day(today) >= complaint.due_on
        ):
            await uow.citizen.set_complaint(complaint.id, now, reminded_on=today)
            await _to_admins(
                uow, complaint, DUE, await _responsible_admins(uow, complaint.unit_id)
            )
            reminded += 1
    return reminded, escalated
