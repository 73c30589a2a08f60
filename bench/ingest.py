"""Webhook ingest of realistic traffic (DESIGN.md section 6): our service against a PTB echo bot.

Three kinds of process, all on 127.0.0.1:
  * a lean fake Bot API (`bench/_ingest_fake.py`, its own process unless `--fake inline`) that
    answers at once and counts calls per method;
  * the bot under test, in its own process: "ptb-echo" (`bench/_ingest_echo.py`, stock PTB with
    its httpx transport, no database) and "kinerja" (`kinerja run` on each backend, with N seeded
    employees each linked to their Telegram account, so every simulated user is a registered ASN);
  * this process, the load generator: N users play a scenario (`bench/_ingest_scenarios.py`), each
    sending its updates in order and waiting for each answer, `--concurrency` users at a time.
    A request's latency is the time until the webhook answers, i.e. after the bot's reply was sent.

A warm-up precedes each measured phase: other users (5% of them, but at least `--concurrency`, so
every connection is open and warm when measuring starts), not measured. Figures:
updates/s, p50/p99 latency, bot CPU ms per update (/proc/<pid>/stat), errors (non-200 answers and
failed requests), Bot API calls per update; then kinerja/ptb-echo ratios of updates/s.

The echo runs before and after the kinerja runs, and each kinerja run is divided by the mean of
the echo runs around it: on a shared machine the echo's rate drifts by half within minutes, and
one echo run alone made the ratio swing with it. `--rounds N` repeats echo + backends N times
and reports the median ratio per backend.

Run: `python -m bench.ingest [--users 500] [--concurrency 50] [--backends sqlite,postgresql]
[--rounds 1]`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from bench._ingest_echo import SECRET_HEADER
from bench._ingest_fake import READY_PATH, STATS_PATH, make_app
from bench._ingest_procs import (
    BenchError,
    Child,
    free_port,
    machine_busy_seconds,
    run_to_end,
)
from bench._ingest_scenarios import SCENARIOS, Scenario
from bench.roster_import import UNITS, as_csv, roster_rows
from kinerja.roster import parse_roster
from kinerja.services.directory import link_identity, person_by_nip
from kinerja.services.roster_import import import_roster
from storage.database import create_database
from storage.uow import UnitOfWork, session_factory

REPO = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BOT_ID = 7_000_000_002
TOKEN = f"{BOT_ID}:AAHbenchTokenForLocalRunsOnly_0123456789"
SECRET = "bench-ingest-secret_0123456789"  # noqa: S105 - a local test value
USER_BASE = 20_000_000  # Telegram user id of simulated user 0
WARMUP_SHARE = 0.05
REQUEST_TIMEOUT = 10.0
READY_TIMEOUT = 30.0
UPGRADE_TIMEOUT = 60.0
WARMUP_TIMEOUT = 20.0
MEASURE_TIMEOUT = 45.0
TOTAL_BUDGET = 170.0  # seconds per round of the benchmark; later runs are skipped past it
BUDGET_PER_RUN = 30.0  # what a run needs at least to be started


@dataclass
class Load:
    """What one phase of load produced, as the load generator saw it."""

    updates: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    cut_short: bool = False


@dataclass
class Result:
    bot: str
    backend: str
    load: Load
    bot_cpu: float  # seconds, measured phase
    fake_cpu: float | None
    own_cpu: float
    machine_busy: float
    calls: collections.Counter[str]
    bot_log: list[str]
    background: float  # share of the machine busy just before the run, while the bot was idle

    @property
    def rate(self) -> float:
        return self.load.updates / self.load.elapsed if self.load.elapsed else 0.0

    def per_update(self, seconds: float) -> float:
        return seconds / self.load.updates * 1e3 if self.load.updates else math.nan

    def percentile(self, share: float) -> float:
        ordered = sorted(self.load.latencies)
        if not ordered:
            return math.nan
        if share == 0.5:
            return statistics.median(ordered) * 1e3
        return ordered[max(0, math.ceil(len(ordered) * share) - 1)] * 1e3


class Budget:
    def __init__(self, seconds: float) -> None:
        self.total = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def cap(self, seconds: float) -> float:
        return max(0.0, min(seconds, self.left()))


def warmup_users(users: int, concurrency: int) -> int:
    """5% of the users, but enough to open every connection the measured phase will use."""
    return max(1, round(users * WARMUP_SHARE), min(users, concurrency))


# --- load generation --------------------------------------------------------------------------


def scripts(scenario: Scenario, first: int, count: int) -> list[list[bytes]]:
    """Each user's updates as JSON bodies, built up front so sending costs little CPU."""
    return [
        [json.dumps(update).encode() for update in scenario.build(USER_BASE + index)]
        for index in range(first, first + count)
    ]


