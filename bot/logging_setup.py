"""Log lines for people (`LOG_FORMAT=text`, the default) or for a log pipeline (`json`), both
carrying the update being handled and neither carrying secrets or personal data.

Why redact at the formatter: a token or a phone number can reach a log line through many doors
(an exception's message, an SDK's URL in a traceback, a repr of an event), and the formatter is
the one place every line, traceback included, passes before it leaves the process. What is
replaced: the configured secrets themselves, anything shaped like a Telegram bot token or a
Graph API access token, bearer credentials, Indonesian mobile numbers, 18-digit NIPs, and the
text of messages and people's names wherever they show as a field (`text`, `caption`, `args`,
`display_name`, `first_name`, ... in JSON or in a repr).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.chat.dispatcher import CURRENT_UPDATE

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(update_tag)s: %(message)s"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram bot tokens (also inside Bot API URLs: .../bot<token>/sendMessage).
    (re.compile(r"\d{5,16}:[A-Za-z0-9_-]{30,}"), "<token>"),
    # Graph API (WhatsApp) access tokens and bearer credentials.
    (re.compile(r"\bEAA[A-Za-z0-9]{20,}"), "<token>"),
    (re.compile(r"(?i)\b(bearer|authorization:)\s*[A-Za-z0-9._~+/=-]{8,}"), r"\1 <redacted>"),
    (
        re.compile(r"(?i)(access_token|secret_token|verify_token|hub\.verify_token)=[^&\s\"']+"),
        r"\1=<redacted>",
    ),
    # Message texts and captions, as JSON ("text": "...") or as a repr (text='...').
    (
        re.compile(
            r"""(["']?\b(?:text|caption|body|args|display_name|first_name|last_name|username|sender_phone|phone_number)["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
        ),
        r"\1'<redacted>'",
    ),
    # NIP (18 digits) before phone numbers, which are shorter.
    (re.compile(r"(?<!\d)\d{18}(?!\d)"), "<nip>"),
    (re.compile(r"(?<![\d])(?:\+?62|0)8\d{7,12}(?!\d)"), "<phone>"),
)


class Redactor:
    """Replaces secrets and personal data in a finished log line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, line: str) -> str:
        for secret in self.secrets:
            if secret in line:
                line = line.replace(secret, "<secret>")
        for pattern, replacement in _PATTERNS:
            line = pattern.sub(replacement, line)
        return line


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [update]: message`, redacted."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        update = CURRENT_UPDATE.get()
        record.update_tag = f" [{update}]" if update else ""
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, update, pid and,
    for an exception, its traceback as `exc`."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
            "pid": record.process,
        }
        update = CURRENT_UPDATE.get()
        if update:
            entry["update"] = update
        if record.exc_info:
            entry["exc"] = self.redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc"] = self.redact(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Root logging to stderr in `fmt` ("text" or "json"), redacting `secrets` and personal
    data; quiets libraries that log every request or job run at INFO."""
    redact = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    if level != "DEBUG":
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
        # APScheduler logs every run at INFO (the broadcast progress job runs every few seconds).
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
