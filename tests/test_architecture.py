"""The import rules of DESIGN.md section 2: handlers never see a platform, and so on."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("bot", "handlers", "kinerja", "scheduler", "storage")
PLATFORMS = ("telegram", "aiohttp", "sqlalchemy", "asyncpg", "aiosqlite", "alembic")

# folder -> (our packages it may import, third-party platform packages it may import)
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "kinerja": (("kinerja", "storage"), ()),
    "storage": (("storage", "kinerja"), ("sqlalchemy", "alembic", "asyncpg", "aiosqlite")),
    "bot/chat": (("bot.chat", "kinerja", "storage"), ()),
    "bot/channels": (("bot.chat", "bot.channels"), ("aiohttp", "telegram")),
    "bot/render": (("bot.render", "kinerja"), ()),
    "handlers": (("handlers", "bot.chat", "kinerja", "bot.render"), ()),
    "scheduler": (("scheduler", "kinerja", "storage", "bot.chat"), ()),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def violations(folder: str) -> list[str]:
    ours_allowed, platforms_allowed = RULES[folder]
    bad: list[str] = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in OURS and not any(
                name == allowed or name.startswith(allowed + ".") for allowed in ours_allowed
            ):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
            if top in PLATFORMS and top not in platforms_allowed:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


@pytest.mark.parametrize("folder", sorted(RULES))
def test_import_rules(folder: str) -> None:
    assert violations(folder) == []


def test_kinerja_services_alone_may_touch_storage() -> None:
    bad = [
        f"{path.relative_to(ROOT)}"
        for path in (ROOT / "kinerja").rglob("*.py")
        if "services" not in path.parts
        and any(name.split(".")[0] == "storage" for name in imports_of(path))
    ]
    assert bad == []


def test_the_rule_checker_catches_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from telegram import Bot\nimport storage.uow\n")
    assert imports_of(sample) == {"telegram", "storage.uow"}
