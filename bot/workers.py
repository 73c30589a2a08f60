"""`kinerja run --workers N`: a small supervisor that starts N service processes on one port.

Each worker is an ordinary `kinerja run` process (its own event loop, pool and scheduler) that
binds the port with SO_REUSEPORT, so the kernel spreads incoming connections over them; no
worker needs to know about the others, because everything they share lives in PostgreSQL (the
per-user advisory lock, job-run claims, the outbox's SKIP LOCKED claims). The supervisor:

- starts the workers as fresh interpreters (not forks: nothing of its own state, threads or
  sockets leaks into them), with `PROMETHEUS_MULTIPROC_DIR` pointing at a private folder so
  any worker's `/metrics` reports the sum over all of them (bot/metrics.py);
- passes SIGTERM/SIGINT on to them and waits for their graceful shutdown (sends in flight
  finish, unsent outbox rows go back to pending), killing one that takes longer than
  `STOP_GRACE` seconds;
- restarts a worker that dies while serving, after a pause that doubles while it keeps dying
  (1 s up to 30 s);
- stops everything when a worker fails during its first seconds (a bad setting, an outdated
  schema, a port in use), since restarting it would only fail the same way.

A process manager (systemd, Kubernetes) can run N single-worker processes instead; see
docs/deploy.md.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

REUSE_PORT_ENV = "KINERJA_REUSE_PORT"
STOP_GRACE = 35.0  # the outbox gives sends in flight 30 s
STARTUP_SECONDS = 10.0
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
POLL = 0.2


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)


class Supervisor:
    def __init__(
        self,
        argv: Sequence[str],
        workers: int,
        *,
        env: dict[str, str] | None = None,
        say: Callable[[str, dict[str, object]], None] | None = None,
    ) -> None:
        """`argv` starts one worker (`python -m bot.cli run ...`); `say(key, params)` reports
        restarts and failures to the operator (through the CLI's catalogs)."""
        self.argv = list(argv)
        self.count = workers
        self.env = dict(os.environ if env is None else env)
        self.say = say or (lambda _key, _params: None)
        self.workers: list[_Worker] = []
        self.stopping = False
        self.delay = FIRST_DELAY

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; the exit code (0, or a worker's start-up failure)."""
        metrics_dir = tempfile.mkdtemp(prefix="kinerja-metrics-")
        self.env |= {REUSE_PORT_ENV: "1", "PROMETHEUS_MULTIPROC_DIR": metrics_dir, "WORKERS": "1"}
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for _ in range(self.count):
                self.workers.append(self._start())
            return self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            shutil.rmtree(metrics_dir, ignore_errors=True)

    def _start(self) -> _Worker:
        return _Worker(subprocess.Popen(self.argv, env=self.env))  # noqa: S603 - our own argv

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _watch(self) -> int:
        while not self.stopping:
            time.sleep(POLL)
            for index, worker in enumerate(self.workers):
                code = worker.process.poll()
                if code is None or self.stopping:
                    continue
                pid = worker.process.pid
                if time.monotonic() - worker.started < STARTUP_SECONDS and code != 0:
                    self.say("cli.workers.failed", {"pid": pid, "code": code})
                    return code if code > 0 else 1
                self.say("cli.workers.restart", {"pid": pid, "code": code, "delay": self.delay})
                self._pause(self.delay)
                lived = time.monotonic() - worker.started
                self.delay = FIRST_DELAY if lived > 60 else min(self.delay * 2, MAX_DELAY)
                if not self.stopping:
                    self.workers[index] = self._start()
        return 0

    def _pause(self, seconds: float) -> None:
        """Sleep, but not past a stop request."""
        until = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < until:
            time.sleep(POLL)

    def _stop_all(self) -> None:
        alive = [w.process for w in self.workers if w.process.poll() is None]
        for process in alive:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for process in alive:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def worker_argv(host: str | None, port: int | None) -> list[str]:
    """How the supervisor starts one worker: this interpreter, `kinerja run`, same address."""
    argv = [sys.executable, "-m", "bot.cli", "run"]
    if host:
        argv += ["--host", host]
    if port:
        argv += ["--port", str(port)]
    return argv


def reuse_port() -> bool:
    """True in a worker started by the supervisor (it shares its port with the others)."""
    return os.environ.get(REUSE_PORT_ENV) == "1"
