"""Locale catalogs by key (Babel gettext `.po` files) and the `t()` that handlers use.

Keys, not English sentences, are the msgids: a key never changes when wording does, and a test can
check that every key exists in every language.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from string import Formatter

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.chat.replies import Markup, escape

LANGUAGES = ("id", "en")
DEFAULT_LOCALES = Path(__file__).resolve().parents[2] / "locales"
log = logging.getLogger(__name__)


class Catalogs:
    """Every `.po` file under `locales/<lang>/LC_MESSAGES/`, merged per language."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]], default: str = "id") -> None:
        self._messages = {lang: dict(entries) for lang, entries in messages.items()}
        self.default = default

    @classmethod
    def load(cls, directory: Path = DEFAULT_LOCALES, default: str = "id") -> Catalogs:
        messages: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            entries: dict[str, str] = {}
            for po_file in sorted((directory / lang / "LC_MESSAGES").glob("*.po")):
                with po_file.open("rb") as handle:
                    catalog = read_po(handle, locale=lang)
                for message in catalog:
                    if message.id and isinstance(message.id, str) and message.string:
                        entries[message.id] = str(message.string)
            messages[lang] = entries
        return cls(messages, default)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._messages)

    def keys(self, language: str) -> set[str]:
        return set(self._messages.get(language, {}))

    def raw(self, language: str, key: str) -> str:
        """The template for `key`, falling back to the default language, then the key itself."""
        entries = self._messages.get(language) or {}
        template = entries.get(key) or self._messages.get(self.default, {}).get(key)
        if template is None:
            log.warning("missing locale key %s", key)
            return key
        return template

    def text(self, language: str, key: str, /, **params: object) -> Markup:
        """Render `key` with `params` escaped (unless already `Markup`)."""
        template = self.raw(language, key)
        if not params:
            return Markup(template)
        safe = {name: escape(value) for name, value in params.items()}
        try:
            return Markup(template.format_map(safe))
        except (KeyError, IndexError, ValueError):
            log.warning("locale key %s (%s) does not fit params %s", key, language, sorted(params))
            return Markup(template)

    def translator(self, language: str) -> Translator:
        return Translator(self, language if language in self._messages else self.default)

    def supports(self, language: str | None) -> bool:
        return language in self._messages


def placeholders(template: str) -> set[str]:
    """Names used as `{name}` in a template (for the catalog consistency test)."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


class Translator:
    """`t(key, **params)` bound to one language."""

    __slots__ = ("catalogs", "language")

    def __init__(self, catalogs: Catalogs, language: str) -> None:
        self.catalogs = catalogs
        self.language = language

    def __call__(self, key: str, /, **params: object) -> Markup:
        return self.catalogs.text(self.language, key, **params)

    def day(self, value: date) -> str:
        """ "Senin, 23 November 2026" / "Monday, 23 November 2026"."""
        return str(format_date(value, "EEEE, d MMMM y", locale=self.language))

    def month(self, value: date) -> str:
        """ "November 2026"."""
        return str(format_date(value, "LLLL y", locale=self.language))

    def short_day(self, value: date) -> str:
        return value.strftime("%d/%m")

    def number(self, value: Decimal | int) -> str:
        """2,5 in Indonesian, 2.5 in English; thousands grouped as each language does."""
        return str(format_decimal(value, locale=self.language))

    def fixed(self, value: Decimal, places: int = 2) -> str:
        """87,50 in Indonesian, 87.50 in English: a score shown with its decimals (IKM)."""
        pattern = "#,##0." + "0" * places if places else "#,##0"
        return str(format_decimal(value, format=pattern, locale=self.language))

    def clock(self, value: time) -> str:
        """Indonesian writes 08.30, English 08:30."""
        return value.strftime("%H.%M" if self.language == "id" else "%H:%M")
