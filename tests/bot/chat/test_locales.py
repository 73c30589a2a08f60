"""Every key in both languages, placeholders consistent, button labels fit WhatsApp, keys used
in code exist."""

from __future__ import annotations

import re
from pathlib import Path

from bot.chat.i18n import Catalogs, placeholders

ROOT = Path(__file__).resolve().parents[3]
BUTTON_LIMIT = 20  # WhatsApp reply-button titles, the tightest channel


def test_every_key_exists_in_both_languages(catalogs: Catalogs) -> None:
    assert catalogs.languages == ("id", "en")
    only_id = catalogs.keys("id") - catalogs.keys("en")
    only_en = catalogs.keys("en") - catalogs.keys("id")
    assert not only_id, f"missing in en: {sorted(only_id)}"
    assert not only_en, f"missing in id: {sorted(only_en)}"


def test_placeholders_agree_between_languages(catalogs: Catalogs) -> None:
    for key in catalogs.keys("id"):
        assert placeholders(catalogs.raw("id", key)) == placeholders(catalogs.raw("en", key)), key


def test_button_labels_fit_the_tightest_channel(catalogs: Catalogs) -> None:
    for language in catalogs.languages:
        for key in catalogs.keys(language):
            if key.startswith("btn.") or key == "language.name":
                label = catalogs.raw(language, key)
                assert len(label) <= BUTTON_LIMIT, f"{language}:{key} {label!r}"


def test_every_literal_key_used_in_code_exists(catalogs: Catalogs) -> None:
    pattern = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")
    used: set[str] = set()
    for folder in ("bot", "handlers", "kinerja"):
        for path in (ROOT / folder).rglob("*.py"):
            used.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern found no keys: the test would prove nothing"
    missing = sorted(key for key in used if key not in catalogs.keys("id"))
    assert not missing


def test_rendering_escapes_user_data_but_keeps_catalog_markup(catalogs: Catalogs) -> None:
    text = catalogs.text("id", "menu.greeting", period="pagi", name="<script>&")
    assert text == "Selamat pagi, Bapak/Ibu <b>&lt;script&gt;&amp;</b>"


def test_unknown_language_falls_back_to_the_default(catalogs: Catalogs) -> None:
    assert catalogs.translator("fr")("btn.menu") == "Menu utama"
    assert catalogs.raw("id", "no.such.key") == "no.such.key"


def test_numbers_dates_and_clocks_follow_the_language(catalogs: Catalogs) -> None:
    from datetime import date, time
    from decimal import Decimal

    indonesian, english = catalogs.translator("id"), catalogs.translator("en")
    assert indonesian.number(Decimal("2.50")) == "2,5"
    assert english.number(Decimal("1000")) == "1,000"
    assert indonesian.day(date(2026, 11, 25)) == "Rabu, 25 November 2026"
    assert english.day(date(2026, 11, 25)) == "Wednesday, 25 November 2026"
    assert (indonesian.clock(time(8, 30)), english.clock(time(8, 30))) == ("08.30", "08:30")
