"""`kinerja run` start-up time (process spawn to first /healthz answer) and idle RSS.

Run: `python -m bench.startup`. Each figure is the median of several starts.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

RUNS = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(env: dict[str, str], *args: str) -> tuple[float, float, float]:
    """Seconds to a healthy answer, idle RSS (MB) after settling, and RSS after 50 requests."""
    port = free_port()
    kinerja = Path(sys.executable).with_name("kinerja")
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own entry point
        [str(kinerja), *args, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("the service exited during start-up") from None
                time.sleep(0.01)
        ready = time.perf_counter() - started
        time.sleep(2)
        idle = rss_mb(process.pid)
        for _ in range(50):
            with urllib.request.urlopen(url, timeout=1):
                pass
        return ready, idle, rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = {**os.environ, "HTTP_HOST": "127.0.0.1"}
        print(f"kinerja run start-up (median of {RUNS}), idle RSS")
        cases = [
            ("run, new SQLite db (migrates)", None, ("run",)),
            ("run, migrated SQLite db", f"sqlite:///{folder}/warm.db", ("run",)),
            ("demo (seeded, web chat on)", None, ("demo", "--db", f"{folder}/demo.db")),
        ]
        for label, url, args in cases:
            results = []
            for attempt in range(RUNS):
                db = url or f"sqlite:///{folder}/fresh{attempt}{label[:3]}.db"
                results.append(start({**base, "DATABASE_URL": db}, *args))
            ready = statistics.median(r[0] for r in results)
            idle = statistics.median(r[1] for r in results)
            busy = statistics.median(r[2] for r in results)
            print(f"  {label:<32} {ready:5.2f} s   idle RSS {idle:5.1f} MB   busy {busy:5.1f} MB")


if __name__ == "__main__":
    main()