async def drive(url: str, users: list[list[bytes]], concurrency: int, within: float) -> Load:
    """Play every user's script, `concurrency` users at a time, until done or `within` s pass."""
    load = Load()
    pending = collections.deque(users)
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    deadline = time.monotonic() + within
    connector = aiohttp.TCPConnector(limit=concurrency)
    client_timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)

    async def post(session: aiohttp.ClientSession, body: bytes) -> None:
        started = time.perf_counter()
        try:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    load.errors[f"HTTP {response.status}"] += 1
        except (aiohttp.ClientError, TimeoutError) as error:
            load.errors[type(error).__name__] += 1
        load.latencies.append(time.perf_counter() - started)
        load.updates += 1

    async def user_loop(session: aiohttp.ClientSession) -> None:
        while pending:
            script = pending.popleft()
            for body in script:
                if time.monotonic() > deadline:
                    load.cut_short = True
                    return
                await post(session, body)

    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(user_loop(session) for _ in range(concurrency)))
        load.elapsed = time.perf_counter() - started
    return load


async def idle_load(seconds: float = 0.5) -> float:
    """How busy the machine is without our load: other work skews every figure."""
    before = machine_busy_seconds()
    await asyncio.sleep(seconds)
    return (machine_busy_seconds() - before) / (seconds * (os.cpu_count() or 1))


async def fake_calls(fake_root: str) -> collections.Counter[str]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.get(f"{fake_root}{STATS_PATH}") as response,
    ):
        return collections.Counter(await response.json())


async def measure(
    bot: str,
    backend: str,
    child: Child,
    webhook: str,
    fake_root: str,
    fake: Child | None,
    scenario: Scenario,
    users: int,
    concurrency: int,
    budget: Budget,
) -> Result:
    """Warm up on other users, then measure all `users` with CPU and Bot API call accounting."""
    background = await idle_load()
    warm = warmup_users(users, concurrency)
    logged_before = len(child.log_lines())
    warm_load = await drive(
        webhook, scripts(scenario, users, warm), concurrency, budget.cap(WARMUP_TIMEOUT)
    )
    if warm_load.errors:
        print(f"  ({bot}/{backend}: warm-up errors {dict(warm_load.errors)})")
    measured = scripts(scenario, 0, users)
    calls_before = await fake_calls(fake_root)
    bot_before = child.cpu_seconds()
    fake_before = fake.cpu_seconds() if fake else 0.0
    own_before = time.process_time()
    machine_before = machine_busy_seconds()
    load = await drive(webhook, measured, concurrency, budget.cap(MEASURE_TIMEOUT))
    machine = machine_busy_seconds() - machine_before
    own = time.process_time() - own_before
    fake_cpu = fake.cpu_seconds() - fake_before if fake else None
    bot_cpu = child.cpu_seconds() - bot_before
    calls = await fake_calls(fake_root)
    calls.subtract(calls_before)
    return Result(
        bot,
        backend,
        load,
        bot_cpu,
        fake_cpu,
        own,
        machine,
        +calls,
        child.log_lines()[logged_before:],
        background,
    )


