"""Periodic evaluation end to end through the dispatcher, on both backends: the atasan rates
a staff member (predikat from the matrix), the employee is told and objects, the objection goes
to the atasan's atasan; wrong people, repeats and closed periods are refused. Quarterly periods,
a 30-day window, at Mon 5 Oct 2026 10:00 WIB (Triwulan III just ended)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.chat.capabilities import TELEGRAM
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from handlers import ROUTERS
from handlers.evaluation import OBJECT, STAFF
from kinerja.people import Person
from storage.models import AuditEntry, Employee, Evaluation, OutboxMessage
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, ATASAN_WITA, Chat, link, seed
from tests.support.chat import STAFF as SITI

NOW = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
CLOSED = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)  # 33 days after 30 September
BUDI = "199201102019031003"


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed(sessions)
    return Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: NOW)


async def chat_as(dispatcher: Dispatcher, nip: str, user_id: str) -> tuple[Chat, Person]:
    person = await link(dispatcher.sessions, "telegram", user_id, nip)
    return Chat(dispatcher, user_id, channel="telegram", caps=TELEGRAM), person


async def evaluations(dispatcher: Dispatcher) -> list[Any]:
    async with UnitOfWork(dispatcher.sessions) as uow:
        return list(await uow.session.execute(select(Evaluation).order_by(Evaluation.id)))


async def pushes(dispatcher: Dispatcher, purpose: str) -> list[tuple[str, dict[str, Any]]]:
    async with UnitOfWork(dispatcher.sessions) as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.payload)
            .where(OutboxMessage.purpose == purpose)
            .order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]


async def render(
    dispatcher: Dispatcher, chat: Chat, purpose: str, payload: dict[str, Any]
) -> None:
    async with UnitOfWork(dispatcher.sessions) as uow:
        chat.last = await dispatcher.render_push(
            uow, "telegram", chat.user_id, purpose, payload, TELEGRAM
        )
        await uow.commit()


async def rate(atasan: Chat, name: str, hasil: str, perilaku: str, feedback: str) -> None:
    await atasan.send("/penilaian")
    await atasan.press(name)
    await atasan.press(hasil)
    assert "BerAKHLAK" in atasan.text and "Akuntabel" in atasan.text
    await atasan.press(perilaku)
    await atasan.send(feedback)


async def test_atasan_rates_employee_objects_and_it_reaches_the_next_level_up(
    dispatcher: Dispatcher,
) -> None:
    atasan, ahmad = await chat_as(dispatcher, ATASAN, "a1")
    siti_chat, siti = await chat_as(dispatcher, SITI, "s1")
    andi_chat, andi = await chat_as(dispatcher, ATASAN_WITA, "u1")
    async with UnitOfWork(dispatcher.sessions) as uow:  # Andi becomes Ahmad's own atasan
        await uow.session.execute(
            update(Employee).where(Employee.id == ahmad.id).values(supervisor_id=andi.id)
        )
        await uow.commit()

    await atasan.send("/penilaian")
    assert "Triwulan III 2026" in atasan.text and "0 dari 3 staf" in atasan.text
    await atasan.press("Siti")
    assert "hasil kerja" in atasan.text
    await atasan.press("Di atas ekspektasi")
    await atasan.press("Sesuai ekspektasi")
    assert "Predikat: <b>Baik</b>" in atasan.text
    await atasan.send("ok")  # too short: asked again, nothing saved
    assert "terlalu pendek" in atasan.text and await evaluations(dispatcher) == []
    await atasan.send("Laporan tepat waktu; tingkatkan kolaborasi tim.")
    assert "predikat <b>Baik</b>" in atasan.text

    [saved] = await evaluations(dispatcher)
    row = saved
    assert (row.employee_id, row.evaluator_id, row.period) == (siti.id, ahmad.id, "2026-Q3")
    assert (row.hasil_kerja, row.perilaku_kerja, row.predikat) == ("atas", "sesuai", "baik")
    assert row.feedback == "Laporan tepat waktu; tingkatkan kolaborasi tim."
    [(recipient, payload)] = await pushes(dispatcher, "evaluation_result")
    assert recipient == "s1"

    await atasan.send("/penilaian")
    assert "1 dari 3 staf" in atasan.text and "Siti Nurhaliza, S.T. — Baik" in atasan.text
    assert not any(label.startswith("Siti") for label in atasan.labels())

    # The employee is told, and objects.
    await render(dispatcher, siti_chat, "evaluation_result", payload)
    assert "Predikat: <b>Baik</b>" in siti_chat.text and "tingkatkan kolaborasi" in siti_chat.text
    await siti_chat.press("Ajukan keberatan")
    await siti_chat.send("Target RHK 1 sudah terlampaui, mohon ditinjau kembali.")
    assert "diteruskan kepada Andi Pratama" in siti_chat.text
    [saved] = await evaluations(dispatcher)
    assert saved.objection == "Target RHK 1 sudah terlampaui, mohon ditinjau kembali."
    assert saved.reviewer_id == andi.id
    [(recipient, payload)] = await pushes(dispatcher, "evaluation_objection")
    assert recipient == "u1"
    await render(dispatcher, andi_chat, "evaluation_objection", payload)
    assert "Keberatan" in andi_chat.text and "sudah terlampaui" in andi_chat.text
    # Only once.
    await siti_chat.press_payload(OBJECT.pack(id=saved.id))
    assert "sudah diajukan" in siti_chat.text

    async with UnitOfWork(dispatcher.sessions) as uow:
        actions = list(
            await uow.session.scalars(
                select(AuditEntry.action).where(AuditEntry.subject_type == "evaluation")
            )
        )
    assert actions == ["evaluation.create", "evaluation.object"]


async def test_without_an_atasan_above_the_objection_goes_to_admins(
    dispatcher: Dispatcher,
) -> None:
    atasan, _ = await chat_as(dispatcher, ATASAN, "a1")
    siti_chat, _ = await chat_as(dispatcher, SITI, "s1")
    await chat_as(dispatcher, ADMIN, "r1")
    await rate(atasan, "Siti", "Di bawah ekspektasi", "Di bawah ekspektasi", "Perlu pembinaan.")
    assert "Sangat Kurang" in atasan.text
    [(_, payload)] = await pushes(dispatcher, "evaluation_result")
    await render(dispatcher, siti_chat, "evaluation_result", payload)
    await siti_chat.press("Ajukan keberatan")
    await siti_chat.send("Saya sedang cuti sakit sebagian besar triwulan.")
    assert "admin kepegawaian" in siti_chat.text
    assert [r for r, _ in await pushes(dispatcher, "evaluation_objection")] == ["r1"]


async def test_wrong_people_repeats_and_forgeries_are_refused(dispatcher: Dispatcher) -> None:
    atasan, _ = await chat_as(dispatcher, ATASAN, "a1")
    andi_chat, _ = await chat_as(dispatcher, ATASAN_WITA, "u1")
    budi_chat, _ = await chat_as(dispatcher, BUDI, "b1")
    _, siti = await chat_as(dispatcher, SITI, "s1")
    forged = STAFF.pack(who=siti.id, p="2026-Q3")

    await andi_chat.press_payload(forged)  # another unit's atasan
    assert "hanya atasan langsung" in andi_chat.text
    await budi_chat.press_payload(forged)  # a colleague
    assert "hanya atasan langsung" in budi_chat.text
    await budi_chat.send("/penilaian")  # not an atasan: the command is not theirs
    assert "staf sudah dinilai" not in budi_chat.text
    await atasan.press_payload(STAFF.pack(who=siti.id, p="2026-Q4"))  # not ended yet
    assert "belum dibuka" in atasan.text
    await atasan.press_payload("eh:1:2026-Q3:zz")  # malformed
    assert "tidak ditemukan" in atasan.text

    await rate(atasan, "Siti", "Di atas ekspektasi", "Di atas ekspektasi", "Luar biasa.")
    assert "Sangat Baik" in atasan.text
    await atasan.press_payload(forged)  # a second time
    assert "sudah dinilai" in atasan.text
    assert len(await evaluations(dispatcher)) == 1

    # Budi cannot object to Siti's evaluation.
    [saved] = await evaluations(dispatcher)
    await budi_chat.press_payload(OBJECT.pack(id=saved.id))
    assert "hanya dapat diajukan oleh pegawai yang dinilai" in budi_chat.text


async def test_a_closed_period_refuses_politely(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await seed(sessions)
    closed = Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: CLOSED)
    atasan, _ = await chat_as(closed, ATASAN, "a1")
    _, siti = await chat_as(closed, SITI, "s1")
    await atasan.press_payload(STAFF.pack(who=siti.id, p="2026-Q3"))
    assert "sudah ditutup" in atasan.text
    await atasan.send("/penilaian")
    assert "Tidak ada periode penilaian yang sedang terbuka" in atasan.text
    assert await evaluations(closed) == []


async def test_admin_sees_completion_per_unit(dispatcher: Dispatcher) -> None:
    atasan, _ = await chat_as(dispatcher, ATASAN, "a1")
    admin, _ = await chat_as(dispatcher, ADMIN, "r1")
    await rate(atasan, "Budi", "Sesuai ekspektasi", "Sesuai ekspektasi", "Pertahankan.")
    await admin.send("/penilaian")
    assert "Kelengkapan penilaian — Triwulan III 2026" in admin.text
    assert "DISKOMINFO: 1/3 dinilai, 0 keberatan" in admin.text
    assert "UPT-TIMUR: 0/1 dinilai" in admin.text


async def test_period_end_prompts_each_atasan_once(dispatcher: Dispatcher) -> None:
    from kinerja.evaluation import EvaluationPolicy
    from kinerja.services.evaluation import queue_prompts

    atasan, _ = await chat_as(dispatcher, ATASAN, "a1")
    for _ in range(2):
        async with UnitOfWork(dispatcher.sessions) as uow:
            await queue_prompts(uow, "Asia/Jakarta", NOW, EvaluationPolicy())
            await uow.commit()
    [(recipient, payload)] = await pushes(dispatcher, "evaluation_prompt")
    assert (recipient, payload) == ("a1", {"period": "2026-Q3"})
    await render(dispatcher, atasan, "evaluation_prompt", payload)
    assert "telah berakhir" in atasan.text and "Siti" in " ".join(atasan.labels())
