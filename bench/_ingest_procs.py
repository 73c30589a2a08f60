"""Subprocesses and CPU accounting for the ingest benchmark.

Every wait here is bounded: readiness polls stop at a deadline, and stopping a process is SIGTERM,
then SIGKILL if it has not exited within a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import aiohttp

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STOP_TIMEOUT = 10.0
LOG_TAIL_LINES = 15


class BenchError(Exception):
    """A run could not be measured; the message says why, in one line."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` from /proc/<pid>/stat (threads included, children not)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    # After "pid (comm)": fields[0] is the state (field 3), utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle (user, nice, system, irq, softirq, steal)."""
    with open("/proc/stat") as handle:
        values = [int(value) for value in handle.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def _open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


def _read_tail(path: Path, lines: int) -> list[str]:
    if not path.is_file():
        return []
    return path.read_text(errors="replace").splitlines()[-lines:]


def _read_lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines() if path.is_file() else []


class Child:
    """A subprocess whose stdout and stderr go to a log file (never a pipe that could fill up)."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log

    @classmethod
    async def start(
        cls, name: str, argv: Sequence[str], *, env: dict[str, str], cwd: Path, log: Path
    ) -> Child:
        handle = _open_log(log)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, env=env, cwd=cwd, stdout=handle, stderr=asyncio.subprocess.STDOUT
            )
        finally:
            handle.close()
        return cls(name, process, log)

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid)

    def log_lines(self) -> list[str]:
        return _read_lines(self.log)

    def failure(self, what: str) -> BenchError:
        tail = "\n    ".join(_read_tail(self.log, LOG_TAIL_LINES)) or "(no output)"
        return BenchError(f"{self.name}: {what}; its output ends:\n    {tail}")

    async def wait_ready(self, url: str, within: float) -> None:
        """Poll `url` until it answers 200, the process exits, or `within` seconds pass."""
        deadline = time.monotonic() + within
        probe = aiohttp.ClientTimeout(total=1.0)
        async with aiohttp.ClientSession(timeout=probe) as session:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise self.failure(f"exited with code {self.process.returncode} at start-up")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(url) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)
        raise self.failure(f"not ready within {within:.0f} s")

    async def stop(self) -> None:
        """SIGTERM, wait a bounded time, then SIGKILL; safe to call twice."""
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)


async def run_to_end(
    name: str, argv: Sequence[str], *, env: dict[str, str], cwd: Path, log: Path, within: float
) -> None:
    """Run a short command to completion within `within` seconds; raise if it fails."""
    child = await Child.start(name, argv, env=env, cwd=cwd, log=log)
    try:
        code = await asyncio.wait_for(child.process.wait(), within)
    except TimeoutError:
        await child.stop()
        raise child.failure(f"did not finish within {within:.0f} s") from None
    if code != 0:
        raise child.failure(f"exited with code {code}")
