"""Secrets out of the logs, whoever writes them.

Our own log lines never format a token, but libraries do: python-telegram-bot logs the Bot API
URL (which contains the bot token) and every call's parameters (setWebhook's `secret_token`) at
DEBUG, and an HTTP error's text carries the request URL. So every record is checked on its way
to the handlers, and each secret value of the settings is replaced by `***` in the message and
in the traceback text (tests/security/test_secrets.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.config import Settings

MASK = "***"
# Shorter values would mask ordinary words; no real token or secret is this short.
MIN_SECRET_LENGTH = 6


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted(
            {secret for secret in secrets if len(secret) >= MIN_SECRET_LENGTH},
            key=len,
            reverse=True,
        )

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold: the SecretStr fields, the bot token's secret half
    (the part after the colon), and the database password."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            found.append(secret)
            if ":" in secret:
                found.append(secret.split(":", 1)[1])
    password = make_url(settings.database_url).password
    if password:
        found.append(str(password))
    return found


def install(settings: Settings, logger: logging.Logger | None = None) -> RedactSecrets:
    """Put the filter on every handler of `logger` (the root logger by default)."""
    redactor = RedactSecrets(secrets_of(settings))
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(redactor)
    return redactor
