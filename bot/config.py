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
_TEMPLATE = r"^[a-z0-9_]{1,512}$"
# "sqlite+aiosqlite" is the form earlier versions documented; it opens the same file.
SUPPORTED_DB_SCHEMES = ("sqlite", "postgresql+asyncpg", "sqlite+aiosqlite")
Language = Literal["id", "en"]


class Settings(BaseSettings):
    """Service settings. Channel tokens, as each channel arrives, are `SecretStr`: never logged."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///./kinerja.db"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    default_language: Language = "id"
    timezone: str = "Asia/Jakarta"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    activity_cutoff_day: int = Field(default=5, ge=1, le=28)
    daily_minutes: int = Field(default=300, ge=1, le=1440)
    # Local time (each unit's own zone) of the atasan's daily digest and the escalation check.
    approval_digest_time: str = "08:00"
    # Entries pending longer than this many working days are escalated (0 turns it off).
    approval_escalation_days: int = Field(default=3, ge=0, le=60)
    # Reminders, in each unit's local time: the afternoon nudge (nothing logged today) and the
    # morning round (yesterday's gaps, month-end/cut-off warnings, admins' deadlines).
    reminders_enabled: bool = True
    reminder_daily_time: str = "14:00"
    reminder_morning_time: str = "07:30"
    # Days before the month's end and before the cut-off to warn about open entries.
    reminder_closing_days: str = "3,1"
    # How often admins' broadcast progress messages are refreshed.
    broadcast_progress_seconds: float = Field(default=5.0, ge=1.0, le=300.0)
    # Telegram's limits (DESIGN.md section 4): messages/s per bot and per chat. Raise the first
    # with paid broadcasts (up to 1000/s).
    telegram_rate: float = Field(default=30.0, ge=1.0, le=1000.0)
    telegram_chat_rate: float = Field(default=1.0, gt=0.0, le=30.0)
    # Evaluation periods of the instansi (the annual evaluation always closes the year), and
    # how many days after a period's end its evaluation and objections stay open.
    evaluation_period: Literal["monthly", "quarterly"] = "quarterly"
    evaluation_window_days: int = Field(default=30, ge=1, le=90)
    web_chat_enabled: bool = False
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # Simultaneous webhook connections Telegram may open to us (1-100; Telegram's default 40).
    telegram_max_connections: int = Field(default=40, ge=1, le=100)
    # WhatsApp Cloud API (DESIGN.md section 4): on when WHATSAPP_TOKEN is set.
    whatsapp_api_url: str = "https://graph.facebook.com/v23.0"
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_rate: float = Field(default=80.0, ge=1.0, le=1000.0)
    # Approved templates for pushes outside the 24-hour window (docs/whatsapp-templates.md).
    whatsapp_template_reminder: str = Field(default="kinerja_pengingat", pattern=_TEMPLATE)
    whatsapp_template_approval: str = Field(default="kinerja_persetujuan", pattern=_TEMPLATE)
    whatsapp_template_notice: str = Field(default="kinerja_pemberitahuan", pattern=_TEMPLATE)
    whatsapp_template_language: str = Field(default="id", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    # The citizen channel (issue 8): its own Telegram bot, WhatsApp number and web chat.
    citizen_pseudonym_secret: SecretStr | None = None
    citizen_telegram_bot_token: SecretStr | None = None
    citizen_telegram_bot_username: str | None = Field(default=None, pattern=r"^@?\w{5,32}$")
    citizen_telegram_webhook_url: str | None = None
    citizen_telegram_webhook_secret: SecretStr | None = None
    citizen_whatsapp_phone_number_id: str | None = Field(default=None, pattern=r"^\d{5,20}$")
    citizen_web_enabled: bool = False
    citizen_public_url: str = "http://127.0.0.1:8080"
    citizen_agency: str = Field(default="Pemerintah Kabupaten", min_length=2, max_length=120)
    citizen_lapor_url: str = "https://www.lapor.go.id"
    complaint_response_days: int = Field(default=5, ge=1, le=60)
    citizen_retention_days: int = Field(default=365, ge=30, le=3650)
    citizen_rate_per_minute: int = Field(default=20, ge=3, le=600)
    citizen_burst_limit: int = Field(default=30, ge=3, le=10_000)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The address browsers reach this service at (behind a proxy: its public https URL); the
    # admin dashboard's login links point there. Unset: the origin of TELEGRAM_WEBHOOK_URL, else
    # http://HTTP_HOST:HTTP_PORT.
    public_url: str | None = None
    # Signs dashboard session cookies; set the same value on every worker. Unset: a random key
    # per process (sessions then end when the process restarts).
    dashboard_secret: SecretStr | None = None
    dashboard_link_minutes: int = Field(default=10, ge=1, le=60)
    dashboard_session_minutes: int = Field(default=480, ge=5, le=1440)
    # "json" for a log pipeline in production (one object per line), "text" for people.
    log_format: Literal["text", "json"] = "text"
    # Processes `kinerja run` starts on one port (SO_REUSEPORT); more than 1 needs PostgreSQL.
    workers: int = Field(default=1, ge=1, le=64)

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

    @field_validator("reminder_closing_days")
    @classmethod
    def _offsets(cls, value: str) -> str:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not parts or not all(p.isdigit() and int(p) <= 60 for p in parts):
            raise ValueError(f"{value!r} is not a list of days like 3,1 (0-60)")
        return ",".join(parts)

    @property
    def closing_offsets(self) -> tuple[int, ...]:
        return tuple(sorted({int(p) for p in self.reminder_closing_days.split(",")}, reverse=True))

    @staticmethod
    def hour_minute(value: str) -> tuple[int, int]:
        hours, minutes = value.split(":")
        return int(hours), int(minutes)

    @field_validator("approval_digest_time", "reminder_daily_time", "reminder_morning_time")
    @classmethod
    def _clock(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2) or not (
            0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59
        ):
            raise ValueError(f"{value!r} is not a time of day like 08:00")
        return f"{int(hours):02d}:{minutes}"

    @property
    def digest_hour_minute(self) -> tuple[int, int]:
        hours, minutes = self.approval_digest_time.split(":")
        return int(hours), int(minutes)

    @field_validator(
        "telegram_api_url",
        "telegram_webhook_url",
        "whatsapp_api_url",
        "public_url",
        "citizen_telegram_webhook_url",
        "citizen_public_url",
        "citizen_lapor_url",
    )
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

    @model_validator(mode="after")
    def _whatsapp_complete(self) -> Settings:
        if self.whatsapp_token is None:
            return self
        for name in ("whatsapp_phone_number_id", "whatsapp_app_secret", "whatsapp_verify_token"):
            if not getattr(self, name):
                raise ValueError(f"{name} is required with WHATSAPP_TOKEN")
        if not str(self.whatsapp_phone_number_id).isdigit():
            raise ValueError("whatsapp_phone_number_id must be the numeric phone number id")
        return self

    @model_validator(mode="after")
    def _citizen_complete(self) -> Settings:
        on = self.citizen_telegram_bot_token or self.citizen_whatsapp_phone_number_id
        if (on or self.citizen_web_enabled) and self.citizen_pseudonym_secret is None:
            raise ValueError(
                "citizen_pseudonym_secret is required with the citizen channel "
                "(at least 32 random characters; changing it forgets every citizen)"
            )
        secret = self.citizen_pseudonym_secret
        if secret is not None and len(secret.get_secret_value()) < 32:
            raise ValueError("citizen_pseudonym_secret must be at least 32 characters")
        if self.citizen_whatsapp_phone_number_id and self.whatsapp_token is None:
            raise ValueError("citizen_whatsapp_phone_number_id needs WHATSAPP_TOKEN")
        if self.citizen_telegram_webhook_url and not self.citizen_telegram_webhook_secret:
            raise ValueError(
                "citizen_telegram_webhook_secret is required with CITIZEN_TELEGRAM_WEBHOOK_URL"
            )
        hook = self.citizen_telegram_webhook_secret
        if hook is not None and not _SECRET.fullmatch(hook.get_secret_value()):
            raise ValueError(
                "citizen_telegram_webhook_secret must be 1-256 characters of A-Za-z0-9_-"
            )
        return self

    @property
    def citizen_secret(self) -> bytes | None:
        secret = self.citizen_pseudonym_secret
        return secret.get_secret_value().encode() if secret is not None else None

    @property
    def dashboard_url(self) -> str:
        """Where the dashboard is reached from outside: `PUBLIC_URL`, else a best guess."""
        if self.public_url:
            return self.public_url
        if self.telegram_webhook_url:
            scheme, rest = self.telegram_webhook_url.split("://", 1)
            return f"{scheme}://{rest.split('/', 1)[0]}"
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "::") else self.http_host  # noqa: S104
        return f"http://{host}:{self.http_port}"

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
