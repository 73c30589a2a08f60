"""The quick-form activity parser and the roster importer fed random text.

The parser may only answer an entry, None (not an entry) or an `ActivityTextError` with a code
the catalogs know; an entry it returns obeys the rules the chat relies on. The roster importer,
through the `kinerja` CLI as an operator runs it, refuses what it cannot read with exit code 1
and a message, never a traceback, and a refused `--strict` import writes nothing.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.chat.i18n import Catalogs
from kinerja.activities import MAX_ENTRY_MINUTES
from kinerja.activity_text import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    MAX_QUANTITY,
    ActivityTextError,
    parse_quick_entry,
)
from kinerja.roster import parse_roster
from kinerja.tabular import TableFileError
from storage.uow import SessionFactory
from tests.support.chat import seed
from tests.support.cli import isolate, run
from tests.support.fuzzing import budget
from tests.support.snapshot import changed_tables, snapshot

TODAY = date(2026, 11, 25)
HEADER = "nip,nama,jabatan,unit,atasan_nip,telepon,peran"

# Pieces of the quick form, so random lines often look like entries and reach the deep rules.
DATES = ("", "kemarin ", "hari ini ", "21/11 ", "29/2 ", "31/11/2026 ", "2026-11-21 ", "8-10 ")
TIMES = (
    "",
    "08.00-10.30 ",
    "8-10 ",
    "23.59-00.01 ",
    "10.00-08.00 ",
    "25.00-26.00 ",
    "08:00 s.d. 09:00 ",
    "90 menit ",
    "1,5 jam ",
    "0 menit ",
    "99999 jam ",
    "1 jam 30 menit ",
)
TAILS = ("", " #1", " #0", " #100", " #2 3 dokumen", " #1 1.000,5 berkas", " #1 -3", " #1 1e9")

quick_lines = st.builds(
    lambda d, t, words, tail: f"{d}{t}{words}{tail}",
    st.sampled_from(DATES),
    st.sampled_from(TIMES),
    st.text(max_size=40),
    st.sampled_from(TAILS),
)


@settings(max_examples=budget(600))
@given(text=quick_lines | st.text(max_size=200))
@example(text="kemarin 08.00-09.00 \x00")
@example(text="29/2 08.00-09.00 Rapat")
@example(text="08.00-09.00 " + "x" * (DESCRIPTION_MAX + 1))
def test_quick_form_answers_an_entry_none_or_a_known_error(catalogs: Catalogs, text: str) -> None:
    try:
        entry = parse_quick_entry(text, today=TODAY)
    except ActivityTextError as error:
        key = "activity.error." + error.code.removeprefix("activity.")  # as handlers/activity
        for language in ("id", "en"):  # the user gets a real sentence, in both languages
            assert catalogs.text(language, key, **dict(error.params)) != key
        return
    if entry is None:
        return
    assert 0 < entry.minutes <= MAX_ENTRY_MINUTES
    assert DESCRIPTION_MIN <= len(entry.description) <= DESCRIPTION_MAX
    assert TODAY - timedelta(days=366 * 8) <= entry.work_date <= TODAY + timedelta(days=366)
    if entry.start is not None and entry.end is not None:
        assert entry.start < entry.end
    if entry.quantity is not None:
        assert entry.rhk_number is not None and 0 < entry.quantity <= MAX_QUANTITY


cells = st.sampled_from(
    ["", "199008242015032001", "12345", "DISKOMINFO", "admin", "bos", "08123", '"', ";", "\x00"]
) | st.text(max_size=20)
roster_rows = st.lists(st.lists(cells, min_size=0, max_size=9), max_size=6)


def roster_text(rows: list[list[str]], header: bool) -> str:
    lines = [HEADER] if header else []
    lines += [",".join(row) for row in rows]
    return "\n".join(lines)


@settings(max_examples=budget(300))
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@example(data=b"sep=;\n" + HEADER.replace(",", ";").encode())
@example(data=b"PK\x03\x04 not really a zip")
def test_roster_reader_reads_or_refuses_with_a_reason(data: bytes) -> None:
    for name in ("roster.csv", "roster.xlsx"):
        try:
            parse_roster(data, name)
        except TableFileError as error:
            assert error.code


@pytest.fixture
def cli_database(
    db_url: str, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> str:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


@settings(max_examples=budget(12))
@given(rows=roster_rows, header=st.booleans())
async def test_a_refused_strict_roster_import_writes_nothing(
    cli_database: str,
    sessions: SessionFactory,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    rows: list[list[str]],
    header: bool,
) -> None:
    if not (await snapshot(sessions))["employees"]:
        await seed(sessions)
    path = tmp_path / "roster.csv"
    path.write_text(roster_text(rows, header), encoding="utf-8", errors="surrogatepass")
    before = await snapshot(sessions)
    capfd.readouterr()
    code = await asyncio.to_thread(run, "roster", "import", str(path), "--strict", "--partial")
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert code in (0, 1)
    if code == 1:
        assert err.strip()
        assert changed_tables(before, await snapshot(sessions)) == []
