"""Typed settings read from the environment and `.env`.

Everything configurable lives here so that a bad value fails at start-up, once, with the name of
the variable, instead of deep inside a request.
"""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
Language = Literal["id", "en"]


class Settings(BaseSettings):
    """Service settings. Channel tokens, as each channel arrives, are `SecretStr`: never logged."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./kinerja.db"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    default_language: Language = "id"
    timezone: str = "Asia/Jakarta"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    activity_cutoff_day: int = Field(default=5, ge=1, le=28)
    daily_minutes: int = Field(default=300, ge=1, le=1440)
    web_chat_enabled: bool = False
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in SUPPORTED_DB_SCHEMES:
            supported = ", ".join(SUPPORTED_DB_SCHEMES)
            raise ValueError(f"unsupported scheme {scheme or '(none)'!r}; use one of {supported}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Jakarta)") from None
        return value

    @field_validator("telegram_api_url", "telegram_webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_WEBHOOK_URL "
                "(1-256 characters of A-Z, a-z, 0-9, _ and -)"
            )
        secret = self.telegram_webhook_secret
        if secret is not None and not _SECRET.fullmatch(secret.get_secret_value()):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Za-z0-9_-")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SettingsError(Exception):
    """A setting is invalid; `variable` names the environment variable to fix."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable
        self.reason = reason


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's multi-line report into one `SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else _variable_in(str(first["msg"]))
        reason = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(field.upper(), reason) from None


def _variable_in(message: str) -> str:
    """Cross-field errors have no location; their message starts with the variable's name."""
    return message.removeprefix("Value error, ").split(" ", 1)[0].lower()
