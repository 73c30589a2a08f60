"""Logging activities by guided flow and by quick form, listing, editing and deleting them,
through the dispatcher on both database backends, at a fixed time (Wed 25 Nov 2026, 10:00 WIB)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from bot.chat.capabilities import TELEGRAM
from bot.chat.dispatcher import Dispatcher
from bot.chat.events import DocumentMessage, PhotoMessage
from bot.chat.i18n import Catalogs
from handlers import ROUTERS
from storage.models import Activity, Rhk
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ATASAN, STAFF, Chat, link, seed

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 10.00 WIB, a Wednesday


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed(sessions)
    return Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: NOW)


async def staff_chat(dispatcher: Dispatcher, *, with_rhk: bool = True) -> Chat:
    person = await link(dispatcher.sessions, "telegram", "s1", STAFF)
    if with_rhk:
        async with UnitOfWork(dispatcher.sessions) as uow:
            await uow.session.execute(
                insert(Rhk),
                [
                    {
                        "employee_id": person.id,
                        "year": 2026,
                        "number": 1,
                        "title": "Laporan keuangan tersusun",
                        "indicator": "Jumlah laporan",
                        "target": Decimal(12),
                        "unit": "dokumen",
                    },
                    {
                        "employee_id": person.id,
                        "year": 2026,
                        "number": 2,
                        "title": "Layanan aplikasi berjalan",
                        "indicator": "Jumlah layanan",
                        "target": Decimal(40),
                        "unit": "layanan",
                    },
                ],
            )
            await uow.commit()
    return Chat(dispatcher, "s1", channel="telegram", caps=TELEGRAM)


async def saved(dispatcher: Dispatcher) -> list[Any]:
    async with UnitOfWork(dispatcher.sessions) as uow:
        return list(await uow.session.execute(select(Activity).order_by(Activity.id)))


async def photo(chat: Chat) -> None:
    await chat.deliver(
        PhotoMessage(
            channel="telegram", user_id=chat.user_id, update_id="p1", file_ref="AgADphoto"
        )
    )


async def test_guided_flow_with_rhk_quantity_and_photo(dispatcher: Dispatcher) -> None:
    chat = await staff_chat(dispatcher)
    await chat.send("/menu")
    await chat.press("Catat kegiatan")
    assert "uraian kegiatan" in chat.text
    await chat.send("Menyusun laporan keuangan triwulan III")
    assert "Kapan kegiatan dilakukan" in chat.text
    await chat.send("08.00-09.30")
    assert "RHK" in chat.text and "Tanpa RHK" in chat.labels()
    await chat.press("1. Laporan")
    assert "satuan: dokumen" in chat.text
    await chat.send("3")
    assert "bukti dukung" in chat.text
    await photo(chat)
    assert "Ringkasan kegiatan" in chat.text
    for expected in (
        "Rabu, 25 November 2026",
        "08.00–09.30 (90 menit)",
        "1. Laporan keuangan tersusun",
        "3 dokumen",
        "foto terlampir",
    ):
        assert expected in chat.text
    await chat.press("Simpan")
    assert "diajukan" in chat.text
    [entry] = await saved(dispatcher)
    assert (entry.status, entry.minutes, entry.quantity, entry.on_time) == (
        "diajukan",
        90,
        Decimal(3),
        True,
    )
    assert entry.start_time == time(8, 0) and entry.work_date == date(2026, 11, 25)
    assert entry.evidence == {"channel": "telegram", "file_ref": "AgADphoto", "kind": "photo"}


async def test_every_step_explains_a_wrong_value_and_stays(dispatcher: Dispatcher) -> None:
    chat = await staff_chat(dispatcher)
    await chat.send("/catat")
    await chat.send("ab")
    assert "<code>" in chat.text or "Contoh" in chat.text
    await chat.send("Rapat koordinasi")
    await chat.send("jam delapan pagi")
    assert "08.00" in chat.text  # the example
    await chat.send("11.00-12.00")  # it is 10.00
    assert "RHK" not in chat.text and "Tanpa RHK" not in chat.labels()
    await chat.send("08.00-09.00")
    await chat.press("2. Layanan")
    await chat.send("-2")
    assert "<code>3 dokumen</code>" in chat.text and "bukti dukung" not in chat.text
    await chat.send("dua")
    assert "bukti dukung" not in chat.text
    await chat.press("Lewati")
    await chat.send("ini buktinya")
    assert "foto atau dokumen" in chat.text
    await chat.deliver(
        DocumentMessage(
            channel="telegram",
            user_id="s1",
            update_id="d1",
            file_ref="BQAdoc",
            filename="notulen.pdf",
        )
    )
    assert "dokumen terlampir" in chat.text
    await chat.send("oke")
    assert "Simpan" in chat.text
    assert await saved(dispatcher) == []


async def test_quick_form_is_confirmed_with_one_tap(dispatcher: Dispatcher) -> None:
    chat = await staff_chat(dispatcher)
    await chat.send("08.00-09.00 Verifikasi berkas kenaikan pangkat #1 2 dokumen")
    assert "Ringkasan kegiatan" in chat.text and "2 dokumen" in chat.text
    await chat.press("Simpan")
    await chat.send("kemarin 13.00-15.00 Rapat evaluasi aplikasi")
    await chat.press("Simpan")
    first, second = await saved(dispatcher)
    assert (first.minutes, first.rhk_id is not None, first.quantity) == (60, True, Decimal(2))
    assert second.work_date == date(2026, 11, 24) and second.rhk_id is None


async def test_overlaps_future_and_closed_months_are_refused(
    sessions: SessionFactory, catalogs: Catalogs, dispatcher: Dispatcher
) -> None:
    chat = await staff_chat(dispatcher)
    await chat.send("08.00-09.30 Rapat koordinasi")
    await chat.press("Simpan")
    await chat.send("09.00-10.00 Menyusun notulen")
    assert "08.00" in chat.text and "Ringkasan" not in chat.text
    await chat.send("13.00-14.00 Rapat sore")
    assert "Ringkasan" not in chat.text
    december = Dispatcher(
        ROUTERS, sessions, catalogs, clock=lambda: datetime(2026, 12, 10, 3, tzinfo=UTC)
    )
    late = Chat(december, "s1", channel="telegram", caps=TELEGRAM)
    await late.send("20/11 08.00-09.00 Rapat susulan")
    assert "01/12/2026" in late.text
    assert len(await saved(dispatcher)) == 1


async def test_without_an_skp_the_rhk_and_quantity_steps_are_skipped(
    dispatcher: Dispatcher,
) -> None:
    chat = await staff_chat(dispatcher, with_rhk=False)
    await chat.send("/catat")
    await chat.send("Membalas surat masuk")
    await chat.send("90 menit")
    assert "bukti dukung" in chat.text
    await chat.press("Lewati")
    assert "tanpa jam (90 menit)" in chat.text
    await chat.press("Simpan")
    [entry] = await saved(dispatcher)
    assert entry.start_time is None and entry.minutes == 90


async def test_change_a_field_from_the_summary_then_cancel(dispatcher: Dispatcher) -> None:
    chat = await staff_chat(dispatcher)
    await chat.send("08.00-09.00 Rapat koordinasi")
    await chat.press("Ubah")
    await chat.press("Waktu")
    await chat.send("07.30-08.15")
    assert "07.30–08.15 (45 menit)" in chat.text and "Simpan" in chat.labels()
    await chat.press("Ubah")
    await chat.press("Uraian")
    await chat.send("Rapat koordinasi mingguan")
    assert "Rapat koordinasi mingguan" in chat.text
    await chat.press("Batal")
    assert "dibatalkan" in chat.text
    assert await saved(dispatcher) == []


async def test_today_list_open_edit_and_delete(dispatcher: Dispatcher) -> None:
    chat = await staff_chat(dispatcher)
    for line in ("07.30-09.00 Rapat koordinasi", "09.00-09.45 Membalas surat masuk"):
        await chat.send(line)
        await chat.press("Simpan")
    await chat.send("/hari_ini")
    assert "Rabu, 25 November 2026" in chat.text
    assert "Total: <b>135</b> dari 300 menit (45%)" in chat.text
    assert "Diajukan" in chat.text
    await chat.press("2. Membalas")
    assert "Membalas surat masuk" in chat.text and "Hapus" in chat.labels()
    await chat.press("Ubah")
    await chat.press("Ubah")
    await chat.press("Waktu")
    await chat.send("09.00-10.00")
    await chat.press("Simpan")
    assert "diajukan ulang" in chat.text
    await chat.send("/hari_ini")
    await chat.press("1. Rapat koordinasi")
    await chat.press("Hapus")
    await chat.press("Ya, hapus")
    assert "dihapus" in chat.text
    [left] = await saved(dispatcher)
    assert (left.description, left.minutes) == ("Membalas surat masuk", 60)


async def test_sent_back_entries_show_the_note_and_approved_ones_are_locked(
    dispatcher: Dispatcher,
) -> None:
    chat = await staff_chat(dispatcher)
    for line in ("07.00-08.00 Apel pagi dan briefing", "08.00-09.00 Menyusun laporan"):
        await chat.send(line)
        await chat.press("Simpan")
    first, second = await saved(dispatcher)
    async with UnitOfWork(dispatcher.sessions) as uow:
        await uow.session.execute(
            update(Activity).where(Activity.id == first.id).values(status="disetujui")
        )
        await uow.session.execute(
            update(Activity)
            .where(Activity.id == second.id)
            .values(status="revisi", decision_note="Lampirkan draf laporan")
        )
        await uow.commit()
    await chat.send("/pekan")
    assert "Disetujui" in chat.text and "Perlu revisi" in chat.text
    await chat.press("1. Apel")
    assert "Hapus" not in chat.labels()
    await chat.press_payload(f"en:{first.id}:del")
    assert "tidak dapat diubah" in chat.text
    await chat.press_payload(f"en:{second.id}:open")
    assert "Lampirkan draf laporan" in chat.text
    await chat.press("Perbaiki & ajukan")
    await chat.press("Simpan")
    entries = await saved(dispatcher)
    assert [entry.status for entry in entries] == ["disetujui", "diajukan"]


async def test_someone_elses_entry_is_not_shown_and_the_attempt_logged(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    chat = await staff_chat(dispatcher)
    await chat.send("08.00-09.00 Rapat koordinasi")
    await chat.press("Simpan")
    [entry] = await saved(dispatcher)
    await link(dispatcher.sessions, "telegram", "boss", ATASAN)
    other = Chat(dispatcher, "boss", channel="telegram", caps=TELEGRAM)
    with caplog.at_level(logging.WARNING):
        await other.press_payload(f"en:{entry.id}:del")
        await other.press_payload(f"en:{entry.id}:delok")
    assert "tidak ditemukan" in other.text
    assert any("refused" in record.message for record in caplog.records)
    assert len(await saved(dispatcher)) == 1


async def test_stale_buttons_and_ordinary_text_are_handled(dispatcher: Dispatcher) -> None:
    chat = await staff_chat(dispatcher)
    await chat.press_payload("lg:save")
    assert "tidak berlaku" in chat.text
    await chat.press_payload("lgr:999")
    assert "tidak berlaku" in chat.text
    await chat.send("halo pak, selamat pagi")
    assert "belum memahami" in chat.text
    assert await saved(dispatcher) == []


async def test_the_demo_seed_gives_staff_rhk_buttons(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await seed(sessions, with_skp=True)
    demo = Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: NOW)
    await link(sessions, "web", "visitor", STAFF)
    chat = Chat(demo, "visitor")
    await chat.send("/catat")
    await chat.send("Menangani permintaan layanan")
    await chat.send("08.00-09.00")
    assert "1. Laporan pengelolaan aplikasi tersusun" in chat.text
    assert "Tanpa RHK" in chat.labels()
