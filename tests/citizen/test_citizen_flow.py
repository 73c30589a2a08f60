"""The issue's "done when" path, through the doors users use: a citizen opens a QR poster's
link on the citizen web chat, rates, completes the survey, comments, files a complaint and hears
back; the unit admin answers from the staff chat and sees the IKM with grade, chart and XLSX."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from bot.chat.citizen_gate import CitizenSender
from bot.chat.i18n import Catalogs
from bot.chat.replies import Document, Image
from scheduler.outbox import OutboxDrainer
from storage.models import CitizenComplaint, CitizenRating
from storage.uow import SessionFactory, UnitOfWork
from tests.citizen.support import BUDI, Clock, Recorder, catalog, gate, staff
from tests.support.chat import Chat

SESSION = "visitor-session-token-0123456789"


async def test_scan_rate_survey_complain_hear_back_and_ikm(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    clock = Clock()
    citizen_gate = gate(sessions, catalogs, clock)
    citizen = Chat(citizen_gate, SESSION)

    await citizen.send("/start svc_KTP_L2")
    assert "Perekaman KTP-el" in citizen.text and "loket L2" in citizen.text
    await citizen.send("5")  # outside 1-4: asked again, nothing stored
    assert "1 sampai 4" in citizen.text
    await citizen.send("4")
    assert "sudah kami catat" in citizen.text

    await citizen.press("Isi survei (9 soal)")
    for element in range(1, 10):
        assert f"Pertanyaan {element} dari 9" in citizen.text
        # Element 4 (biaya) answered "Murah" (3), the rest with the best answer (4).
        citizen_buttons = citizen.buttons()
        pick = citizen_buttons[1] if element == 4 else citizen_buttons[0]
        await citizen.press_payload(pick.payload)
    assert "survei Anda lengkap" in citizen.text
    await citizen.press("Tulis saran")
    await citizen.send("Antrean rapi, petugas ramah.")
    assert "saran Anda sudah kami terima" in citizen.text

    await citizen.press("Pengaduan")  # from the menu: the service is chosen from a list
    await citizen.press("Perekaman KTP-el")
    await citizen.send("Blangko KTP habis sejak seminggu, mohon kepastian.")
    await citizen.press("Ya, kabari saya")
    await citizen.press("Lewati")
    assert "ADU2611-0001" in citizen.text
    assert "lapor.go.id" in citizen.text

    async with UnitOfWork(sessions) as uow:
        rating = (await uow.session.execute(select(CitizenRating))).one()
        assert rating.quick == 4 and rating.complete and rating.u4 == 3
        assert rating.officer_id == await uow.citizen.employee_id_by_nip(BUDI)
        complaint = (await uow.session.execute(select(CitizenComplaint))).one()
        assert complaint.reply_to is not None and SESSION not in complaint.reply_to

    # The unit admin hears of the complaint on the staff chat, and answers it there.
    staff_dispatcher = staff(sessions, catalogs, clock)
    admin_inbox = Recorder()
    staff_drainer = OutboxDrainer(staff_dispatcher, {"web": admin_inbox}, concurrency=1)
    await staff_drainer.run_once("web")
    assert any("Pengaduan baru masuk: ADU2611-0001" in t for t in admin_inbox.texts("rina"))

    rina = Chat(staff_dispatcher, "rina")
    await rina.send("/pengaduan")
    await rina.press("ADU2611-0001")
    assert "Blangko KTP habis" in rina.text
    await rina.press("Jawab")
    await rina.send("Blangko sudah tersedia kembali mulai besok pagi.")
    assert "tersimpan" in rina.text

    citizen_inbox = Recorder()
    citizen_drainer = OutboxDrainer(
        citizen_gate,
        {"citizen-web": CitizenSender(citizen_inbox, citizen_gate, "citizen-web")},
        concurrency=1,
    )
    await citizen_drainer.run_once("citizen-web")
    heard = citizen_inbox.texts(SESSION)  # delivered to the real session, not the pseudonym
    assert len(heard) == 1 and "sudah ditanggapi" in heard[0]
    assert "Blangko sudah tersedia" in heard[0]

    await rina.press("Tandai selesai")
    await citizen_drainer.run_once("citizen-web")
    assert "selesai" in citizen_inbox.texts(SESSION)[-1]

    # IKM with grade and chart, then the XLSX.
    await rina.send("/ikm 2026")
    await rina.press("DISKOMINFO")
    images = [out.reply for out in rina.last if isinstance(out.reply, Image)]
    assert len(images) == 1 and images[0].data.startswith(b"\x89PNG")
    # One survey: eight 4s and one 3 -> (35/9) x 25 = 97.22, grade A.
    assert "97,22" in rina.text and "(A, sangat baik)" in rina.text
    assert "Antrean rapi" in rina.text  # comments: the unit's admins only
    await rina.press("Unduh XLSX")
    document = rina.last[0].reply
    assert isinstance(document, Document) and document.filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(document.data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    ktp = next(row for row in rows if row[0] and str(row[0]).startswith("KTP"))
    assert ktp[1] == 1 and ktp[3:12] == (4, 4, 4, 3, 4, 4, 4, 4, 4)
    assert ktp[13] == 97.22 and ktp[14] == "A"


async def test_atasan_sees_ikm_of_own_unit_without_comments(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    clock = Clock()
    citizen = Chat(gate(sessions, catalogs, clock), SESSION)
    await citizen.send("/start svc_KTP")
    await citizen.send("2")
    await citizen.press("Tulis saran")
    await citizen.send("Lama sekali")
    ahmad = Chat(staff(sessions, catalogs, clock), "ahmad")
    await ahmad.send("/ikm")
    assert "KTP" in ahmad.text and "belum ada survei lengkap" in ahmad.text
    assert "IZIN" not in ahmad.text  # another unit's service
    assert "Lama sekali" not in ahmad.text
    await ahmad.send("/pengaduan")  # complaints are for admins
    assert "Pengaduan warga" not in ahmad.text
