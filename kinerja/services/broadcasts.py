"""Broadcasts and deadlines by admins: audiences, preview, send now or later, live progress.

A broadcast is a row in `broadcasts` plus one outbox row per recipient account, all written in
one transaction and due at the chosen time, in the bulk lane (cards and answers go first). The
admin who sent it from chat gets a progress message, edited in place as rows are settled (the
progress job, `queue_progress`), and a final report. Cancelling drops the rows not yet sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kinerja.people import Person, Role
from kinerja.reminders import Audience, ReminderError, check_broadcast
from kinerja.services.reminders import audience_of
from storage.repositories.outbox import BULK, INTERACTIVE
from storage.repositories.reminders import BroadcastRecord, Reachable
from storage.uow import UnitOfWork

BROADCAST = "broadcast"
PROGRESS = "broadcast_progress"
REPORT = "broadcast_report"
OPEN = ("scheduled", "sending")


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sent: int
    failed: int
    remaining: int


def progress_key(broadcast_id: int) -> str:
    return f"{PROGRESS}:{broadcast_id}"


def people_count(recipients: Sequence[Reachable]) -> int:
    return len({to.employee_id for to in recipients})


async def preview(uow: UnitOfWork, admin: Person | None, audience: Audience, now: datetime) -> int:
    """How many people a broadcast to `audience` would reach now."""
    return people_count(await audience_of(uow, admin, audience, now))


async def create(
    uow: UnitOfWork,
    admin: Person | None,
    text: str,
    audience: Audience,
    now: datetime,
    *,
    send_at: datetime | None = None,
    report_to: tuple[str, str] | None = None,
) -> tuple[int, int]:
    """Queue a broadcast; returns (broadcast id, people reached).

    Refused (`ReminderError`) when the text is empty or over the limit, the time is past, the
    unit is not the admin's, or the audience is empty.
    """
    if admin is not None and admin.role is not Role.ADMIN:
        raise ReminderError("broadcast.admins_only")
    when = (send_at or now).astimezone(UTC)  # SQLite keeps no zone: store UTC
    cleaned = check_broadcast(text, when, now)
    recipients = await audience_of(uow, admin, audience, now)
    if not recipients:
        raise ReminderError("broadcast.empty_audience")
    people = people_count(recipients)
    broadcast_id = await uow.reminders.add_broadcast(
        text=cleaned,
        audience=audience,
        total=len(recipients),
        send_at=when,
        created_by_id=admin.id if admin else None,
        report_to=report_to,
    )
    await uow.reminders.enqueue_broadcast(broadcast_id, recipients, when, BULK)
    for channel in {to.channel for to in recipients}:
        uow.outbox.enqueued.add(channel)
    if report_to is not None:
        await uow.outbox.enqueue(
            channel=report_to[0],
            recipient=report_to[1],
            purpose=PROGRESS,
            payload={"broadcast_id": broadcast_id},
            dedupe_key=progress_key(broadcast_id),
            not_before=when,
            priority=INTERACTIVE,
        )
    await uow.audit.record(
        actor=f"employee:{admin.nip}" if admin else "cli",
        actor_employee_id=admin.id if admin else None,
        action="broadcast.create",
        subject_type="broadcast",
        subject_id=str(broadcast_id),
        detail={"audience": audience.to_json(), "people": people, "send_at": when.isoformat()},
    )
    return broadcast_id, people


async def cancel(uow: UnitOfWork, admin: Person | None, broadcast_id: int, now: datetime) -> int:
    """Cancel a broadcast not finished yet; returns how many messages will not be sent."""
    found = await uow.reminders.broadcast(broadcast_id)
    if found is None or found.status not in OPEN:
        raise ReminderError("broadcast.not_cancellable", {"id": broadcast_id})
    if admin is not None and found.created_by_id != admin.id:
        scope = await uow.reminders.admin_unit_of(admin.id)
        if scope is not None:
            raise ReminderError("broadcast.not_yours", {"id": broadcast_id})
    await uow.reminders.set_broadcast_status(broadcast_id, "cancelled", only_from=OPEN, at=now)
    dropped = await uow.reminders.drop_broadcast_rows(broadcast_id)
    await uow.audit.record(
        actor=f"employee:{admin.nip}" if admin else "cli",
        actor_employee_id=admin.id if admin else None,
        action="broadcast.cancel",
        subject_type="broadcast",
        subject_id=str(broadcast_id),
        detail={"dropped": dropped},
    )
    return dropped


async def progress_of(uow: UnitOfWork, broadcast: BroadcastRecord) -> Progress:
    counts = await uow.reminders.broadcast_counts(broadcast.id)
    sent = counts.get("sent", 0)
    failed = counts.get("failed", 0)
    remaining = counts.get("pending", 0) + counts.get("sending", 0)
    if broadcast.status == "cancelled":
        remaining = 0
    return Progress(broadcast.total, sent, failed, remaining)


async def queue_progress(uow: UnitOfWork, now: datetime) -> int:
    """For each broadcast under way: an edit of its progress message when counts moved, and
    once nothing remains, the final report. Returns how many rows were queued."""
    queued = 0
    for broadcast in await uow.reminders.broadcasts(OPEN):
        if broadcast.send_at > now:
            continue
        if broadcast.status == "scheduled":
            await uow.reminders.set_broadcast_status(
                broadcast.id, "sending", only_from=("scheduled",)
            )
        done = await progress_of(uow, broadcast)
        finished = done.remaining == 0
        if finished:
            await uow.reminders.set_broadcast_status(broadcast.id, "done", only_from=OPEN, at=now)
        if broadcast.report_channel is None or broadcast.report_recipient is None:
            continue
        to = (broadcast.report_channel, broadcast.report_recipient)
        if await uow.outbox.enqueue(
            channel=to[0],
            recipient=to[1],
            purpose=PROGRESS,
            payload={"broadcast_id": broadcast.id, "edit_of": progress_key(broadcast.id)},
            dedupe_key=f"{progress_key(broadcast.id)}:{done.sent}:{done.failed}:{finished}",
        ):
            queued += 1
        if finished and await uow.outbox.enqueue(
            channel=to[0],
            recipient=to[1],
            purpose=REPORT,
            payload={"broadcast_id": broadcast.id},
            dedupe_key=f"{REPORT}:{broadcast.id}",
        ):
            queued += 1
    return queued
