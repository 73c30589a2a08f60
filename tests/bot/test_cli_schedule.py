"""`kinerja calendar`, `kinerja broadcast` and `kinerja deadline` against a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storage.database import create_database
from storage.models import CalendarDay, Deadline, OutboxMessage
from storage.uow import UnitOfWork, session_factory
from tests.support.chat import ADMIN, link, seed
from tests.support.cli import isolate, kinerja


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    isolate(monkeypatch, tmp_path)
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


async def test_calendar_add_list_remove(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("calendar", "add", "2026-12-31", "Cuti bersama akhir tahun") == 0
    assert "2026-12-31" in capsys.readouterr().out
    assert await kinerja("calendar", "add", "31/12/2026x", "Salah") == 1
    assert "tidak terbaca" in capsys.readouterr().err
    assert await kinerja("calendar", "list", "--year", "2026") == 0
    listed = capsys.readouterr().out
    assert "2026-12-31 * Cuti bersama akhir tahun" in listed
    assert "2026-12-25   Hari Raya Natal" in listed
    assert await kinerja("calendar", "remove", "2026-12-31") == 0
    assert await kinerja("calendar", "remove", "2026-12-31") == 1
    database = create_database(database_url)
    try:
        async with UnitOfWork(session_factory(database)) as uow:
            assert (await uow.session.execute(select(CalendarDay.id))).all() == []
    finally:
        await database.dispose()


async def test_broadcast_and_deadline_commands(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    database = create_database(database_url)
    from storage.migrate import upgrade

    await upgrade(database)
    sessions = session_factory(database)
    await seed(sessions)
    await link(sessions, "web", "rina", ADMIN)
    try:
        assert await kinerja("broadcast", "send", "Halo", "--dry-run") == 0
        assert "1 orang" in capsys.readouterr().out
        assert await kinerja("broadcast", "send", "Halo", "--audience", "unit:NOPE") == 1
        assert await kinerja("broadcast", "send", "Halo", "--audience", "siapa") == 1
        assert await kinerja("broadcast", "send", "Halo", "--at", "01/01/2020 08.00") == 1
        assert "sudah lewat" in capsys.readouterr().err
        assert await kinerja("broadcast", "send", "Halo semua", "--at", "01/01/2099 08.00") == 0
        assert "#1" in capsys.readouterr().out
        assert await kinerja("broadcast", "status") == 0
        assert "#1 scheduled" in capsys.readouterr().out
        assert await kinerja("broadcast", "cancel", "1") == 0
        assert await kinerja("broadcast", "cancel", "1") == 1
        assert await kinerja("deadline", "add", "SKP 2099", "2099-01-31", "--offsets", "9,x") == 1
        assert await kinerja("deadline", "add", "SKP 2099", "2099-01-31", "--exclude-skp") == 0
        assert await kinerja("deadline", "list") == 0
        assert "SKP 2099" in capsys.readouterr().out
        async with UnitOfWork(sessions) as uow:
            statuses = list(await uow.session.scalars(select(OutboxMessage.status)))
            offsets = list(await uow.session.scalars(select(Deadline.offsets)))
        assert statuses == ["dropped"]
        assert offsets == [[7, 3, 1, 0]]
    finally:
        await database.dispose()
