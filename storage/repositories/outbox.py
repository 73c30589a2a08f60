"""The outbox (DESIGN.md rule 2): pushes written in the transaction that caused them.

A row holds intent, not text: a `purpose` and a small JSON payload (ids), rendered for the
recipient when it is sent, so a card queued before a decision shows the state at send time.

A row's life, driven by the drainer (`scheduler/outbox.py`):

    pending --claim--> sending --> sent        delivered; provider_message_id kept for edits
                          |------> pending     transient failure: attempts < max, backoff
                          |------> failed      gave up: unreachable, rejected, or out of attempts
                          |------> dropped     nothing to send any more (obsolete, unknown, gone)
                          `------> pending     released unsent (429, shutdown): not an attempt

`next_attempt_at` is when a row may next be claimed: for a pending row its due time, for a
sending row the expiry of the claim's lease. A worker killed mid-send leaves its rows in
"sending"; once the lease expires any worker claims them again, so no row is lost, and one whose
message had already left before the crash is sent twice (at-least-once, only across a crash).

`attempts` counts claims and doubles as the claim's fencing token: an outcome is recorded only
while the row is still "sending" with the attempts value the claim returned, so a worker whose
lease was taken over cannot overwrite the newer claim's outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, func, insert, select, update

from storage.database import Db
from storage.models import OutboxMessage
from storage.repositories._dialect import insert_for

TABLE = OutboxMessage.__table__
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
DROPPED = "dropped"
MAX_ERROR_LENGTH = 1000
# Lanes, claimed in this order: a card or an answer never waits behind a broadcast.
INTERACTIVE = 0
REMINDER = 1
BULK = 2


@dataclass(frozen=True, slots=True)
class Push:
    """One push to queue with `enqueue_many`; `dedupe_key` makes queueing it again a no-op."""

    channel: str
    recipient: str
    purpose: str
    payload: Mapping[str, Any]
    dedupe_key: str
    priority: int = INTERACTIVE


# Rows per multi-row INSERT: 7 parameters each, well under PostgreSQL's 32,767 per statement.
_ENQUEUE_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A row this worker may send until `lease_until`; `attempts` includes this claim."""

    id: int
    channel: str
    recipient: str
    purpose: str
    payload: dict[str, Any]
    attempts: int
    lease_until: datetime
    priority: int = INTERACTIVE


@dataclass(frozen=True, slots=True)
class ReceiptTarget:
    """The row a delivery receipt is about."""

    id: int
    recipient: str
    purpose: str
    status: str
    last_error: str | None


