"""Complaint lifecycle with an injected clock: ticket and working-day deadline, the reminder on
the last working day, the escalation once it passed (admins and the citizen, with the
SP4N-LAPOR! link), answer and resolve from the staff chat, and who may act on a complaint."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from bot.chat.citizen_gate import CitizenSender
from bot.chat.i18n import Catalogs
from scheduler.citizen_jobs import CitizenJobs
from scheduler.outbox import OutboxDrainer
from storage.models import CitizenComplaint, Employee, OutboxMessage, Unit
from storage.uow import SessionFactory, UnitOfWork
from tests.citizen.support import NOW, POLICY, Clock, Recorder, catalog, gate, staff
from tests.support.chat import ADMIN, Chat

SESSION = "complainant-session-token-000001"


async def file(sessions: SessionFactory, catalogs: Catalogs, clock: Clock, consent: bool) -> Chat:
    citizen = Chat(gate(sessions, catalogs, clock), SESSION)
    await citizen.send("/start svc_KTP")
    await citizen.press("Pengaduan")
    await citizen.send("Berkas saya hilang di loket, mohon dicek.")
    await citizen.press("Ya, kabari saya" if consent else "Tidak usah")
    if consent:
        await citizen.press("Lewati")
    return citizen


async def purposes(sessions: SessionFactory) -> list[tuple[str, str, str]]:
    async with UnitOfWork(sessions) as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.purpose, OutboxMessage.channel, OutboxMessage.recipient).order_by(
                OutboxMessage.id
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_deadline_reminder_escalation_in_working_days(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    clock = Clock()  # Wednesday 25 November 2026, 10.00 WIB
    citizen = await file(sessions, catalogs, clock, consent=True)
    # Three working days: Thu 26, Fri 27, Mon 30 November.
    assert "Senin, 30 November 2026" in citizen.text
    async with UnitOfWork(sessions) as uow:
        complaint = (await uow.session.execute(select(CitizenComplaint))).one()
    assert complaint.due_on == date(2026, 11, 30)
    jobs = CitizenJobs(sessions, POLICY, clock)

    assert await jobs.deadlines() == (0, 0)  # Wednesday: nothing yet
    clock.now = NOW + timedelta(days=1)  # Thursday
    assert await jobs.deadlines() == (0, 0)
    clock.now = NOW + timedelta(days=2)  # Friday: the next working day is the deadline
    assert await jobs.deadlines() == (1, 0)
    assert await jobs.deadlines() == (0, 0)  # once
    clock.now = NOW + timedelta(days=5)  # Monday, the deadline itself: no escalation yet
    assert await jobs.deadlines() == (0, 0)
    clock.now = NOW + timedelta(days=6)  # Tuesday: passed, unanswered
    assert await jobs.deadlines() == (0, 1)
    assert await jobs.deadlines() == (0, 0)  # once

    sent = [p for p, _channel, _to in await purposes(sessions)]
    assert sent == [
        "citizen.complaint_new",
        "citizen.complaint_due",
        "citizen.complaint_late",
        "citizen.complaint_status",
    ]
    admin_inbox, citizen_inbox = Recorder(), Recorder()
    await OutboxDrainer(staff(sessions, catalogs, clock), {"web": admin_inbox}).run_once("web")
    texts = admin_inbox.texts("rina")
    assert [t.split("\n")[0] for t in texts] == [
        "Pengaduan baru masuk: ADU2611-0001",
        "Pengingat: batas tanggapan pengaduan ADU2611-0001 sudah dekat.",
        "Eskalasi: pengaduan ADU2611-0001 melewati batas tanggapan tanpa jawaban.",
    ]
    citizen_gate = gate(sessions, catalogs, clock)
    await OutboxDrainer(
        citizen_gate, {"citizen-web": CitizenSender(citizen_inbox, citizen_gate, "citizen-web")}
    ).run_once("citizen-web")
    late = citizen_inbox.texts(SESSION)
    assert len(late) == 1 and "lapor.go.id" in late[0] and "teruskan ke pimpinan" in late[0]


async def test_answered_complaints_are_not_escalated_and_status_is_pullable(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    clock = Clock()
    citizen = await file(sessions, catalogs, clock, consent=False)
    assert "/tiket ADU2611-0001" in citizen.text
    rina = Chat(staff(sessions, catalogs, clock), "rina")
    await rina.send("/pengaduan")
    await rina.press("ADU2611-0001")
    assert "tidak meminta dikabari" in rina.text
    await rina.press("Jawab")
    await rina.send("ok")  # too short
    assert "3-2000" in rina.text
    await rina.send("Berkas ditemukan, silakan ambil di loket 2.")
    clock.now = NOW + timedelta(days=10)
    assert await CitizenJobs(sessions, POLICY, clock).deadlines() == (0, 0)
    # No consent: nothing is pushed to the citizen; they look it up themselves.
    assert all(p != "citizen.complaint_status" for p, _c, _r in await purposes(sessions))
    await citizen.send("/tiket ADU2611-0001")
    assert "sudah ditanggapi" in citizen.text and "Berkas ditemukan" in citizen.text
    await citizen.send("/tiket ADU2611-9999")
    assert "tidak ditemukan" in citizen.text
    # Another citizen cannot read it.
    other = Chat(gate(sessions, catalogs, clock), "someone-else-session-00000000")
    await other.send("/tiket ADU2611-0001")
    assert "Berkas ditemukan" not in other.text


async def test_only_the_units_admins_act_on_a_complaint(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    clock = Clock()
    await file(sessions, catalogs, clock, consent=True)
    async with UnitOfWork(sessions) as uow:
        complaint_id = (await uow.session.execute(select(CitizenComplaint.id))).scalar_one()
        timur = (
            await uow.session.execute(select(Unit.id).where(Unit.code == "UPT-TIMUR"))
        ).scalar_one()
        # Rina becomes the admin of another unit only.
        await uow.session.execute(
            update(Employee).where(Employee.nip == ADMIN).values(admin_unit_id=timur)
        )
        await uow.commit()
    rina = Chat(staff(sessions, catalogs, clock), "rina")
    await rina.send("/pengaduan")
    assert "Tidak ada pengaduan" in rina.text
    for forged in (f"qv:{complaint_id}", f"qa:{complaint_id}", f"qr:{complaint_id}"):
        await rina.press_payload(forged)
        assert "bukan wewenang Anda" in rina.text
    await rina.press_payload("qr:notanumber")
    assert "sudah tidak berlaku" in rina.text
    async with UnitOfWork(sessions) as uow:
        status = (await uow.session.execute(select(CitizenComplaint.status))).scalar_one()
    assert status == "open"
    # An ordinary employee or atasan cannot reach complaints at all.
    ahmad = Chat(staff(sessions, catalogs, clock), "ahmad")
    await ahmad.press_payload(f"qr:{complaint_id}")
    assert "tidak tersedia untuk peran Anda" in ahmad.text
    async with UnitOfWork(sessions) as uow:
        status = (await uow.session.execute(select(CitizenComplaint.status))).scalar_one()
    assert status == "open"
