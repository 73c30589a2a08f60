"""An atasan reads a staff member's SKP in chat and comments on it, through the dispatcher on
both backends: the view shows RHK, indicator, target and realisation; a comment per SKP and
per RHK is stored, audited and queued for the employee, whose notice (rendered at send time)
and `/skp` show it. Colleagues, another unit's atasan, forged and stale presses are refused;
an admin may look by NIP. At Wed 25 Nov 2026 10:00 WIB."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.chat.capabilities import TELEGRAM
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from handlers import ROUTERS
from handlers.skp import COMMENT, VIEW
from kinerja.services.skp_review import COMMENT as COMMENT_PUSH
from storage.models import AuditEntry, Employee, OutboxMessage, SkpComment
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, ATASAN_WITA, STAFF, Chat, link
from tests.support.performance import add_entry, employee_id, rhk_id, seed_with_skp

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
BUDI = "199201102019031003"


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed_with_skp(sessions)
    return Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: NOW)


async def chat_as(dispatcher: Dispatcher, nip: str, user_id: str) -> Chat:
    await link(dispatcher.sessions, "telegram", user_id, nip)
    return Chat(dispatcher, user_id, channel="telegram", caps=TELEGRAM)


async def comment_pushes(dispatcher: Dispatcher) -> list[tuple[str, dict[str, Any]]]:
    async with UnitOfWork(dispatcher.sessions) as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.payload)
            .where(OutboxMessage.purpose == COMMENT_PUSH)
            .order_by(OutboxMessage.id)
        )
        return [(recipient, payload) for recipient, payload in rows]


async def comments(dispatcher: Dispatcher) -> list[tuple[int, int | None, str]]:
    async with UnitOfWork(dispatcher.sessions) as uow:
        rows = await uow.session.execute(
            select(SkpComment.year, SkpComment.rhk_number, SkpComment.text).order_by(SkpComment.id)
        )
        return [(year, number, text) for year, number, text in rows]


async def test_atasan_comments_and_the_employee_reads_it(dispatcher: Dispatcher) -> None:
    sessions = dispatcher.sessions
    siti = await employee_id(sessions, STAFF)
    reports = await rhk_id(sessions, siti, 1)
    await add_entry(sessions, siti, date(2026, 6, 1), 90, rhk=reports, quantity="3")
    await add_entry(sessions, siti, date(2026, 11, 24), 60, "diajukan", rhk=reports, quantity="1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")
    employee = await chat_as(dispatcher, STAFF, "s1")

    # From the team view: pick the staff member, see their SKP with realisation so far.
    await atasan.send("/tim")
    await atasan.press("SKP staf")
    assert {"Siti Nurhaliza, S.T.", "Budi Santoso, A.Md."} <= set(atasan.labels())
    await atasan.press("Siti Nurhaliza, S.T.")
    text = atasan.text
    assert "SKP 2026" in text and "Siti Nurhaliza, S.T." in text
    assert "RHK 1</b>: Laporan pengelolaan aplikasi tersusun" in text
    assert "Indikator: Jumlah laporan" in text and "Target: 12 dokumen" in text
    assert "Realisasi (disetujui): 3 dokumen (25%)" in text
    assert "Menunggu persetujuan: 1 dokumen" in text
    assert "Komentari SKP" in atasan.labels() and "💬 RHK 2" in atasan.labels()

    # A comment on the whole SKP, then one on RHK 2; a too-short one is asked again.
    await atasan.press("Komentari SKP")
    assert "SKP 2026 milik Siti Nurhaliza, S.T." in atasan.text
    await atasan.send("ok")
    assert "minimal 3 karakter" in atasan.text
    await atasan.send("Target laporan sudah sesuai, pertahankan.")
    assert "Komentar tersimpan" in atasan.text
    await atasan.press("Kembali ke SKP")
    await atasan.press("💬 RHK 2")
    await atasan.send("Mohon <b>percepat</b> penyelesaian tiket.")
    assert await comments(dispatcher) == [
        (2026, None, "Target laporan sudah sesuai, pertahankan."),
        (2026, 2, "Mohon <b>percepat</b> penyelesaian tiket."),
    ]
    async with UnitOfWork(sessions) as uow:
        actions = list(
            await uow.session.scalars(
                select(AuditEntry.action).where(AuditEntry.subject_type == "skp_comment")
            )
        )
    assert actions == ["skp.comment", "skp.comment"]

    # The employee is told once per comment, rendered at send time, with user text escaped.
    queued = await comment_pushes(dispatcher)
    assert [recipient for recipient, _ in queued] == ["s1", "s1"]
    async with UnitOfWork(sessions) as uow:
        employee.last = await dispatcher.render_push(
            uow, "telegram", "s1", COMMENT_PUSH, queued[1][1], TELEGRAM
        )
    assert "Drs. Ahmad Fauzi, M.Si.</b> memberi komentar pada SKP 2026" in employee.text
    assert "(RHK 2)" in employee.text and "&lt;b&gt;percepat&lt;/b&gt;" in employee.text
    # Nobody else can have it rendered for them.
    async with UnitOfWork(sessions) as uow:
        assert not await dispatcher.render_push(
            uow, "telegram", "a1", COMMENT_PUSH, queued[1][1], TELEGRAM
        )

    # And reads it in /skp.
    await employee.send("/skp")
    assert "Komentar atasan" in employee.text
    assert "Drs. Ahmad Fauzi, M.Si. (keseluruhan): Target laporan sudah sesuai" in employee.text
    assert "(RHK 2): Mohon &lt;b&gt;percepat&lt;/b&gt;" in employee.text
    assert "Komentari SKP" not in employee.labels()


async def test_only_the_current_atasan_or_an_admin_sees_or_comments(
    dispatcher: Dispatcher,
) -> None:
    sessions = dispatcher.sessions
    siti = await employee_id(sessions, STAFF)
    other_atasan = await chat_as(dispatcher, ATASAN_WITA, "w1")
    colleague = await chat_as(dispatcher, BUDI, "b1")
    atasan = await chat_as(dispatcher, ATASAN, "a1")

    # Another unit's atasan and a colleague: refused, by button, forged payload or command.
    for chat in (other_atasan, colleague):
        await chat.press_payload(VIEW.pack(who=siti))
        assert "hanya atasan langsung" in chat.text and "Target" not in chat.text
        await chat.press_payload(COMMENT.pack(who=siti, r=0))
        assert "hanya atasan langsung" in chat.text
        await chat.send(f"/skp {STAFF}")
        assert "hanya atasan langsung" in chat.text
    await colleague.press_payload("ksv:abc")
    assert "tidak ditemukan" in colleague.text
    await atasan.press_payload(COMMENT.pack(who=siti, r=9))  # no RHK 9
    assert "tidak ditemukan" in atasan.text

    # A stale prompt: the atasan starts a comment, then Siti moves to another atasan.
    await atasan.press_payload(COMMENT.pack(who=siti, r=1))
    assert "RHK 1 milik Siti" in atasan.text
    async with UnitOfWork(sessions) as uow:
        andi = await uow.session.scalar(select(Employee.id).where(Employee.nip == ATASAN_WITA))
        await uow.session.execute(
            update(Employee).where(Employee.id == siti).values(supervisor_id=andi)
        )
        await uow.commit()
    await atasan.send("Komentar yang sudah tidak berhak.")
    assert "hanya atasan langsung" in atasan.text
    assert await comments(dispatcher) == [] and await comment_pushes(dispatcher) == []
    # The new atasan may now look.
    await other_atasan.press_payload(VIEW.pack(who=siti))
    assert "Target: 12 dokumen" in other_atasan.text

    # An admin looks by NIP and may comment.
    admin = await chat_as(dispatcher, ADMIN, "r1")
    await admin.send(f"/skp {STAFF}")
    assert "Target: 12 dokumen" in admin.text
    await admin.press("Komentari SKP")
    await admin.send("RHK sudah selaras dengan renstra.")
    assert "Komentar tersimpan" in admin.text
    assert [row[2] for row in await comments(dispatcher)] == ["RHK sudah selaras dengan renstra."]
