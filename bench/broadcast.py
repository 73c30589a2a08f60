"""A broadcast at the platform's rate limit (DESIGN.md section 6), with chat traffic meanwhile.

Three kinds of process, all on 127.0.0.1:
  * a lean fake Bot API (`bench/_broadcast_fake.py`) that accepts at most `--rate` sendMessage
    calls in any one-second window and answers the rest 429 with `retry_after`, like Telegram,
    and counts the broadcast's messages per chat;
  * the service (`kinerja run` on each backend, webhook mode, `TELEGRAM_RATE=--rate`) with
    `--recipients` employees linked to Telegram: its own outbox drainer and Telegram sender do
    the sending;
  * this process: it queues a broadcast to everyone (`kinerja.services.broadcasts.create`, as
    the CLI and /siaran do), and while it goes out plays `--concurrency` users logging activities
    by webhook (bench.ingest's "activity" scenario, `--think` seconds between updates), timing
    each webhook until it is answered, i.e. until the reply is sent.

Figures: achieved rate (broadcast messages accepted by the fake between its first and last one)
over N, 429s received, lost (recipients the fake never got the message for) and duplicates
(messages beyond one per recipient), checked against the outbox rows' statuses, and the p50/p99
latency of the webhook updates answered while the broadcast ran.

Run: `python -m bench.broadcast [--rate 300] [--recipients 10000] [--backends sqlite,postgresql]`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import math
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bench._ingest_echo import SECRET_HEADER
from bench._ingest_fake import READY_PATH, STATS_PATH
from bench._ingest_procs import BenchError, Child, free_port, run_to_end
from bench._ingest_scenarios import SCENARIOS
from bench.ingest import (
    READY_TIMEOUT,
    REPO,
    SECRET,
    TOKEN,
    UPGRADE_TIMEOUT,
    USER_BASE,
    child_env,
    database,
    scripts,
    seed,
)
from kinerja.reminders import Audience, AudienceKind
from kinerja.services import broadcasts
from storage.database import create_database
from storage.models import OutboxMessage
from storage.uow import UnitOfWork, session_factory

MARKER = "SIARANBENCH"
TEXT = f"{MARKER}: batas pengisian SKP 2027 adalah 31 Januari. Mohon segera dilengkapi."
REQUEST_TIMEOUT = 10.0
START_SLACK = 30.0  # seconds allowed on top of recipients / rate for the broadcast to finish


@dataclass
class Run:
    backend: str
    rate: int
    recipients: int
    queued_at: float = 0.0  # monotonic, when the broadcast was committed
    finished_at: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    timed_out: bool = False
    bot_cpu: float = 0.0  # seconds of the service's CPU from the commit to the last row settled

    @property
    def delivered(self) -> collections.Counter[int]:
        return collections.Counter({int(k): v for k, v in self.stats.get("per_chat", {}).items()})

    def achieved(self) -> float:
        per_chat = self.delivered
        first, last = self.stats.get("first"), self.stats.get("last")
        total = sum(per_chat.values())
        if first is None or last is None or last <= first:
            return math.nan
        return (total - 1) / (float(last) - float(first))

    def lost(self) -> int:
        per_chat = self.delivered
        return sum(1 for user in range(self.recipients) if per_chat[USER_BASE + user] == 0)

    def duplicates(self) -> int:
        return sum(count - 1 for count in self.delivered.values() if count > 1)

    def during(self) -> list[float]:
        """Latencies of the updates sent while the broadcast was going out."""
        first, last = self.stats.get("first"), self.stats.get("last")
        if first is None or last is None:
            return []
        return sorted(seconds for at, seconds in self.latencies if first <= at <= last)


def percentile(ordered: Sequence[float], share: float) -> float:
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)] * 1e3


async def chat_traffic(url: str, args: argparse.Namespace, run: Run, stop: asyncio.Event) -> None:
    """Users log activities by webhook, one update at a time each, until `stop` is set."""
    scenario = SCENARIOS["activity"]
    users = collections.deque(scripts(scenario, 0, min(run.recipients, 2_000)))
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)

    async def user_loop(session: aiohttp.ClientSession) -> None:
        while users and not stop.is_set():
            for body in users.popleft():
                if stop.is_set():
                    return
                started = time.monotonic()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        if response.status != 200:
                            run.errors[f"HTTP {response.status}"] += 1
                except (aiohttp.ClientError, TimeoutError) as error:
                    run.errors[type(error).__name__] += 1
                run.latencies.append((started, time.monotonic() - started))
                await asyncio.sleep(args.think)

    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(user_loop(session) for _ in range(args.concurrency)))


async def queue_broadcast(url: str) -> int:
    engine = create_database(url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            broadcast_id, _people = await broadcasts.create(
                uow, None, TEXT, Audience(AudienceKind.ALL), datetime.now(UTC)
            )
            await uow.commit()
        return broadcast_id
    finally:
        await engine.dispose()


async def outbox_statuses(url: str, broadcast_id: int) -> dict[str, int]:
    engine = create_database(url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            rows = await uow.session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.broadcast_id == broadcast_id)
                .group_by(OutboxMessage.status)
            )
            return {str(status): int(count) for status, count in rows}
    finally:
        await engine.dispose()


async def wait_until_sent(url: str, broadcast_id: int, within: float) -> bool:
    """Poll the outbox until no row of the broadcast is pending or sending."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        statuses = await outbox_statuses(url, broadcast_id)
        if not statuses.get("pending") and not statuses.get("sending"):
            return True
        await asyncio.sleep(0.5)
    return False


