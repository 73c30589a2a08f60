"""Verification by chat: cards, decisions with notes, batches, delegation, stale and forged
presses, concurrency and the cut-off, through the dispatcher on both backends, at a fixed time
(Wed 25 Nov 2026, 10:00 WIB)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from bot.chat.capabilities import TELEGRAM
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.chat.replies import StoredMedia, Text
from handlers import ROUTERS
from handlers.approval import CARD, EVIDENCE, HISTORY
from handlers.approval_list import OPEN
from kinerja.approvals import Decision
from storage.models import Activity, AuditEntry, Employee, OutboxMessage
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, ATASAN_WITA, STAFF, Chat, link, seed

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 10.00 WIB, a Wednesday
BUDI = "199201102019031003"  # Siti's colleague, same atasan


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed(sessions)
    return Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: NOW)


async def chat_as(dispatcher: Dispatcher, nip: str, user_id: str) -> Chat:
    await link(dispatcher.sessions, "telegram", user_id, nip)
    return Chat(dispatcher, user_id, channel="telegram", caps=TELEGRAM)


async def log_entry(chat: Chat, text: str = "kemarin 08.00-09.30 Menyusun laporan bulanan") -> int:
    await chat.send(text)
    await chat.press("Simpan")
    assert "tersimpan" in chat.text.lower() or "diajukan" in chat.text.lower(), chat.text
    async with UnitOfWork(chat.dispatcher.sessions) as uow:
        return int(await uow.session.scalar(select(Activity.id).order_by(Activity.id.desc())))


async def row(dispatcher: Dispatcher, activity_id: int) -> Any:
    async with UnitOfWork(dispatcher.sessions) as uow:
        return (
            await uow.session.execute(select(Activity).where(Activity.id == activity_id))
        ).one()


async def outbox(dispatcher: Dispatcher) -> list[tuple[str, str, str, dict[str, Any]]]:
    async with UnitOfWork(dispatcher.sessions) as uow:
        rows = await uow.session.execute(
            select(
                OutboxMessage.channel,
                OutboxMessage.recipient,
                OutboxMessage.purpose,
                OutboxMessage.payload,
            ).order_by(OutboxMessage.id)
        )
        return [tuple(r) for r in rows]


async def audit_actions(dispatcher: Dispatcher, activity_id: int) -> list[str]:
    async with UnitOfWork(dispatcher.sessions) as uow:
        return list(
            await uow.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject_type == "activity")
                .where(AuditEntry.subject_id == str(activity_id))
                .order_by(AuditEntry.id)
            )
        )


async def set_mode(dispatcher: Dispatcher, nip: str, mode: str) -> None:
    async with UnitOfWork(dispatcher.sessions) as uow:
        await uow.session.execute(
            update(Employee).where(Employee.nip == nip).values(approval_mode=mode)
        )
        await uow.commit()


async def test_approve_from_the_card_tells_the_employee_and_is_audited(
    dispatcher: Dispatcher,
) -> None:
    staff = await chat_as(dispatcher, STAFF, "s1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    await set_mode(dispatcher, ATASAN, "instant")
    entry_id = await log_entry(staff)
    assert ("telegram", "a1", "approval_card", {"activity_id": entry_id}) in await outbox(
        dispatcher
    )

    await atasan.send("/persetujuan")
    assert "1 entri dari 1 pegawai" in atasan.text
    await atasan.press("Siti")
    assert "Menyusun laporan bulanan" in atasan.text
    await atasan.press("#1")
    assert "Persetujuan kegiatan" in atasan.text and "Siti Nurhaliza" in atasan.text
    assert "tepat waktu" in atasan.text
    await atasan.press("Setujui")
    reply = atasan.last[0].reply
    assert isinstance(reply, Text) and reply.replaces_prompt
    assert "Disetujui</b> oleh" in atasan.text
    assert "Setujui" not in atasan.labels()  # the decided card has no decision buttons

    saved = await row(dispatcher, entry_id)
    assert saved.status == "disetujui" and saved.decided_by_id is not None
    assert await audit_actions(dispatcher, entry_id) == ["activity.submit", "activity.disetujui"]
    assert ("telegram", "s1", "approval_outcome", {"activity_id": entry_id}) in await outbox(
        dispatcher
    )
    # The employee sees the outcome in their list, and the trail.
    await staff.press_payload(HISTORY.pack(id=entry_id))
    assert "diajukan" in staff.text and "disetujui" in staff.text
    assert "Andi" in staff.text or "Bapak" in staff.text or "·" in staff.text


async def test_second_press_and_stale_cards_change_nothing(dispatcher: Dispatcher) -> None:
    staff = await chat_as(dispatcher, STAFF, "s1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    entry_id = await log_entry(staff)
    approve = CARD.pack(id=entry_id, do=Decision.APPROVE.value)
    await atasan.press_payload(approve)
    await atasan.press_payload(approve)
    assert "sudah diputuskan" in atasan.text
    await atasan.press_payload(CARD.pack(id=entry_id, do=Decision.REJECT.value))
    assert "sudah diputuskan" in atasan.text
    assert (await row(dispatcher, entry_id)).status == "disetujui"
    assert await audit_actions(dispatcher, entry_id) == ["activity.submit", "activity.disetujui"]


async def test_revise_with_a_typed_note_then_the_employee_fixes_and_resubmits(
    dispatcher: Dispatcher,
) -> None:
    staff = await chat_as(dispatcher, STAFF, "s1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    entry_id = await log_entry(staff)
    await atasan.press_payload(CARD.pack(id=entry_id, do=Decision.REVISE.value))
    assert "catatan singkat" in atasan.text
    await atasan.send("ok")  # too short: asked again, nothing decided
    assert "terlalu pendek" in atasan.text
    await atasan.send("x" * 501)
    assert "terlalu panjang" in atasan.text
    assert (await row(dispatcher, entry_id)).status == "diajukan"
    await atasan.send("Mohon lampirkan notulen rapat")
    assert "Dikembalikan untuk revisi" in atasan.text and "notulen" in atasan.text
    saved = await row(dispatcher, entry_id)
    assert saved.status == "revisi" and saved.decision_note == "Mohon lampirkan notulen rapat"

    # The owner gets the outcome with a button to fix it; resubmitting queues a fresh card.
    await set_mode(dispatcher, ATASAN, "instant")
    await staff.press_payload(f"en:{entry_id}:edit")
    await staff.press("Simpan")
    assert (await row(dispatcher, entry_id)).status == "diajukan"
    assert await audit_actions(dispatcher, entry_id) == [
        "activity.submit",
        "activity.revisi",
        "activity.resubmit",
    ]
    cards = [r for r in await outbox(dispatcher) if r[2] == "approval_card"]
    assert cards == [("telegram", "a1", "approval_card", {"activity_id": entry_id})]


async def test_reject_with_a_common_reason_button(dispatcher: Dispatcher) -> None:
    staff = await chat_as(dispatcher, STAFF, "s1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    entry_id = await log_entry(staff)
    await atasan.press_payload(CARD.pack(id=entry_id, do=Decision.REJECT.value))
    await atasan.press("Bukti tidak sesuai")
    saved = await row(dispatcher, entry_id)
    assert saved.status == "ditolak"
    assert saved.decision_note == "Bukti kegiatan belum ada atau tidak sesuai."


async def test_forged_and_own_entry_presses_are_refused_and_logged(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    staff = await chat_as(dispatcher, STAFF, "s1")
    other_atasan = await chat_as(dispatcher, ATASAN_WITA, "a2")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    entry_id = await log_entry(staff)
    with caplog.at_level(logging.WARNING):
        await other_atasan.press_payload(CARD.pack(id=entry_id, do=Decision.APPROVE.value))
    assert "bukan milik pegawai" in other_atasan.text
    assert any("refused" in message for message in caplog.messages)
    await other_atasan.press_payload(OPEN.pack(id=entry_id))
    assert "Menyusun laporan" not in other_atasan.text  # nothing about the entry leaks
    await staff.press_payload(CARD.pack(id=entry_id, do=Decision.APPROVE.value))
    assert (await row(dispatcher, entry_id)).status == "diajukan"
    # The atasan's own entry cannot be decided by the atasan.
    own_id = await log_entry(atasan, "kemarin 13.00-14.00 Rapat pimpinan")
    await atasan.press_payload(CARD.pack(id=own_id, do=Decision.APPROVE.value))
    assert (await row(dispatcher, own_id)).status == "diajukan"
    # Garbage payloads get a polite answer.
    await atasan.press_payload("ap:xx:ok")
    assert "tidak ditemukan" in atasan.text


async def test_batch_approval_per_person_and_for_everyone(dispatcher: Dispatcher) -> None:
    siti = await chat_as(dispatcher, STAFF, "s1")
    budi = await chat_as(dispatcher, BUDI, "s2")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    first = await log_entry(siti)
    second = await log_entry(siti, "kemarin 10.00-11.00 Memperbarui data aset")
    third = await log_entry(budi, "kemarin 08.00-09.00 Memeriksa jaringan kantor")
    await atasan.send("/persetujuan")
    assert "3 entri dari 2 pegawai" in atasan.text
    await atasan.press("Siti")
    await atasan.press("Setujui semua (2)")
    assert "2 entri disetujui" in atasan.text
    assert (await row(dispatcher, first)).status == "disetujui"
    assert (await row(dispatcher, second)).status == "disetujui"
    assert (await row(dispatcher, third)).status == "diajukan"
    await atasan.send("/persetujuan")
    await atasan.press("Setujui semua (1)")
    assert (await row(dispatcher, third)).status == "disetujui"
    await atasan.send("/persetujuan")
    assert "Tidak ada kegiatan yang menunggu" in atasan.text


async def test_delegate_decides_while_active_and_not_after_revocation(
    dispatcher: Dispatcher,
) -> None:
    siti = await chat_as(dispatcher, STAFF, "s1")
    budi = await chat_as(dispatcher, BUDI, "s2")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    entry_id = await log_entry(siti)
    budi_entry = await log_entry(budi, "kemarin 08.00-09.00 Memeriksa jaringan kantor")

    await atasan.send("/delegasi")
    await atasan.send(f"{BUDI} 30/02-1/12")
    assert "belum terbaca" in atasan.text
    await atasan.send(f"{BUDI} 24/11-28/11")
    assert "Budi Santoso" in atasan.text and "28 November 2026" in atasan.text

    await budi.send("/persetujuan")
    assert "Siti" in budi.text
    await budi.press_payload(CARD.pack(id=budi_entry, do=Decision.APPROVE.value))
    assert (await row(dispatcher, budi_entry)).status == "diajukan"  # never one's own
    await budi.press_payload(CARD.pack(id=entry_id, do=Decision.APPROVE.value))
    assert (await row(dispatcher, entry_id)).status == "disetujui"
    async with UnitOfWork(dispatcher.sessions) as uow:
        decided_by = await uow.session.scalar(
            select(Employee.nip)
            .join(Activity, Activity.decided_by_id == Employee.id)
            .where(Activity.id == entry_id)
        )
    assert decided_by == BUDI

    await atasan.send("/delegasi")
    await atasan.press("Cabut delegasi")
    another = await log_entry(siti, "kemarin 13.00-14.00 Menyusun notulen")
    await budi.press_payload(CARD.pack(id=another, do=Decision.APPROVE.value))
    assert (await row(dispatcher, another)).status == "diajukan"


async def test_admin_sets_a_delegation_for_an_atasan(dispatcher: Dispatcher) -> None:
    admin = await chat_as(dispatcher, ADMIN, "ad")
    await admin.send("/delegasi")
    await admin.send(f"{ATASAN} {BUDI} 24/11-28/11")
    assert "Budi Santoso" in admin.text
    await admin.send("/delegasi")
    await admin.send(f"{STAFF} {BUDI} 24/11-28/11")
    assert "tidak memiliki bawahan" in admin.text


async def test_concurrent_decisions_exactly_one_wins(dispatcher: Dispatcher) -> None:
    siti = await chat_as(dispatcher, STAFF, "s1")
    budi = await chat_as(dispatcher, BUDI, "s2")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    entry_id = await log_entry(siti)
    await atasan.send("/delegasi")
    await atasan.send(f"{BUDI} 24/11-28/11")
    # Budi opens the reject note; then the atasan approves while Budi sends the note.
    await budi.press_payload(CARD.pack(id=entry_id, do=Decision.REJECT.value))
    await asyncio.gather(
        atasan.press_payload(CARD.pack(id=entry_id, do=Decision.APPROVE.value)),
        budi.send("Tidak sesuai dengan RHK"),
    )
    decisions = [
        action
        for action in await audit_actions(dispatcher, entry_id)
        if action != "activity.submit"
    ]
    assert len(decisions) == 1
    loser = budi if decisions == ["activity.disetujui"] else atasan
    assert "sudah diputuskan" in loser.text
    status = (await row(dispatcher, entry_id)).status
    assert status == ("disetujui" if loser is budi else "ditolak")


async def test_closed_month_cannot_be_decided(dispatcher: Dispatcher) -> None:
    siti = await chat_as(dispatcher, STAFF, "s1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    person = await link(dispatcher.sessions, "telegram", "s1", STAFF)
    async with UnitOfWork(dispatcher.sessions) as uow:
        entry_id = (
            await uow.session.execute(
                insert(Activity)
                .values(
                    employee_id=person.id,
                    work_date=date(2026, 10, 30),
                    minutes=60,
                    description="Entri bulan lalu",
                    status="diajukan",
                    submitted_at=NOW - timedelta(days=26),
                )
                .returning(Activity.id)
            )
        ).scalar_one()
        await uow.commit()
    del siti
    await atasan.press_payload(CARD.pack(id=entry_id, do=Decision.APPROVE.value))
    assert "sudah ditutup" in atasan.text
    assert (await row(dispatcher, entry_id)).status == "diajukan"


async def test_a_new_supervisor_takes_over_pending_entries(dispatcher: Dispatcher) -> None:
    siti = await chat_as(dispatcher, STAFF, "s1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    new_atasan = await chat_as(dispatcher, ATASAN_WITA, "a2")
    entry_id = await log_entry(siti)
    async with UnitOfWork(dispatcher.sessions) as uow:
        new_id = await uow.session.scalar(select(Employee.id).where(Employee.nip == ATASAN_WITA))
        await uow.session.execute(
            update(Employee).where(Employee.nip == STAFF).values(supervisor_id=new_id)
        )
        await uow.commit()
    await atasan.press_payload(CARD.pack(id=entry_id, do=Decision.APPROVE.value))
    assert (await row(dispatcher, entry_id)).status == "diajukan"
    await new_atasan.send("/persetujuan")
    assert "Siti" in new_atasan.text
    await new_atasan.press_payload(CARD.pack(id=entry_id, do=Decision.APPROVE.value))
    assert (await row(dispatcher, entry_id)).status == "disetujui"


async def test_a_deactivated_atasan_can_no_longer_decide(dispatcher: Dispatcher) -> None:
    siti = await chat_as(dispatcher, STAFF, "s1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    entry_id = await log_entry(siti)
    async with UnitOfWork(dispatcher.sessions) as uow:
        await uow.session.execute(
            update(Employee).where(Employee.nip == ATASAN).values(active=False)
        )
        await uow.commit()
    await atasan.press_payload(CARD.pack(id=entry_id, do=Decision.APPROVE.value))
    assert (await row(dispatcher, entry_id)).status == "diajukan"


async def test_digest_mode_queues_no_card_except_late_in_the_period(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await seed(sessions)
    december = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Wed 2 Dec: November still open
    dispatcher = Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: december)
    siti = await chat_as(dispatcher, STAFF, "s1")
    await chat_as(dispatcher, ATASAN, "a1")
    await log_entry(siti, "hari ini 08.00-09.00 Menyusun agenda")
    assert [r for r in await outbox(dispatcher) if r[2] == "approval_card"] == []
    late = await log_entry(siti, "30/11 08.00-09.00 Menyusun laporan November")
    cards = [r for r in await outbox(dispatcher) if r[2] == "approval_card"]
    assert cards == [("telegram", "a1", "approval_card", {"activity_id": late})]


async def test_the_atasan_switches_to_instant_cards(dispatcher: Dispatcher) -> None:
    siti = await chat_as(dispatcher, STAFF, "s1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    await atasan.send("/persetujuan")
    await atasan.press("Kirim kartu langsung")
    assert "langsung" in atasan.text
    entry_id = await log_entry(siti)
    cards = [r for r in await outbox(dispatcher) if r[2] == "approval_card"]
    assert cards == [("telegram", "a1", "approval_card", {"activity_id": entry_id})]


async def test_team_view_shows_today_month_and_waiting(dispatcher: Dispatcher) -> None:
    siti = await chat_as(dispatcher, STAFF, "s1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    approved = await log_entry(siti)  # yesterday, 90 minutes
    await log_entry(siti, "hari ini 08.00-09.00 Menyusun agenda rapat")
    await atasan.press_payload(CARD.pack(id=approved, do=Decision.APPROVE.value))
    await atasan.send("/tim")
    text = atasan.text
    siti_line = text[text.index("Siti") :].split("\n")[1]
    assert "hari ini 60 menit" in siti_line
    assert "bulan ini 150 menit, disetujui 90" in siti_line
    assert "menunggu 1" in siti_line
    budi_line = text[text.index("Budi") :].split("\n")[1]
    assert "belum mencatat hari ini" in budi_line
    assert "Persetujuan (1)" in atasan.labels()


async def test_evidence_is_shown_to_the_atasan_on_its_own_channel_only(
    dispatcher: Dispatcher,
) -> None:
    staff = await link(dispatcher.sessions, "telegram", "s1", STAFF)
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    other = await chat_as(dispatcher, ATASAN_WITA, "a2")
    async with UnitOfWork(dispatcher.sessions) as uow:
        entry_id = (
            await uow.session.execute(
                insert(Activity)
                .values(
                    employee_id=staff.id,
                    work_date=date(2026, 11, 24),
                    minutes=60,
                    description="Memasang jaringan",
                    status="diajukan",
                    evidence={"channel": "telegram", "file_ref": "AgADfoto", "kind": "photo"},
                )
                .returning(Activity.id)
            )
        ).scalar_one()
        await uow.commit()
    await atasan.press_payload(OPEN.pack(id=entry_id))
    await atasan.press("Lihat bukti")
    media = atasan.last[0].reply
    assert isinstance(media, StoredMedia)
    assert (media.file_ref, media.kind) == ("AgADfoto", "photo")
    assert "Memasang jaringan" in media.caption

    await other.press_payload(EVIDENCE.pack(id=entry_id))
    assert not isinstance(other.last[0].reply, StoredMedia)
    assert "tidak ditemukan" in other.text

    await link(dispatcher.sessions, "web", "atasan-web", ATASAN)
    web = Chat(dispatcher, "atasan-web")
    await web.press_payload(EVIDENCE.pack(id=entry_id))
    assert "tersimpan di Telegram" in web.text
