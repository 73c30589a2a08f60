"""The outbox drainer: delivers queued pushes (DESIGN.md rule 2) through each channel's `Sender`.

One asyncio task per channel and process. Each round it claims a batch of due rows in a short
transaction (leased: status "sending" until `lease` from now), then, for each row: renders it
for its recipient in its own short transaction (`Dispatcher.render_push`; nothing to render
means "dropped"), waits for the channel's rate limit, sends, and records the outcome in another
short transaction. No transaction is open while a message is on the wire.

Guarantees:
- A row is never sent twice by one process: a channel's next batch is claimed only after the
  last one is settled, and a row is sent only while at least `send_margin` of its lease is left
  (longer than a send can take), so no other worker can have claimed it meanwhile.
- A crash loses no row: rows of a killed worker stay "sending" until their lease expires, then
  any worker claims them again. A message that had already left before the crash is then sent a
  second time: delivery is at-least-once across a crash mid-send (and after a send that timed
  out but had in fact arrived), exactly-once otherwise.
- A 429 pauses the whole channel for its `retry_after`; the row and the rest of its batch are
  given back unsent and go out after the pause, without counting as attempts. An unreachable
  recipient or a refused message is given up at once (an unreachable account is marked so in
  the same transaction); other failures are retried with backoff (`RetryPolicy`) and given up
  after `max_attempts`.
- Stopping lets sends in flight finish and gives the rest of the batch back as pending.

Wake-ups: `notify()` (wired to every commit that queued rows, see `SessionFactory`) starts a
round at once; otherwise each channel polls every `poll_interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.chat.capabilities import Outgoing
from bot.chat.delivery import (
    EDIT_OF,
    DeliveryError,
    Editor,
    PurposeAwareSender,
    RateLimited,
    RecipientUnreachable,
    Sender,
    Undeliverable,
)
from bot.chat.dispatcher import Dispatcher
from scheduler.rate_limit import RateLimiter
from storage.repositories.outbox import ClaimedMessage, OutboxRepository
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
TELEGRAM_RATE = 30.0  # messages per second per bot (DESIGN.md section 4)
TELEGRAM_CHAT_RATE = 1.0  # messages per second to one chat
_CHAT_SLOTS = 10_000  # recipients whose last send time is remembered
_EDIT_WAIT = timedelta(seconds=2)  # an edit whose message has not left yet waits this long
_SETTLE_TRIES = 3
_ERROR_PAUSE = 5.0
_PAUSE_SLACK = 0.01
# Told of each row's outcome (metrics): (channel, outcome, the send's error or None), outcome
# one of "sent", "retry", "given_up", "dropped", "rate_limited".
PushObserver = Callable[[str, str, BaseException | None], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff for transient failures: first_delay, doubled each time, capped at max_delay."""

    max_attempts: int = 10
    first_delay: float = 15.0
    factor: float = 2.0
    max_delay: float = 1800.0

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt."""
        seconds = self.first_delay * self.factor ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.max_delay))


@dataclass
class _Lane:
    """One channel's sender, rate and wake-up."""

    channel: str
    sender: Sender
    limiter: RateLimiter
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # One round at a time (the loop's or `run_once`'s): a batch is settled before the next
    # claim, which is what keeps this process from claiming a row it is still sending.
    rounds: asyncio.Lock = field(default_factory=asyncio.Lock)
    task: asyncio.Task[None] | None = None
    # Per-chat spacing: when each recent recipient may next get a message (monotonic time).
    chat_rate: float | None = None
    chat_next: dict[str, float] = field(default_factory=dict)

    async def chat_turn(self, recipient: str, messages: int) -> None:
        """Wait for this chat's turn (about 1 message a second per chat on Telegram)."""
        if not self.chat_rate:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        start = max(now, self.chat_next.get(recipient, 0.0))
        self.chat_next[recipient] = start + messages / self.chat_rate
        if len(self.chat_next) > _CHAT_SLOTS:
            for key in [k for k, at in self.chat_next.items() if at <= now]:
                del self.chat_next[key]
        if start > now:
            await asyncio.sleep(start - now)