async def fake_stats(root: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(f"{root}{STATS_PATH}") as response,
    ):
        result: dict[str, Any] = await response.json()
        return result


async def run_backend(backend: str, folder: Path, args: argparse.Namespace) -> Run:
    run = Run(backend, args.rate, args.recipients)
    fake_port, port = free_port(), free_port()
    fake_root = f"http://127.0.0.1:{fake_port}"
    argv = [sys.executable, "-m", "bench._broadcast_fake", "--port", str(fake_port)]
    argv += ["--rate", str(args.rate), "--marker", MARKER]
    fake = await Child.start(
        "fake Bot API", argv, env=child_env(), cwd=REPO, log=folder / f"fake-{backend}.log"
    )
    try:
        await fake.wait_ready(f"{fake_root}{READY_PATH}", READY_TIMEOUT)
        async with database(backend, folder) as url:
            env = child_env(DATABASE_URL=url, LOG_LEVEL="WARNING")
            kinerja = str(Path(sys.executable).with_name("kinerja"))
            await run_to_end(
                "kinerja db upgrade",
                [kinerja, "db", "upgrade"],
                env=env,
                cwd=folder,
                log=folder / f"upgrade-{backend}.log",
                within=UPGRADE_TIMEOUT,
            )
            await seed(url, args.recipients)
            webhook = f"http://127.0.0.1:{port}/webhooks/telegram"
            env |= {
                "HTTP_HOST": "127.0.0.1",
                "HTTP_PORT": str(port),
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": fake_root,
                "TELEGRAM_WEBHOOK_URL": webhook,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TELEGRAM_RATE": str(args.rate),
            }
            log = folder / f"kinerja-{backend}.log"
            command = [kinerja, "run"]
            if args.profile:  # cProfile writes its file when the service exits on SIGTERM
                out = f"{args.profile}.{backend}"
                command = [sys.executable, "-m", "cProfile", "-o", out, "-m", "bot.cli", "run"]
            bot = await Child.start(f"kinerja ({backend})", command, env=env, cwd=folder, log=log)
            try:
                await bot.wait_ready(f"http://127.0.0.1:{port}/healthz", READY_TIMEOUT)
                cpu_before = bot.cpu_seconds()
                await measure(run, url, webhook, fake_root, args)
                run.bot_cpu = bot.cpu_seconds() - cpu_before
            finally:
                await bot.stop()
            for line in bot.log_lines()[:5]:
                print(f"    ({backend} log) {line[:150]}")
    finally:
        await fake.stop()
    return run