_RECEIPT_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """Where a push stands; a sent card's `provider_message_id` is what an edit needs."""

    id: int
    channel: str
    recipient: str
    purpose: str
    status: str
    attempts: int
    provider_message_id: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxRepository:
    def __init__(self, session: Db) -> None:
        self._session = session
        # Channels this unit of work queued rows for: the unit of work wakes their drainers
        # after commit (and forgets them on rollback).
        self.enqueued: set[str] = set()

    async def enqueue(
        self,
        *,
        channel: str,
        recipient: str,
        purpose: str,
        payload: Mapping[str, Any],
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
        priority: int = INTERACTIVE,
    ) -> bool:
        """Queue one push; False when `dedupe_key` was queued before (nothing is added).

        `priority`: the lane (INTERACTIVE, REMINDER, BULK); lower lanes are claimed first.
        """
        values: dict[str, Any] = {
            "channel": channel,
            "recipient": recipient,
            "purpose": purpose,
            "payload": dict(payload),
            "dedupe_key": dedupe_key,
            "priority": priority,
        }
        if not_before is not None:
            values["next_attempt_at"] = _utc(not_before)
        if dedupe_key is None:
            await self._session.execute(insert(OutboxMessage), values)
            self.enqueued.add(channel)
            return True
        statement = (
            insert_for(self._session, TABLE)  # type: ignore[arg-type]
            .values(values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        result = await self._session.execute(statement)
        assert isinstance(result, CursorResult)
        if result.rowcount == 1:
            self.enqueued.add(channel)
            return True
        return False

    async def enqueue_many(self, pushes: Sequence[Push]) -> int:
        """Queue many pushes in a few statements (a reminder run reaches thousands of people);
        returns how many were new, those whose `dedupe_key` was queued before being skipped."""
        queued = 0
        for start in range(0, len(pushes), _ENQUEUE_CHUNK):
            chunk = pushes[start : start + _ENQUEUE_CHUNK]
            statement = (
                insert_for(self._session, TABLE)  # type: ignore[arg-type]
                .values(
                    [
                        {
                            "channel": push.channel,
                            "recipient": push.recipient,
                            "purpose": push.purpose,
                            "payload": dict(push.payload),
                            "dedupe_key": push.dedupe_key,
                            "priority": push.priority,
                        }
                        for push in chunk
                    ]
                )
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
            )
            result = await self._session.execute(statement)
            assert isinstance(result, CursorResult)
            if result.rowcount:
                queued += result.rowcount
                self.enqueued.update(push.channel for push in chunk)
        return queued

    # --- the drainer's side ---------------------------------------------------------------------

    async def claim(
        self, channel: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[ClaimedMessage]:
        """Take up to `limit` due rows of `channel` (lane by lane, oldest due first within a
        lane), leased until now+lease.

        Due: pending rows whose time has come, and sending rows whose lease expired (their
        worker died). On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers claim at once
        without waiting for or taking each other's rows; SQLite ignores it and needs nothing
        more, its write transactions run one at a time. Commit before sending.
        """
        lease_until = _utc(now + lease)
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status.in_((PENDING, SENDING)),
                OutboxMessage.next_attempt_at <= _utc(now),
            )
            .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()))
            .values(
                status=SENDING,
                attempts=OutboxMessage.attempts + 1,
                next_attempt_at=lease_until,
            )
            .returning(
                OutboxMessage.id,
                OutboxMessage.recipient,
                OutboxMessage.purpose,
                OutboxMessage.payload,
                OutboxMessage.attempts,
                OutboxMessage.priority,
            )
        )
        rows = (await self._session.execute(statement)).all()
        claimed = [
            ClaimedMessage(
                row.id,
                channel,
                row.recipient,
                row.purpose,
                dict(row.payload or {}),
                row.attempts,
                _aware(lease_until),
                row.priority,
            )
            for row in rows
        ]
        return sorted(claimed, key=lambda message: (message.priority, message.id))

    async def mark_sent(
        self, message: ClaimedMessage, *, now: datetime, provider_message_id: str | None
    ) -> bool:
        """Delivered. False when the claim was lost (its lease expired and was taken over)."""
        return await self._settle(
            message, status=SENT, sent_at=_utc(now), provider_message_id=provider_message_id
        )

    async def retry_later(self, message: ClaimedMessage, *, at: datetime, error: str) -> bool:
        """A failed attempt that may succeed later: pending again from `at`."""
        return await self._settle(
            message, status=PENDING, next_attempt_at=_utc(at), last_error=_clip(error)
        )

    async def give_up(self, message: ClaimedMessage, *, error: str) -> bool:
        """No more attempts: the recipient is unreachable, the message refused, or the
        attempts are used up."""
        return await self._settle(message, status=FAILED, last_error=_clip(error))

    async def drop(self, message: ClaimedMessage, *, reason: str) -> bool:
        """Nothing to send any more (the renderer returned nothing); not an error."""
        return await self._settle(message, status=DROPPED, last_error=_clip(reason))

    async def release(self, messages: Sequence[ClaimedMessage], *, at: datetime) -> int:
        """Give claimed rows back unsent (rate limited, shutting down), due again at `at`.

        The claim does not count as an attempt. Returns how many were still ours.
        """
        released = 0
        for message in messages:
            if await self._settle(
                message,
                status=PENDING,
                next_attempt_at=_utc(at),
                attempts=OutboxMessage.attempts - 1,
            ):
                released += 1
        return released

    async def _settle(self, message: ClaimedMessage, **values: Any) -> bool:
        result = await self._session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.status == SENDING,
                OutboxMessage.attempts == message.attempts,
            )
            .values(**values)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    # --- delivery receipts ----------------------------------------------------------------------

    async def record_receipt(
        self, channel: str, provider_message_id: str, receipt: str, *, at: datetime
    ) -> ReceiptTarget | None:
        """Record the platform's receipt for the row it sent as `provider_message_id`.

        Receipts may arrive out of order (read before delivered): the furthest one is kept
        (sent < delivered < read; failed wins). None when no row was sent under that id (a
        direct reply, not a push).
        """
        row = (
            await self._session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.recipient,
                    OutboxMessage.purpose,
                    OutboxMessage.status,
                    OutboxMessage.receipt,
                    OutboxMessage.last_error,
                ).where(
                    OutboxMessage.channel == channel,
                    OutboxMessage.provider_message_id == provider_message_id,
                )
            )
        ).first()
        if row is None:
            return None
        if _RECEIPT_RANK.get(receipt, 0) > _RECEIPT_RANK.get(row.receipt or "", 0):
            await self._session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(receipt=receipt, receipt_at=_utc(at))
            )
        return ReceiptTarget(row.id, row.recipient, row.purpose, row.status, row.last_error)

    async def send_again(self, row_id: int, *, at: datetime, reason: str) -> bool:
        """Queue a sent row again (the platform refused it after accepting it, e.g. WhatsApp's
        re-engagement error: sent again it goes out as a template). Once per row: `reason`
        is kept as its last error and a row carrying it is not queued again."""
        result = await self._session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                OutboxMessage.status.in_((SENT, FAILED)),
                (OutboxMessage.last_error.is_(None)) | (OutboxMessage.last_error != reason),
            )
            .values(
                status=PENDING,
                next_attempt_at=_utc(at),
                last_error=_clip(reason),
                receipt=None,
                receipt_at=None,
                provider_message_id=None,
            )
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def receipt_of(self, row_id: int) -> tuple[str | None, str | None]:
        """(receipt, provider message id) of a row: what tests and admins look at."""
        row = (
            await self._session.execute(
                select(OutboxMessage.receipt, OutboxMessage.provider_message_id).where(
                    OutboxMessage.id == row_id
                )
            )
        ).one()
        return row.receipt, row.provider_message_id

    # --- looking up -----------------------------------------------------------------------------

    async def find(self, dedupe_key: str) -> OutboxRecord | None:
        """The push queued under `dedupe_key`: its status and, once sent, the platform's
        message id (with `channel` and `recipient`, what editing the card later needs)."""
        row = (
            await self._session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.channel,
                    OutboxMessage.recipient,
                    OutboxMessage.purpose,
                    OutboxMessage.status,
                    OutboxMessage.attempts,
                    OutboxMessage.provider_message_id,
                    OutboxMessage.last_error,
                    OutboxMessage.created_at,
                    OutboxMessage.sent_at,
                ).where(OutboxMessage.dedupe_key == dedupe_key)
            )
        ).one_or_none()
        if row is None:
            return None
        return OutboxRecord(
            row.id,
            row.channel,
            row.recipient,
            row.purpose,
            row.status,
            row.attempts,
            row.provider_message_id,
            row.last_error,
            _aware(row.created_at),
            _aware(row.sent_at) if row.sent_at is not None else None,
        )

    async def depth(self, channel: str | None = None) -> int:
        """Rows not delivered yet (pending, including those scheduled later, or sending)."""
        statement = select(func.count(OutboxMessage.id)).where(
            OutboxMessage.status.in_((PENDING, SENDING))
        )
        if channel is not None:
            statement = statement.where(OutboxMessage.channel == channel)
        return int(await self._session.scalar(statement) or 0)

    async def oldest_pending_age(
        self, now: datetime, channel: str | None = None
    ) -> timedelta | None:
        """How long the longest-waiting due row has been due (the drainer's lag), or None
        when no pending row is due. Rows scheduled for later are not late, so not counted."""
        statement = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= _utc(now)
        )
        if channel is not None:
            statement = statement.where(OutboxMessage.channel == channel)
        oldest = await self._session.scalar(statement)
        if oldest is None:
            return None
        return max(now - _aware(_as_datetime(oldest)), timedelta(0))


def _utc(moment: datetime) -> datetime:
    """Aware UTC: SQLite's DateTime drops the zone, so every stored time must be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _as_datetime(value: Any) -> datetime:
    """`min()` over a DateTime column comes back as text on SQLite."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"
