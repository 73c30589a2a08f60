"""`/capaian`: per-RHK realisation from approved entries (pending apart), the month's minutes
with cuti credit, and the chart as a PNG sized for a phone; at Wed 25 Nov 2026 10:00 WIB."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime

import pytest

from bot.chat.capabilities import TELEGRAM
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.chat.replies import Image
from bot.render.progress_chart import HEIGHT_PX, WIDTH_PX
from handlers import ROUTERS
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ATASAN, STAFF, Chat, link
from tests.support.performance import add_entry, employee_id, rhk_id, seed_with_skp

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed_with_skp(sessions)
    return Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: NOW)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_progress_text_and_chart(dispatcher: Dispatcher) -> None:
    sessions = dispatcher.sessions
    siti = await employee_id(sessions, STAFF)
    reports, tickets = await rhk_id(sessions, siti, 1), await rhk_id(sessions, siti, 2)
    await add_entry(sessions, siti, date(2026, 3, 2), 60, rhk=reports, quantity="1")
    await add_entry(sessions, siti, date(2026, 6, 1), 90, rhk=reports, quantity="2")
    await add_entry(sessions, siti, date(2026, 11, 24), 120, "diajukan", rhk=reports, quantity="1")
    await add_entry(sessions, siti, date(2026, 11, 2), 600, rhk=tickets, quantity="45")
    await add_entry(sessions, siti, date(2026, 11, 3), 60, "ditolak", rhk=tickets, quantity="9")
    async with UnitOfWork(sessions) as uow:
        await uow.calendar.add_leave(siti, date(2026, 11, 16), date(2026, 11, 17), "cuti", None)
        await uow.commit()

    await link(sessions, "telegram", "s1", STAFF)
    chat = Chat(dispatcher, "s1", channel="telegram", caps=TELEGRAM)
    await chat.send("/capaian")
    text = chat.text
    # 3 of 12 reports approved (the pending one apart), 45 of 120 tickets (the rejected 9 not).
    assert "▓▓▓░░░░░░░ 25%" in text and "Disetujui 3 dari 12 dokumen" in text
    assert "Menunggu persetujuan: 1 dokumen" in text
    assert "▓▓▓▓░░░░░░ 37,5%" in text and "Disetujui 45 dari 120 tiket" in text
    # November 2026: 21 working days x 300 = 6,300; 600 approved + 2 days' cuti credit (600).
    assert "1.200 dari 6.300 menit (21 hari kerja × 300 menit)" in text
    assert "19%" in text
    assert "Cuti 2 hari kerja diperhitungkan: 600 menit" in text
    assert "Menunggu persetujuan: 120 menit" in text

    await chat.press("Grafik capaian")
    [out] = chat.last
    assert isinstance(out.reply, Image)
    assert len(out.reply.data) > 10_000
    assert png_size(out.reply.data) == (WIDTH_PX, HEIGHT_PX)


async def test_without_an_skp_the_employee_is_told(dispatcher: Dispatcher) -> None:
    await link(dispatcher.sessions, "web", "w1", ATASAN)
    async with UnitOfWork(dispatcher.sessions) as uow:  # Ahmad's SKP is one RHK: drop it
        from sqlalchemy import delete

        from storage.models import Rhk

        await uow.session.execute(delete(Rhk))
        await uow.commit()
    chat = Chat(dispatcher, "w1")
    await chat.send("/capaian")
    assert "belum memiliki SKP untuk tahun 2026" in chat.text
    assert "Grafik capaian" not in chat.labels()


async def test_the_employee_sees_their_skp(dispatcher: Dispatcher) -> None:
    await link(dispatcher.sessions, "web", "w1", STAFF)
    chat = Chat(dispatcher, "w1")
    await chat.send("/skp")
    assert "RHK 1</b>: Laporan pengelolaan aplikasi tersusun" in chat.text
    assert "Target: 120 tiket" in chat.text