# --- the bots -----------------------------------------------------------------------------------


def child_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "HTTP_", "WEB_CHAT", "LOG_LEVEL"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("PTB_TIMEDELTA", "true")
    return {**env, **extra}


async def run_echo(
    folder: Path, fake_root: str, fake: Child | None, args: argparse.Namespace, budget: Budget
) -> Result:
    port = free_port()
    argv = [sys.executable, "-m", "bench._ingest_echo", "--port", str(port)]
    argv += ["--api-root", fake_root, "--token", TOKEN, "--secret", SECRET]
    child = await Child.start("ptb-echo", argv, env=child_env(), cwd=REPO, log=folder / "echo.log")
    try:
        await child.wait_ready(f"http://127.0.0.1:{port}{READY_PATH}", budget.cap(READY_TIMEOUT))
        return await measure(
            "ptb-echo",
            "(none)",
            child,
            f"http://127.0.0.1:{port}/webhook",
            fake_root,
            fake,
            SCENARIOS[args.scenario],
            args.users,
            args.concurrency,
            budget,
        )
    finally:
        await child.stop()


@contextlib.asynccontextmanager
async def database(backend: str, folder: Path) -> AsyncIterator[str]:
    """A new, empty database URL for `backend`; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder}/ingest-{uuid.uuid4().hex[:8]}.db"  # one per run (--rounds)
        return
    server = PG_SERVER.replace("postgresql+asyncpg://", "postgresql://")
    try:
        admin = await asyncpg.connect(server, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        raise BenchError(f"PostgreSQL unreachable ({type(error).__name__}): skipped") from None
    name = f"kinerja_ingest_{uuid.uuid4().hex[:8]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def seed(url: str, count: int) -> None:
    """Import `count` employees and link employee i to Telegram user USER_BASE + i."""
    rows = roster_rows(max(count, UNITS))  # the generator needs at least one row per unit
    engine = create_database(url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            summary = await import_roster(
                uow, parse_roster(as_csv(rows), "roster.csv"), default_timezone="Asia/Jakarta"
            )
            if summary.errors:
                raise BenchError(f"seeding: {len(summary.errors)} roster rows rejected")
            for index, row in enumerate(rows[:count]):
                person = await person_by_nip(uow, row[0])
                if person is None:
                    raise BenchError(f"seeding: NIP {row[0]} missing after the import")
                await link_identity(uow, "telegram", str(USER_BASE + index), person)
            await uow.commit()
    finally:
        await engine.dispose()


async def run_kinerja(
    backend: str,
    folder: Path,
    fake_root: str,
    fake: Child | None,
    args: argparse.Namespace,
    budget: Budget,
) -> Result:
    kinerja = str(Path(sys.executable).with_name("kinerja"))
    warm = warmup_users(args.users, args.concurrency)
    async with database(backend, folder) as url:
        env = child_env(DATABASE_URL=url, LOG_LEVEL="WARNING")
        await run_to_end(
            "kinerja db upgrade",
            [kinerja, "db", "upgrade"],
            env=env,
            cwd=folder,
            log=folder / f"upgrade-{backend}.log",
            within=budget.cap(UPGRADE_TIMEOUT),
        )
        await seed(url, args.users + warm)
        port = free_port()
        webhook = f"http://127.0.0.1:{port}/webhooks/telegram"
        env |= {
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(port),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": fake_root,
            "TELEGRAM_WEBHOOK_URL": webhook,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
        }
        log = folder / f"kinerja-{backend}.log"
        # cwd is the scratch folder, so no stray `.env` can change the settings.
        command = [kinerja, "run"]
        if args.profile:
            # cProfile writes its file when `kinerja run` exits on the harness's SIGTERM.
            out = f"{args.profile}.{backend}"
            command = [sys.executable, "-m", "cProfile", "-o", out, "-m", "bot.cli", "run"]
        child = await Child.start(f"kinerja ({backend})", command, env=env, cwd=folder, log=log)
        try:
            await child.wait_ready(f"http://127.0.0.1:{port}/healthz", budget.cap(READY_TIMEOUT))
            return await measure(
                "kinerja",
                backend,
                child,
                webhook,
                fake_root,
                fake,
                SCENARIOS[args.scenario],
                args.users,
                args.concurrency,
                budget,
            )
        finally:
            await child.stop()


@contextlib.asynccontextmanager
async def fake_api(mode: str, folder: Path) -> AsyncIterator[tuple[str, Child | None]]:
    """The fake Bot API's root URL, and its process when it has its own."""
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    if mode == "inline":
        runner = web.AppRunner(make_app(), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", port).start()
            yield root, None
        finally:
            await runner.cleanup()
        return
    argv = [sys.executable, "-m", "bench._ingest_fake", "--port", str(port)]
    log = folder / "fake.log"
    child = await Child.start("fake Bot API", argv, env=child_env(), cwd=REPO, log=log)
    try:
        await child.wait_ready(f"{root}{READY_PATH}", READY_TIMEOUT)
        yield root, child
    finally:
        await child.stop()


# --- report -------------------------------------------------------------------------------------


def print_table(results: Sequence[Result]) -> None:
    header = (
        f"  {'bot':<9} {'backend':<10} {'updates/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'CPU ms/upd':>10} {'errors':>6} {'API calls/upd':>13}"
    )
    print(header)
    for r in results:
        calls = sum(r.calls.values()) / r.load.updates if r.load.updates else math.nan
        errors = sum(r.load.errors.values())
        print(
            f"  {r.bot:<9} {r.backend:<10} {r.rate:9.0f} {r.percentile(0.5):7.1f} "
            f"{r.percentile(0.99):7.1f} {r.per_update(r.bot_cpu):10.2f} {errors:6d} "
            f"{calls:13.2f}" + ("  (cut short at the time limit)" if r.load.cut_short else "")
        )


def print_details(results: Sequence[Result], fake_mode: str) -> None:
    cores = os.cpu_count() or 1
    print(f"  where the CPU went, ms per update ({cores} cores; 'rest' = database server, OS):")
    for r in results:
        fake = r.fake_cpu if r.fake_cpu is not None else 0.0
        rest = r.machine_busy - r.bot_cpu - fake - r.own_cpu
        fake_label = "fake API" if fake_mode == "process" else "fake API (in load gen)"
        fake_part = f"{fake_label} {r.per_update(fake):.2f}, " if r.fake_cpu is not None else ""
        busy = r.machine_busy / (r.load.elapsed * cores) * 100 if r.load.elapsed else math.nan
        print(
            f"    {r.bot + ' ' + r.backend:<19} bot {r.per_update(r.bot_cpu):.2f}, {fake_part}"
            f"load gen {r.per_update(r.own_cpu):.2f}, rest {r.per_update(rest):.2f}; "
            f"machine {busy:.0f}% busy (just before, bot idle: {r.background * 100:.0f}%)"
        )
    print("  Bot API calls in the measured phase:")
    for r in results:
        calls = ", ".join(f"{method} {count}" for method, count in sorted(r.calls.items()))
        print(f"    {r.bot + ' ' + r.backend:<19} {calls or 'none'}")
    for r in results:
        if r.load.errors:
            print(f"  errors, {r.bot} {r.backend}: {dict(r.load.errors)}")
        if r.bot_log:
            print(f"  {r.bot} {r.backend} logged {len(r.bot_log)} lines under load, first ones:")
            for line in r.bot_log[:5]:
                print(f"    {line[:160]}")


def print_ratios(results: Sequence[Result]) -> None:
    """Each kinerja run against the echo runs just before and after it (their mean), so a
    machine that speeds up or slows down during the benchmark moves both sides alike."""
    echoes = [i for i, r in enumerate(results) if r.bot == "ptb-echo" and r.rate]
    ratios: dict[str, list[float]] = {}
    for index, r in enumerate(results):
        if r.bot != "kinerja":
            continue
        before = [results[i].rate for i in echoes if i < index][-1:]
        after = [results[i].rate for i in echoes if i > index][:1]
        bracket = before + after
        if bracket:
            ratios.setdefault(r.backend, []).append(r.rate / statistics.fmean(bracket))
    if not ratios:
        print("ratio kinerja/ptb-echo: not available (a run is missing)")
        return
    parts = ", ".join(
        f"{backend} {statistics.median(values):.2f}x"
        + (f" (median of {', '.join(f'{v:.2f}' for v in values)})" if len(values) > 1 else "")
        for backend, values in ratios.items()
    )
    print(f"ratio kinerja/ptb-echo: {parts}")
    print(
        "  (ptb-echo uses no database; each kinerja run is divided by the mean of the echo runs"
        " just before and after it)"
    )


# --- main ---------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> int:
    scenario = SCENARIOS[args.scenario]
    if scenario.unavailable:
        print(f"scenario {scenario.name!r} skipped: {scenario.unavailable}")
        return 0
    budget = Budget(TOTAL_BUDGET * args.rounds)
    updates = len(scenario.build(USER_BASE))
    warm = warmup_users(args.users, args.concurrency)
    print(
        f"webhook ingest, scenario {scenario.name!r} ({scenario.description}): "
        f"{args.users} users x {updates} updates measured after {warm} warm-up users, "
        f"concurrency {args.concurrency}, fake Bot API: {args.fake}"
    )
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kinerja-ingest-") as scratch:
        folder = Path(scratch)
        async with fake_api(args.fake, folder) as (fake_root, fake):
            runs: list[tuple[str, str]] = []
            for _round in range(args.rounds):
                runs += [("ptb-echo", ""), *(("kinerja", backend) for backend in args.backends)]
            runs.append(("ptb-echo", ""))  # brackets the last round
            for bot, backend in runs:
                label = f"{bot} {backend}".strip()
                if budget.left() < BUDGET_PER_RUN:
                    print(f"  ({label}: skipped, the {budget.total:.0f} s budget is spent)")
                    continue
                started = time.monotonic()
                try:
                    if bot == "ptb-echo":
                        results.append(await run_echo(folder, fake_root, fake, args, budget))
                    else:
                        results.append(
                            await run_kinerja(backend, folder, fake_root, fake, args, budget)
                        )
                except BenchError as error:
                    print(f"  ({label}: {error})")
                    continue
                print(f"  ({label}: run took {time.monotonic() - started:.1f} s)", flush=True)
    print_table(results)
    print_details(results, args.fake)
    print_ratios(results)
    return 0 if results and all(not r.load.errors for r in results) else 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=500, help="measured users (default 500)")
    parser.add_argument("--concurrency", type=int, default=50, help="users in flight (50)")
    parser.add_argument(
        "--backends",
        default="sqlite,postgresql",
        help="comma-separated, of sqlite and postgresql (default both)",
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="activity")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat echo + backends this many times (ratios: the median over rounds)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run the kinerja bot under cProfile, writing FILE.<backend> (slows it down)",
    )
    parser.add_argument(
        "--fake",
        choices=("process", "inline"),
        default="process",
        help="fake Bot API in its own process (default) or in the load generator's",
    )
    args = parser.parse_args(argv)
    args.backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if not 1 <= args.users <= 20_000:
        parser.error("--users must be between 1 and 20000")
    if not 1 <= args.concurrency <= 500:
        parser.error("--concurrency must be between 1 and 500")
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be between 1 and 10")
    return args


async def interruptible(args: argparse.Namespace) -> int:
    """`main`, with SIGTERM cancelling it like Ctrl+C does, so the clean-up always runs."""
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