@dataclass
class _Batch:
    """Rows claimed together; `halted` after a 429 so the rest are given back unsent."""

    rows: list[ClaimedMessage]
    unsent: list[ClaimedMessage] = field(default_factory=list)
    halted: bool = False
    due_again: datetime | None = None


class OutboxDrainer:
    def __init__(
        self,
        dispatcher: Dispatcher,
        senders: Mapping[str, Sender],
        *,
        rates: Mapping[str, float] | None = None,
        chat_rates: Mapping[str, float] | None = None,
        round_seconds: float | None = None,
        batch_size: int = 50,
        concurrency: int = 8,
        poll_interval: float = 5.0,
        lease: timedelta = timedelta(minutes=2),
        send_margin: timedelta = timedelta(seconds=30),
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        observer: PushObserver | None = None,
    ) -> None:
        """Drain the outbox of each channel in `senders` (channel name -> its `Sender`).

        `rates`: messages per second per channel (e.g. {"telegram": TELEGRAM_RATE}); a channel
        not listed is not limited. `concurrency`: sends in flight per channel (one recipient's
        rows of a batch always go out one after another, in order). `lease` must leave room
        for the batch at the channel's rate plus `send_margin`, which must exceed the longest
        a send can take (the Telegram transport gives up after 15 s).
        """
        if lease <= send_margin * 2:
            raise ValueError("the lease must be more than twice the send margin")
        self.dispatcher = dispatcher
        self.sessions = dispatcher.sessions
        rates = rates or {}
        chat_rates = chat_rates or {}
        self.lanes = {
            channel: _Lane(
                channel,
                sender,
                RateLimiter(rates.get(channel)),
                chat_rate=chat_rates.get(channel),
            )
            for channel, sender in senders.items()
        }
        # With `round_seconds`, a rate-limited channel claims only what it can send in that
        # time per round, so a card queued during a broadcast waits at most about that long.
        self.round_seconds = round_seconds
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.lease = lease
        self.send_margin = send_margin
        self.retry = retry or RetryPolicy()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.observer = observer
        self._stopping = False

    def _observe(self, channel: str, outcome: str, error: BaseException | None = None) -> None:
        if self.observer is not None:
            self.observer(channel, outcome, error)

    # --- lifecycle ------------------------------------------------------------------------------

    def notify(self, channels: Collection[str] | None = None) -> None:
        """Rows were committed for `channels` (None: maybe any): start a round now."""
        for lane in self.lanes.values():
            if channels is None or lane.channel in channels:
                lane.wake.set()

    async def start(self) -> None:
        self._stopping = False
        for lane in self.lanes.values():
            if lane.task is None:
                lane.task = asyncio.create_task(self._run(lane), name=f"outbox-{lane.channel}")

    async def stop(self, grace: float = 30.0) -> None:
        """Finish sends in flight, give unsent claimed rows back, end the tasks."""
        self._stopping = True
        tasks = [lane.task for lane in self.lanes.values() if lane.task is not None]
        for lane in self.lanes.values():
            lane.wake.set()
        if tasks:
            _done, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:  # a send that hangs past every timeout: its lease covers it
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for lane in self.lanes.values():
            lane.task = None

    async def run_once(self, channel: str) -> int:
        """Claim and settle one batch of `channel`; returns how many rows it claimed."""
        return await self._round(self.lanes[channel])

    # --- the loop -------------------------------------------------------------------------------

    async def _run(self, lane: _Lane) -> None:
        while not self._stopping:
            paused = lane.limiter.paused_for()
            if paused > 0:
                await self._wait(lane, paused + _PAUSE_SLACK)
                continue
            try:
                claimed = await self._round(lane)
            except Exception:
                log.exception("outbox round for %s failed; retrying", lane.channel)
                await self._wait(lane, _ERROR_PAUSE)
                continue
            if claimed < self._batch_limit(lane) and not lane.limiter.paused_for():
                await self._wait(lane, self.poll_interval)  # else: more are due, or a 429 pause

    async def _wait(self, lane: _Lane, seconds: float) -> None:
        """Sleep up to `seconds`, or until notified or stopped."""
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await lane.wake.wait()

    def _batch_limit(self, lane: _Lane) -> int:
        rate = lane.limiter.rate
        if self.round_seconds is None or not rate:
            return self.batch_size
        return max(1, min(self.batch_size, int(rate * self.round_seconds)))

    async def _round(self, lane: _Lane) -> int:
        async with lane.rounds:
            return await self._claim_and_settle(lane)

    async def _claim_and_settle(self, lane: _Lane) -> int:
        lane.wake.clear()  # a notify from here on means another round
        now = self.clock()
        async with self.dispatcher.transactions, UnitOfWork(self.sessions) as uow:
            rows = await uow.outbox.claim(
                lane.channel, now=now, lease=self.lease, limit=self._batch_limit(lane)
            )
            await uow.commit()
        if not rows:
            return 0
        batch = _Batch(rows)
        groups: dict[str, list[ClaimedMessage]] = {}
        for row in rows:
            groups.setdefault(row.recipient, []).append(row)
        queue = deque(groups.values())
        workers = min(self.concurrency, len(queue))
        # A TaskGroup, not gather: cancelled (at shutdown), it waits for every worker to finish
        # its transaction, where gather returns at the first cancelled one and lets the rest
        # run on against a pool that is being disposed.
        async with asyncio.TaskGroup() as workers_group:
            for _ in range(workers):
                workers_group.create_task(self._work(lane, batch, queue))
        if batch.unsent:
            at = batch.due_again or self.clock()
            await self._settle(lambda outbox: outbox.release(batch.unsent, at=at))
        return len(rows)

    async def _work(self, lane: _Lane, batch: _Batch, queue: deque[list[ClaimedMessage]]) -> None:
        while queue:
            group = queue.popleft()
            for index, row in enumerate(group):
                if self._stopping or batch.halted:
                    batch.unsent.extend(group[index:])
                    break
                try:
                    await self._deliver(lane, batch, row)
                except Exception:
                    # Only bookkeeping can fail here; the lease brings the row back.
                    log.exception("outbox row %s: could not record its outcome", row.id)

    # --- one row --------------------------------------------------------------------------------

    async def _deliver(self, lane: _Lane, batch: _Batch, row: ClaimedMessage) -> None:
        outgoing = await self._render(lane, row)
        if not outgoing:
            return
        edit_target: str | None = None
        if row.payload.get(EDIT_OF) and isinstance(lane.sender, Editor):
            edit_target = await self._edit_target(row)
            if edit_target is None:
                return  # the original has not left yet: the row was put back for later
        await lane.chat_turn(row.recipient, 1 if edit_target else len(outgoing))
        await lane.limiter.acquire(1 if edit_target else len(outgoing))
        if batch.halted or self.clock() > row.lease_until - self.send_margin:
            batch.unsent.append(row)  # a 429 meanwhile, or too late to send under this lease
            return
        try:
            if edit_target and edit_target != "-":
                assert isinstance(lane.sender, Editor)
                await lane.sender.edit(row.recipient, edit_target, outgoing[0])
                message_id: str | None = edit_target
            elif isinstance(lane.sender, PurposeAwareSender):
                message_id = await lane.sender.send_push(row.recipient, outgoing, row.purpose)
            else:
                message_id = await lane.sender.send(row.recipient, outgoing)
        except RateLimited as limited:
            due_again = self.clock() + timedelta(seconds=limited.retry_after)
            lane.limiter.pause(limited.retry_after)
            batch.halted = True
            batch.due_again = max(batch.due_again or due_again, due_again)
            batch.unsent.append(row)
            self._observe(lane.channel, "rate_limited", limited)
            log.warning("%s rate limited; pausing %.1f s", lane.channel, limited.retry_after)
        except Undeliverable as refused:
            reason = _describe(refused)
            log.warning("outbox row %s (%s) given up: %s", row.id, row.purpose, reason)
            unreachable = isinstance(refused, RecipientUnreachable)
            self._observe(lane.channel, "given_up", refused)
            await self._settle(
                lambda outbox: outbox.give_up(row, error=reason),
                then=self._unreachable(lane.channel, row.recipient) if unreachable else None,
            )
        except Exception as error:  # TransientFailure, or a sender's bug: retry with backoff
            if not isinstance(error, DeliveryError):
                log.exception("outbox row %s: the %s sender failed", row.id, lane.channel)
            self._observe(lane.channel, "retry" if self._retries(row) else "given_up", error)
            await self._failed(row, error)
        else:
            now = self.clock()
            self._observe(lane.channel, "sent")
            await self._settle(
                lambda outbox: outbox.mark_sent(row, now=now, provider_message_id=message_id)
            )

    async def _edit_target(self, row: ClaimedMessage) -> str | None:
        """The message id an edit row changes; "-" to send a new message instead (the
        original failed or is unknown); None when the original is still queued (the row was
        released to try again shortly)."""
        async with UnitOfWork(self.sessions) as uow:
            original = await uow.outbox.find(str(row.payload[EDIT_OF]))
        if original is not None and original.status in ("pending", "sending"):
            at = self.clock() + _EDIT_WAIT
            await self._settle(lambda outbox: outbox.release([row], at=at))
            return None
        if (
            original is None
            or original.status != "sent"
            or not original.provider_message_id
            or original.recipient != row.recipient
        ):
            return "-"
        return original.provider_message_id

    def _unreachable(
        self, channel: str, recipient: str
    ) -> Callable[[UnitOfWork], Awaitable[object]]:
        """Marks the account unreachable, so reminders and broadcasts skip it from now on
        (until it writes again). Run in the transaction that gives its row up: whoever sees
        the row failed also sees the account marked, and a crash cannot record one alone."""

        async def mark(uow: UnitOfWork) -> object:
            return await uow.reminders.mark_unreachable(channel, recipient, self.clock())

        return mark

    async def _render(self, lane: _Lane, row: ClaimedMessage) -> list[Outgoing]:
        """The row's messages now, or [] after dropping it (or scheduling a retry)."""
        dispatcher = self.dispatcher
        try:
            async with (
                dispatcher.push_turn(lane.channel, row.recipient),
                UnitOfWork(self.sessions) as uow,
            ):
                outgoing = await dispatcher.render_push(
                    uow, lane.channel, row.recipient, row.purpose, row.payload, lane.sender.caps
                )
                if not outgoing:
                    reason = (
                        "nothing to send"
                        if row.purpose in dispatcher.pushes
                        else f"unknown purpose {row.purpose!r}"
                    )
                    await uow.outbox.drop(row, reason=reason)
                await uow.commit()
            if not outgoing:
                self._observe(lane.channel, "dropped")
        except Exception as error:
            log.exception("outbox row %s (%s): rendering failed", row.id, row.purpose)
            await self._failed(row, error)
            return []
        return outgoing

    def _retries(self, row: ClaimedMessage) -> bool:
        return row.attempts < self.retry.max_attempts

    async def _failed(self, row: ClaimedMessage, error: BaseException) -> None:
        """Retry later with backoff, or give up once the attempts are used up."""
        described = _describe(error)
        if not self._retries(row):
            log.warning(
                "outbox row %s (%s) failed %d times, given up: %s",
                *(row.id, row.purpose, row.attempts, described),
            )
            await self._settle(lambda outbox: outbox.give_up(row, error=described))
            return
        at = self.clock() + self.retry.delay(row.attempts)
        log.info("outbox row %s: %s; retrying at %s", row.id, described, at.isoformat())
        await self._settle(lambda outbox: outbox.retry_later(row, at=at, error=described))

    async def _settle(
        self,
        action: Callable[[OutboxRepository], Awaitable[object]],
        *,
        then: Callable[[UnitOfWork], Awaitable[object]] | None = None,
    ) -> None:
        """Record an outcome in its own transaction, retrying a database hiccup briefly: an
        outcome not recorded means the row is sent again once its lease expires. `then` runs
        in the same transaction when the outcome was recorded (the claim was still ours)."""
        for attempt in range(1, _SETTLE_TRIES + 1):
            try:
                async with self.dispatcher.transactions, UnitOfWork(self.sessions) as uow:
                    result = await action(uow.outbox)
                    if then is not None and result is not False:
                        await then(uow)
                    await uow.commit()
            except Exception:
                if attempt == _SETTLE_TRIES:
                    raise
                await asyncio.sleep(0.2 * attempt)
                continue
            if result is False:
                log.warning("an outbox claim was taken over before its outcome was recorded")
            return


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
