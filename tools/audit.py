"""Audit the pinned dependencies (requirements.lock) for known vulnerabilities.

`pip-audit` asks PyPI's per-release JSON (`/pypi/<name>/<version>/json`) or OSV for advisories.
On this project's machines only the package registry is reachable, and its mirror answers the
per-release URL with 404, so `pip-audit` alone reports every package as "could not be audited"
and still exits 0: a clean result that audited nothing. This runs `pip-audit` first and keeps
its verdict for every package it could audit; for the others it reads the project's JSON
(`/pypi/<name>/json`, which the registry serves), whose `vulnerabilities` list applies to the
latest release, and uses it when the pin *is* the latest release.

Exit 1 on any known vulnerability. A pin older than the latest release that nothing could audit
is listed as unaudited; `--strict` (use it where OSV or PyPI's full API is reachable) fails on
those too.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

PYPI = "https://pypi.org/pypi"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[_canonical(match.group(1))] = match.group(2)
    return found


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_audit(lock: Path) -> dict[str, list[str]] | None:
    """{package: [advisory ids]} for every package pip-audit could audit; None if it failed."""
    command = [
        sys.executable, "-m", "pip_audit", "-r", str(lock), "--no-deps", "--disable-pip",
        "--progress-spinner", "off", "--format", "json",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed: {result.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    return {
        _canonical(dependency["name"]): [vuln["id"] for vuln in dependency.get("vulns", [])]
        for dependency in report.get("dependencies", [])
        if not dependency.get("skip_reason")
    }


def latest_release_advisories(name: str) -> tuple[str, list[str]] | None:
    """(latest version, ids of advisories affecting it), from the project's JSON."""
    try:
        with urllib.request.urlopen(f"{PYPI}/{name}/json", timeout=30) as response:  # noqa: S310
            data = json.load(response)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as error:
        print(f"{name}: PyPI unreachable ({error})", file=sys.stderr)
        return None
    advisories = [
        str(vuln.get("id"))
        for vuln in data.get("vulnerabilities") or []
        if not vuln.get("withdrawn")
    ]
    return str(data["info"]["version"]), advisories


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lock", nargs="?", default="requirements.lock", type=Path)
    parser.add_argument("--strict", action="store_true", help="fail on unaudited pins too")
    options = parser.parse_args()
    pinned = pins(options.lock)
    audited = pip_audit(options.lock) or {}
    vulnerable: list[str] = []
    unaudited: list[str] = []
    for name, version in sorted(pinned.items()):
        if name in audited:
            ids = audited[name]
            source = "pip-audit"
        else:
            latest = latest_release_advisories(name)
            if latest is None or latest[0] != version:
                newest = latest[0] if latest else "?"
                unaudited.append(f"{name}=={version} (latest {newest})")
                continue
            ids = latest[1]
            source = "PyPI project JSON"
        if ids:
            vulnerable.append(f"{name}=={version}: {', '.join(ids)} ({source})")
    print(f"audited {len(pinned) - len(unaudited)} of {len(pinned)} pinned packages")
    for line in vulnerable:
        print(f"VULNERABLE {line}")
    for line in unaudited:
        print(f"unaudited  {line}")
    if vulnerable or (options.strict and unaudited):
        return 1
    print("no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
