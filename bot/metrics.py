"""Prometheus metrics at `/metrics` (prometheus-client), and the hooks that feed them.

Cheap on the hot path: per update, one counter increment and one histogram observation on
label children looked up once and kept (no label churn, no allocation per update). Outbox depth
and age are read from the database when Prometheus scrapes, not kept up to date meanwhile.

Several workers (`kinerja run --workers N`) share one port, so a scrape reaches any one of
them: the supervisor gives them a `PROMETHEUS_MULTIPROC_DIR`, where prometheus-client keeps
each process's values in a memory-mapped file, and every worker's `/metrics` then reports the
sum over all of them (prometheus-client's multiprocess mode, as under gunicorn). Without it,
one process reports its own figures plus its process metrics (CPU, RSS, open files).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from bot.chat.delivery import (
    MessageRejected,
    RateLimited,
    RecipientUnreachable,
    TransientFailure,
)
from storage.models import OutboxMessage
from storage.uow import SessionFactory, UnitOfWork

log = logging.getLogger(__name__)
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCRAPE_TIMEOUT = 3.0
# Error names of the platforms' SDKs, as a code: PTB's exceptions carry no HTTP status.
_NAMED_CODES = {
    "RetryAfter": "429",
    "Forbidden": "403",
    "BadRequest": "400",
    "InvalidToken": "401",
    "TimedOut": "timeout",
    "NetworkError": "network",
}


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """One process's metrics; built by `build_app` (tests build several, each on its own
    registry, so their names never clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if multiprocess_dir() is None:
            ProcessCollector(registry=self.registry)
        self.updates = Counter(
            "kinerja_updates",
            "Incoming updates by channel and outcome (ok, duplicate, failed: the user got the "
            "polite error, error: nothing saved, the platform retries)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "kinerja_handler_seconds",
            "Time from an update reaching the dispatcher to its replies being ready (commit "
            "included), by channel",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.messages_out = Counter(
            "kinerja_messages_out",
            "Outgoing messages by channel, kind (reply, push) and outcome (replies: ok; pushes: "
            "sent, retry, given_up, dropped, rate_limited)",
            ["channel", "kind", "outcome"],
            registry=self.registry,
        )
        self.send_errors = Counter(
            "kinerja_send_errors",
            "Failed push sends by channel and code (HTTP status or platform error code, else "
            "the kind of failure)",
            ["channel", "code"],
            registry=self.registry,
        )
        self.job_runs = Counter(
            "kinerja_job_runs",
            "Scheduled job firings by job and outcome (ok, error, skipped: another worker ran it)",
            ["job", "outcome"],
            registry=self.registry,
        )
        self._update_children: dict[tuple[str, str], Callable[[], None]] = {}
        self._latency_children: dict[str, Callable[[float], None]] = {}
        self._reply_children: dict[str, Callable[[float], None]] = {}

    # --- hooks --------------------------------------------------------------------------------

    def observe_update(self, channel: str, outcome: str, seconds: float, replies: int) -> None:
        """`bot.chat.dispatcher.UpdateObserver`: runs once per update."""
        count = self._update_children.get((channel, outcome))
        if count is None:
            count = self._update_children[channel, outcome] = self.updates.labels(
                channel, outcome
            ).inc
        count()
        observe = self._latency_children.get(channel)
        if observe is None:
            observe = self._latency_children[channel] = self.handler_seconds.labels(
                channel
            ).observe
        observe(seconds)
        if replies:
            add = self._reply_children.get(channel)
            if add is None:
                add = self._reply_children[channel] = self.messages_out.labels(
                    channel, "reply", "ok"
                ).inc
            add(replies)

    def observe_push(self, channel: str, outcome: str, error: BaseException | None) -> None:
        """The outbox drainer's outcome of one row (`scheduler.outbox.PushObserver`)."""
        self.messages_out.labels(channel, "push", outcome).inc()
        if error is not None:
            self.send_errors.labels(channel, error_code(error)).inc()

    def observe_job(self, job: str, outcome: str) -> None:
        """`scheduler.job_claims.JobObserver`."""
        self.job_runs.labels(job, outcome).inc()

    # --- exposition ---------------------------------------------------------------------------

    def exposition(self, outbox: list[OutboxQueue] | None) -> bytes:
        """The text format: this process's (or, in multiprocess mode, every worker's)
        metrics, then the outbox gauges read for this scrape."""
        directory = multiprocess_dir()
        if directory is not None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        else:
            registry = self.registry
        scraped = CollectorRegistry()
        scraped.register(_OutboxCollector(outbox))
        return generate_latest(registry) + generate_latest(scraped)


def error_code(error: BaseException) -> str:
    """A short code for a failed send: the platform's error code or HTTP status when the
    error chain carries one, else what kind of failure it was."""
    seen: BaseException | None = error
    while seen is not None:
        code = getattr(seen, "code", None)
        if isinstance(code, int) and code > 0:
            return str(code)
        status = getattr(seen, "status", None)
        if isinstance(status, int) and status >= 400:
            return str(status)
        named = _NAMED_CODES.get(type(seen).__name__)
        if named is not None:
            return named
        seen = seen.__cause__
    if isinstance(error, RateLimited):
        return "429"
    if isinstance(error, RecipientUnreachable):
        return "unreachable"
    if isinstance(error, MessageRejected):
        return "rejected"
    if isinstance(error, TransientFailure):
        return "transient"
    return type(error).__name__


# --- outbox depth -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxQueue:
    channel: str
    status: str
    rows: int
    oldest_seconds: float


async def outbox_queues(
    sessions: SessionFactory, now: datetime | None = None
) -> list[OutboxQueue]:
    """Rows waiting (pending) or in flight (sending) per channel, and the age of the oldest."""
    now = now or datetime.now(UTC)
    statement = (
        select(
            OutboxMessage.channel,
            OutboxMessage.status,
            func.count(),
            func.min(OutboxMessage.created_at),
        )
        .where(OutboxMessage.status.in_(("pending", "sending")))
        .group_by(OutboxMessage.channel, OutboxMessage.status)
    )
    async with UnitOfWork(sessions) as uow:
        rows = (await uow.session.execute(statement)).all()
    queues = []
    for channel, status, count, oldest in rows:
        if oldest is not None and oldest.tzinfo is None:  # SQLite gives naive UTC
            oldest = oldest.replace(tzinfo=UTC)
        age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        queues.append(OutboxQueue(channel, status, int(count), age))
    return queues


class _OutboxCollector:
    def __init__(self, queues: list[OutboxQueue] | None) -> None:
        self.queues = queues

    def collect(self) -> list[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "kinerja_outbox_scrape_ok", "1 when the outbox gauges below could be read"
        )
        up.add_metric([], 0.0 if self.queues is None else 1.0)
        depth = GaugeMetricFamily(
            "kinerja_outbox_depth",
            "Outbox rows pending or sending, by channel and status",
            labels=["channel", "status"],
        )
        oldest = GaugeMetricFamily(
            "kinerja_outbox_oldest_seconds",
            "Age of the oldest pending or sending outbox row, by channel",
            labels=["channel"],
        )
        ages: dict[str, float] = {}
        for queue in self.queues or []:
            depth.add_metric([queue.channel, queue.status], queue.rows)
            ages[queue.channel] = max(ages.get(queue.channel, 0.0), queue.oldest_seconds)
        for channel, age in sorted(ages.items()):
            oldest.add_metric([channel], age)
        return [up, depth, oldest]


def metrics_view(
    metrics: Metrics, sessions: SessionFactory
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The `/metrics` handler."""

    async def view(_request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(SCRAPE_TIMEOUT):
                queues: list[OutboxQueue] | None = await outbox_queues(sessions)
        except Exception as error:  # the database is down: still report everything else
            log.warning("metrics: outbox not readable: %s", type(error).__name__)
            queues = None
        body = metrics.exposition(queues)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return view
