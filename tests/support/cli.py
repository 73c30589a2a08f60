"""Running the `kinerja` CLI in-process from tests, as a shell would."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings

# Every variable a setting reads, so no developer's shell or `.env` leaks into a test.
SETTINGS_VARIABLES = tuple(name.upper() for name in Settings.model_fields)


def isolate(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No `.env` (work in `folder`) and no settings from the caller's environment."""
    monkeypatch.chdir(folder)
    for variable in SETTINGS_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def run(*argv: str) -> int:
    """`kinerja ARGV...`; the exit code a shell would see."""
    try:
        main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else 0 if code is None else 1
    return 0


async def kinerja(*argv: str) -> int:
    """Run the CLI from an async test: off the test's event loop, as a separate process would."""
    return await asyncio.to_thread(run, *argv)
