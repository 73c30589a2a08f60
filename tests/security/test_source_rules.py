"""Rules checked on the source itself (docs/security.md): secrets are compared in constant time,
and SQL is never assembled from strings.

Both scan every module of the service with `ast`, so a new webhook or repository is covered the
day it is written; each rule is proved able to fail on a small bad sample.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "kinerja", "scheduler", "storage")
SECRET_WORDS = ("secret", "token", "signature", "password")
# Calls that take SQL text: SQLAlchemy's text()/literal_column()/exec_driver_sql() and the
# driver's own execute/fetch family (asyncpg, sqlite3).
SQL_CALLS = frozenset(
    {
        "text",
        "literal_column",
        "exec_driver_sql",
        "execute",
        "executemany",
        "executescript",
        "fetch",
        "fetchrow",
        "fetchval",
        "prepare",
    }
)


def sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def _names(node: ast.AST) -> list[str]:
    """Identifiers an expression mentions (names and attribute names), lower-cased."""
    found = []
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.append(child.id.lower())
        elif isinstance(child, ast.Attribute):
            found.append(child.attr.lower())
    return found


def _is_secretish(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):  # len(token), token.startswith(...): not the secret itself
        return False
    return any(word in name for name in _names(node) for word in SECRET_WORDS)


def _is_sql_column(node: ast.AST) -> bool:
    """`Model.column`: the comparison builds a WHERE clause the database runs (a lookup by an
    indexed hash), not a comparison in Python whose time could leak the secret."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
    )


def plain_secret_comparisons(tree: ast.AST) -> list[int]:
    """Lines comparing something secret-looking with == or != (a timing side channel)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
            isinstance(op, ast.Eq | ast.NotEq) for op in node.ops
        ):
            operands = [node.left, *node.comparators]
            constant_none = any(
                isinstance(o, ast.Constant) and o.value in (None, "") for o in operands
            )
            in_sql = any(_is_sql_column(operand) for operand in operands)
            if not (constant_none or in_sql) and any(_is_secretish(o) for o in operands):
                lines.append(node.lineno)
    return sorted(lines)


def _built_sql(node: ast.AST) -> bool:
    """An f-string, `%` or `+` on strings, or `.format()`: SQL assembled from values."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return any(
            isinstance(side, ast.Constant | ast.JoinedStr) and not isinstance(side.value, int)
            if isinstance(side, ast.Constant)
            else isinstance(side, ast.JoinedStr)
            for side in (node.left, node.right)
        )
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def sql_built_from_strings(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in SQL_CALLS and _built_sql(node.args[0]):
            lines.append(node.lineno)
    return sorted(lines)


@pytest.mark.parametrize("rule", [plain_secret_comparisons, sql_built_from_strings])
def test_the_service_keeps_the_rule(rule: object) -> None:
    assert callable(rule)
    bad = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sources()
        for line in rule(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert bad == []


def test_secret_comparison_rule_catches_a_plain_comparison() -> None:
    sample = ast.parse(
        "ok = given == self.webhook_secret\n"
        "bad = request.headers['X'] != verify_token\n"
        "fine = hmac.compare_digest(given, secret)\n"
        "also_fine = token is None or secret == ''\n"
        "query = select(Token.id).where(Token.token_hash == token_hash)\n"
    )
    assert plain_secret_comparisons(sample) == [1, 2]


def test_sql_rule_catches_assembled_sql() -> None:
    sample = ast.parse(
        'db.execute(text(f"SELECT * FROM t WHERE id = {value}"))\n'
        'conn.exec_driver_sql("DELETE FROM t WHERE n = %s" % name)\n'
        'driver.fetch("SELECT " + column)\n'
        'text("SELECT * FROM {}".format(table))\n'
        'text("SELECT * FROM t WHERE id = :id")\n'
        "driver.fetch(compiled.sql, *arguments)\n"
    )
    assert sql_built_from_strings(sample) == [1, 2, 3, 4]


def test_every_webhook_check_uses_compare_digest() -> None:
    """The places that compare what a caller sent with a secret we hold (found by the rule
    above), each with hmac.compare_digest: a deleted call would show up here. The citizen
    bot's webhook secret goes through the Telegram channel's own check."""
    expected = {
        "bot/channels/telegram.py": 1,  # X-Telegram-Bot-Api-Secret-Token
        "bot/channels/whatsapp/webhook.py": 1,  # X-Hub-Signature-256
        "bot/channels/whatsapp/channel.py": 1,  # hub.verify_token
        "bot/dashboard/auth.py": 2,  # the session cookie's signature, the logout form token
        "kinerja/citizen.py": 1,  # the sealed complainant address's authentication tag
    }
    found = {}
    for path in sources():
        count = path.read_text(encoding="utf-8").count("hmac.compare_digest(")
        if count:
            found[str(path.relative_to(ROOT))] = count
    assert found == expected