async def measure(
    run: Run, url: str, webhook: str, fake_root: str, args: argparse.Namespace
) -> None:
    stop = asyncio.Event()
    traffic = asyncio.create_task(chat_traffic(webhook, args, run, stop))
    try:
        run.queued_at = time.monotonic()
        broadcast_id = await queue_broadcast(url)
        within = run.recipients / run.rate + START_SLACK
        run.timed_out = not await wait_until_sent(url, broadcast_id, within)
        run.finished_at = time.monotonic()
    finally:
        stop.set()
        await traffic
    run.stats = await fake_stats(fake_root)
    run.statuses = await outbox_statuses(url, broadcast_id)


def report(run: Run) -> None:
    during = run.during()
    achieved = run.achieved()
    first = run.stats.get("first")
    start_lag = first - run.queued_at if first is not None else math.nan
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(run.statuses.items())) or "none"
    sent_rows = run.statuses.get("sent", 0)
    delivered = len(run.delivered)
    print(
        f"  {run.backend:<10} rate {achieved:7.1f}/s = {achieved / run.rate:5.3f} N   "
        f"429s {run.stats.get('limited', 0):4d}   lost {run.lost():3d}   "
        f"duplicates {run.duplicates():3d}   "
        f"chat p50 {percentile(during, 0.5):6.1f} ms  p99 {percentile(during, 0.99):6.1f} ms "
        f"({len(during)} updates)" + ("   (did not finish in time)" if run.timed_out else "")
    )
    print(
        f"    outbox rows: {statuses}; recipients reached {delivered}; rows sent but not "
        f"received {max(sent_rows - delivered, 0)}; first message {start_lag:.1f} s after the "
        f"commit (the drainer polls every 5 s); chat errors {dict(run.errors) or 'none'}"
    )
    busy = run.bot_cpu / (run.finished_at - run.queued_at) * 100
    per_message = run.bot_cpu / max(sent_rows, 1) * 1e3
    print(
        f"    service CPU {busy:.0f}% of a core while it ran, {per_message:.2f} ms per message "
        "(chat updates included)"
    )


async def main(args: argparse.Namespace) -> int:
    print(
        f"broadcast of {args.recipients} messages through a fake Bot API allowing "
        f"{args.rate} messages/s (429 beyond), with {args.concurrency} users logging "
        f"activities by webhook meanwhile ({args.think:.2f} s between updates)"
    )
    with tempfile.TemporaryDirectory(prefix="kinerja-broadcast-") as scratch:
        for backend in args.backends:
            started = time.monotonic()
            try:
                run = await run_backend(backend, Path(scratch), args)
            except BenchError as error:
                print(f"  ({backend}: {error})")
                continue
            report(run)
            print(f"    ({backend}: run took {time.monotonic() - started:.1f} s)", flush=True)
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.broadcast",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rate", type=int, default=300, help="N, messages/s (default 300)")
    parser.add_argument("--recipients", type=int, default=10_000, help="default 10000")
    parser.add_argument("--backends", default="sqlite,postgresql", help="default both")
    parser.add_argument("--concurrency", type=int, default=4, help="chatting users (4)")
    parser.add_argument(
        "--think", type=float, default=0.1, help="seconds between a user's updates (0.1)"
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="run the service under cProfile, writing FILE.<backend>"
    )
    args = parser.parse_args(argv)
    args.backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    if set(args.backends) - {"sqlite", "postgresql"}:
        parser.error("backends are sqlite and postgresql")
    if not 1 <= args.rate <= 1000:
        parser.error("--rate must be between 1 and 1000")
    if not 1 <= args.recipients <= 50_000:
        parser.error("--recipients must be between 1 and 50000")
    return args


async def interruptible(args: argparse.Namespace) -> int:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await main(args)
    except asyncio.CancelledError:
        print("interrupted: subprocesses stopped, databases dropped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(asyncio.run(interruptible(parse_args())))
