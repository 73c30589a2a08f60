"""Several workers on one PostgreSQL (issue 9): webhook throughput with 1, 2 and 4 workers, and a
soak compressed in time.

Scaling: the harness of `bench/ingest.py` (lean fake Bot API in its own process, the activity
scenario, 500 users at concurrency 50, each webhook answered after its reply) against
`kinerja run` with `WORKERS=N` (one process for N=1; a supervisor and N workers sharing the port
with SO_REUSEPORT otherwise). Bot CPU is summed over the workers. Scaling efficiency is
rate(N) / (N x rate(1)).

Soak (`--soak SECONDS`, 0 to skip): 2 workers, steady mixed traffic (the activity and menu
scenarios, `--soak-concurrency` users at a time, each pausing `--think` s between updates), a
broadcast to every seeded employee queued at the start, and the afternoon reminder set to fire a
minute in (REMINDER_DAILY_TIME, Jakarta time; on a weekend or holiday no reminder is due, and
the report says 0). The fake Bot API here is `bench/_broadcast_fake.py` (rate-limited, counting
the broadcast per chat). Reported: updates, p50/p99, errors, each worker's RSS at the start and
the end and its growth, worker restarts, broadcast delivered / lost / duplicated, reminders sent,
job runs (ok / skipped by the other worker) from `/metrics`.

Run: `python -m bench.scale [--workers 1,2,4] [--users 500] [--soak 60]`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg

from bench._ingest_echo import SECRET_HEADER
from bench._ingest_fake import READY_PATH
from bench._ingest_procs import (
    BenchError,
    Child,
    free_port,
    machine_busy_seconds,
    process_cpu_seconds,
    run_to_end,
)
from bench._ingest_scenarios import SCENARIOS
from bench.broadcast import MARKER, fake_stats, outbox_statuses, queue_broadcast
from bench.ingest import (
    SECRET,
    TOKEN,
    USER_BASE,
    Load,
    child_env,
    database,
    drive,
    fake_api,
    scripts,
    seed,
    warmup_users,
)

REPO = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 90.0
MEASURE_TIMEOUT = 45.0
SAMPLE_EVERY = 5.0
DRAIN_TIMEOUT = 60.0


# --- processes ----------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Live child processes of `pid` (the workers under a supervisor)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def tree_cpu(pid: int) -> float:
    """CPU seconds of `pid` and its children (the supervisor itself is nearly idle)."""
    total = 0.0
    for each in [pid, *children_of(pid)]:
        try:
            total += process_cpu_seconds(each)
        except OSError:
            continue
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def workers_of(child: Child, count: int) -> list[int]:
    return [child.pid] if count == 1 else children_of(child.pid)


async def wait_for_workers(url: str, child: Child, count: int, within: float) -> None:
    """Until `count` distinct workers have answered /healthz (each starts on its own)."""
    await child.wait_ready(f"{url}/healthz", within)
    deadline = time.monotonic() + within
    seen: set[int] = set()
    while time.monotonic() < deadline:
        async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as got:
            seen.add(int(got.headers["X-Kinerja-Worker"]))
        if len(seen) >= count:
            return
        await asyncio.sleep(0.05)
    raise child.failure(f"only {len(seen)} of {count} workers answered within {within:.0f} s")


async def start_service(
    url: str, folder: Path, fake_root: str, workers: int, extra: dict[str, str]
) -> tuple[Child, str]:
    kinerja = str(Path(sys.executable).with_name("kinerja"))
    env = child_env(DATABASE_URL=url, LOG_LEVEL="WARNING")
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    env |= {
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake_root,
        "TELEGRAM_WEBHOOK_URL": f"{root}/webhooks/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "WORKERS": str(workers),
        **extra,
    }
    log = folder / f"kinerja-x{workers}.log"
    child = await Child.start(
        f"kinerja x{workers}", [kinerja, "run"], env=env, cwd=folder, log=log
    )
    try:
        await wait_for_workers(root, child, workers, READY_TIMEOUT)
    except BaseException:
        await child.stop()
        raise
    return child, root


async def migrated_and_seeded(url: str, folder: Path, users: int) -> None:
    kinerja = str(Path(sys.executable).with_name("kinerja"))
    await run_to_end(
        "kinerja db upgrade",
        [kinerja, "db", "upgrade"],
        env=child_env(DATABASE_URL=url),
        cwd=folder,
        log=folder / "upgrade.log",
        within=60,
    )
    await seed(url, users)


def percentile(latencies: Sequence[float], share: float) -> float:
    ordered = sorted(latencies)
    if not ordered:
        return math.nan
    if share == 0.5:
        return statistics.median(ordered) * 1e3
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)] * 1e3


# --- scaling ------------------------------------------------------------------------------------


@dataclass
class ScaleRun:
    workers: int
    load: Load
    cpu: float
    machine: float

    @property
    def rate(self) -> float:
        return self.load.updates / self.load.elapsed if self.load.elapsed else 0.0


async def scale_run(
    workers: int, folder: Path, fake_root: str, args: argparse.Namespace
) -> ScaleRun:
    scenario = SCENARIOS["activity"]
    warm = warmup_users(args.users, args.concurrency)
    async with database("postgresql", folder) as url:
        await migrated_and_seeded(url, folder, args.users + warm)
        child, root = await start_service(url, folder, fake_root, workers, {})
        webhook = f"{root}/webhooks/telegram"
        try:
            await drive(webhook, scripts(scenario, args.users, warm), args.concurrency, 20)
            measured = scripts(scenario, 0, args.users)
            cpu_before, machine_before = tree_cpu(child.pid), machine_busy_seconds()
            load = await drive(webhook, measured, args.concurrency, MEASURE_TIMEOUT)
            cpu = tree_cpu(child.pid) - cpu_before
            machine = machine_busy_seconds() - machine_before
        finally:
            await child.stop()
    return ScaleRun(workers, load, cpu, machine)


def print_scaling(runs: Sequence[ScaleRun]) -> None:
    cores = os.cpu_count() or 1
    base = next((r.rate for r in runs if r.workers == 1), None)
    print(
        f"  {'workers':>7} {'updates/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/upd':>10} "
        f"{'errors':>6} {'efficiency':>10} {'machine busy':>12}"
    )
    for r in runs:
        efficiency = r.rate / (r.workers * base) if base else math.nan
        per = r.cpu / r.load.updates * 1e3 if r.load.updates else math.nan
        busy = r.machine / (r.load.elapsed * cores) * 100 if r.load.elapsed else math.nan
        print(
            f"  {r.workers:>7} {r.rate:9.0f} {percentile(r.load.latencies, 0.5):7.1f} "
            f"{percentile(r.load.latencies, 0.99):7.1f} {per:10.2f} "
            f"{sum(r.load.errors.values()):6d} {efficiency:10.2f} {busy:11.0f}%"
            + ("  (cut short)" if r.load.cut_short else "")
        )
    print(
        f"  ({cores} cores: the bot, PostgreSQL, the fake Bot API and the load generator share "
        "them, so more workers than cores only add context switches and pool connections)"
    )


# --- soak ---------------------------------------------------------------------------------------


@dataclass
class Soak:
    seconds: float
    updates: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    rss: dict[int, list[float]] = field(default_factory=dict)
    restarts: int = 0


async def steady_traffic(webhook: str, users: int, soak: Soak, args: argparse.Namespace) -> None:
    """`args.soak_concurrency` users at a time, cycling through everyone, for `soak.seconds`."""
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    deadline = time.monotonic() + soak.seconds
    kinds = itertools.cycle([SCENARIOS["activity"], SCENARIOS["menu"]])
    queue = itertools.cycle(range(users))
    timeout = aiohttp.ClientTimeout(total=10)

    async def one_user(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            user, scenario = next(queue), next(kinds)
            for update in scenario.build(USER_BASE + user):
                if time.monotonic() >= deadline:
                    return
                started = time.perf_counter()
                try:
                    async with session.post(
                        webhook, data=json.dumps(update).encode(), headers=headers
                    ) as response:
                        await response.read()
                        if response.status != 200:
                            soak.errors[f"HTTP {response.status}"] += 1
                except (aiohttp.ClientError, TimeoutError) as error:
                    soak.errors[type(error).__name__] += 1
                soak.latencies.append(time.perf_counter() - started)
                soak.updates += 1
                await asyncio.sleep(args.think)

    connector = aiohttp.TCPConnector(limit=args.soak_concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(one_user(session) for _ in range(args.soak_concurrency)))


async def sample_rss(child: Child, soak: Soak, stop: asyncio.Event) -> None:
    known: set[int] = set()
    while True:
        pids = workers_of(child, 2)
        if known and set(pids) - known:
            soak.restarts += len(set(pids) - known)
        known |= set(pids)
        for pid in pids:
            try:
                soak.rss.setdefault(pid, []).append(rss_mb(pid))
            except OSError:
                continue
        if stop.is_set():
            return
        try:
            await asyncio.wait_for(stop.wait(), SAMPLE_EVERY)
        except TimeoutError:
            continue


async def scrape_jobs(root: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(f"{root}/metrics") as got:
        text = await got.text()
    totals: dict[str, float] = collections.defaultdict(float)
    for line in text.splitlines():
        if line.startswith("kinerja_job_runs_total{"):
            labels, value = line.rsplit(" ", 1)
            outcome = labels.split('outcome="', 1)[1].split('"', 1)[0]
            totals[outcome] += float(value)
    return dict(totals)


async def reminders_sent(url: str) -> dict[str, int]:
    server = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(server)
    try:
        rows = await connection.fetch(
            "SELECT status, count(*) AS n FROM outbox WHERE purpose LIKE 'reminder%' "
            "GROUP BY status"
        )
    finally:
        await connection.close()
    return {row["status"]: row["n"] for row in rows}


async def drained(url: str, within: float) -> float | None:
    """Seconds until no outbox row is pending or sending, or None if not within `within`."""
    server = url.replace("postgresql+asyncpg://", "postgresql://")
    started = time.monotonic()
    connection = await asyncpg.connect(server)
    try:
        while time.monotonic() - started < within:
            waiting = await connection.fetchval(
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
            )
            if not waiting:
                return time.monotonic() - started
            await asyncio.sleep(0.5)
    finally:
        await connection.close()
    return None


async def soak_run(folder: Path, args: argparse.Namespace) -> None:
    fake_port = free_port()
    fake_root = f"http://127.0.0.1:{fake_port}"
    argv = [sys.executable, "-m", "bench._broadcast_fake", "--port", str(fake_port)]
    argv += ["--rate", str(args.rate), "--marker", MARKER]
    fake = await Child.start("fake Bot API", argv, env=child_env(), cwd=REPO, log=folder / "f.log")
    try:
        await fake.wait_ready(f"{fake_root}{READY_PATH}", READY_TIMEOUT)
        async with database("postgresql", folder) as url:
            await migrated_and_seeded(url, folder, args.soak_users)
            at = datetime.now(ZoneInfo("Asia/Jakarta")) + timedelta(minutes=1)
            extra = {
                # The bot's limit shared by the two workers, as docs/deploy.md advises.
                "TELEGRAM_RATE": str(args.rate / 2),
                "REMINDER_DAILY_TIME": f"{at:%H:%M}",
            }
            child, root = await start_service(url, folder, fake_root, 2, extra)
            soak = Soak(args.soak)
            try:
                broadcast_id = await queue_broadcast(url)
                queued_at = datetime.now(UTC)
                stop = asyncio.Event()
                sampler = asyncio.create_task(sample_rss(child, soak, stop))
                await steady_traffic(f"{root}/webhooks/telegram", args.soak_users, soak, args)
                stop.set()
                await sampler
                drain = await drained(url, DRAIN_TIMEOUT)
                jobs = await scrape_jobs(root)
                statuses = await outbox_statuses(url, broadcast_id)
                reminders = await reminders_sent(url)
                stats = await fake_stats(fake_root)
            finally:
                await child.stop()
    finally:
        await fake.stop()
    delivered = sum(per_chat_count for per_chat_count in stats["per_chat"].values())
    duplicated = sum(count - 1 for count in stats["per_chat"].values() if count > 1)
    p50, p99 = percentile(soak.latencies, 0.5), percentile(soak.latencies, 0.99)
    print(
        f"  {soak.updates} updates in {soak.seconds:.0f} s ({soak.updates / soak.seconds:.0f}/s), "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, errors {sum(soak.errors.values())} "
        f"{dict(soak.errors) or ''}"
    )
    for pid, samples in sorted(soak.rss.items()):
        warm = samples[len(samples) // 4]  # after a quarter of the soak: caches are warm
        print(
            f"  worker {pid}: RSS {samples[0]:.0f} MB at the start, {warm:.0f} MB a quarter in, "
            f"{max(samples):.0f} MB peak, {samples[-1]:.0f} MB at the end "
            f"({samples[-1] - warm:+.1f} MB over the last three quarters, {len(samples)} samples)"
        )
    print(f"  worker restarts: {soak.restarts}")
    recipients = sum(statuses.values())
    print(
        f"  broadcast queued {queued_at:%H:%M:%S} UTC to {recipients}: outbox {statuses}; "
        f"the fake counted {delivered} in {len(stats['per_chat'])} chats, "
        f"{duplicated} duplicated, {max(recipients - len(stats['per_chat']), 0)} not received; "
        f"429s {stats.get('limited', 0)}"
    )
    print(f"  reminders (daily nudge at {extra['REMINDER_DAILY_TIME']} WIB): {reminders or 0}")
    left = "not drained" if drain is None else f"drained {drain:.0f} s after the traffic stopped"
    print(f"  outbox: {left}")
    print(f"  job runs over both workers: {jobs}")


# --- main ---------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> int:
    failed = False
    with tempfile.TemporaryDirectory(prefix="kinerja-scale-") as scratch:
        folder = Path(scratch)
        if args.workers:
            print(
                f"webhook throughput by workers (PostgreSQL, activity scenario, {args.users} "
                f"users, concurrency {args.concurrency}):",
                flush=True,
            )
            runs: list[ScaleRun] = []
            async with fake_api("process", folder) as (fake_root, _fake):
                for count in args.workers:
                    try:
                        runs.append(await scale_run(count, folder, fake_root, args))
                    except BenchError as error:
                        print(f"  ({count} workers: {error})")
                        failed = True
            print_scaling(runs)
            failed = failed or any(r.load.errors for r in runs)
        if args.soak:
            print(
                f"soak: {args.soak:.0f} s, 2 workers, {args.soak_users} employees, "
                f"{args.soak_concurrency} users chatting, a broadcast to all (fake's limit "
                f"{args.rate}/s, "
                f"TELEGRAM_RATE {args.rate / 2:g} per worker), "
                "the daily reminder a minute in:",
                flush=True,
            )
            try:
                await soak_run(folder, args)
            except BenchError as error:
                print(f"  (soak: {error})")
                failed = True
    return 1 if failed else 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--workers", default="1,2,4", help="worker counts to measure ('' none)")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--soak", type=float, default=60.0, help="soak seconds (0: skip)")
    parser.add_argument("--soak-users", type=int, default=1000)
    parser.add_argument("--soak-concurrency", type=int, default=10)
    parser.add_argument("--think", type=float, default=0.05, help="pause between updates (s)")
    parser.add_argument("--rate", type=int, default=100, help="fake Bot API send limit (/s)")
    args = parser.parse_args(argv)
    args.workers = [int(n) for n in args.workers.split(",") if n.strip()]
    if any(not 1 <= n <= 16 for n in args.workers):
        parser.error("--workers: counts between 1 and 16")
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
