"""The issue's bad input, through the citizen dispatcher: broken or unknown deep links, ratings
typed outside 1-4, a survey abandoned half-way (kept, not counted), oversized comments, floods,
bursts on one service; counts stay correct. Plus one rating per citizen per service per day,
officer attribution, and the retention job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.chat.i18n import Catalogs
from kinerja.services.citizen import add_service
from kinerja.services.ikm import ikm_per_unit
from scheduler.citizen_jobs import CitizenJobs
from storage.models import Citizen, CitizenComplaint, CitizenFlag, CitizenRating, Identity
from storage.uow import SessionFactory, UnitOfWork
from tests.citizen.support import BUDI, NOW, POLICY, Clock, catalog, gate, staff
from tests.support.chat import Chat


async def ratings(sessions: SessionFactory) -> list[tuple[int, bool, int | None]]:
    async with UnitOfWork(sessions) as uow:
        rows = await uow.session.execute(
            select(CitizenRating.quick, CitizenRating.complete, CitizenRating.officer_id).order_by(
                CitizenRating.id
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("payload", "answer"),
    [
        ("svc_", "tidak dapat dibaca"),
        ("svc_KTP_L2_X", "tidak dapat dibaca"),
        ("svc_K/TP", "tidak dapat dibaca"),
        ("inv_abc", "tidak dapat dibaca"),  # a staff invite link on the citizen bot
        ("svc_" + "A" * 70, "tidak dapat dibaca"),
        ("svc_NOPE", "kode NOPE tidak ditemukan"),
    ],
)
async def test_bad_deep_links_get_the_service_list(
    sessions: SessionFactory, catalogs: Catalogs, payload: str, answer: str
) -> None:
    await catalog(sessions)
    citizen = Chat(gate(sessions, catalogs, Clock()), "visitor-session-0000000001")
    await citizen.send(f"/start {payload}")
    assert answer in citizen.text
    assert "Perekaman KTP-el" in citizen.labels()  # pick from the list instead
    await citizen.press("Perekaman KTP-el")
    await citizen.send("3")
    assert await ratings(sessions) == [(3, False, None)]


async def test_typed_ratings_and_one_rating_per_day(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    clock = Clock()
    citizen = Chat(gate(sessions, catalogs, clock), "visitor-session-0000000002")
    await citizen.send("4")  # no service chosen yet
    assert "pilih layanannya terlebih dahulu" in citizen.text
    await citizen.send("/start svc_KTP_L2")
    for bad in ("0", "5", "44", "baik", "-1", "2.5"):
        await citizen.send(bad)
        assert "1 sampai 4" in citizen.text
    assert await ratings(sessions) == []
    await citizen.send("4.")
    async with UnitOfWork(sessions) as uow:
        budi = await uow.citizen.employee_id_by_nip(BUDI)
    assert await ratings(sessions) == [(4, False, budi)]  # attributed to the counter's officer
    await citizen.send("3")  # a second thought right away: updated, still attributed
    assert await ratings(sessions) == [(3, False, budi)]
    await citizen.send("/start svc_KTP_L9")  # an unknown counter: rated, not attributed
    await citizen.send("2")
    assert await ratings(sessions) == [(2, False, None)]  # the same day: updated
    clock.now = NOW + timedelta(days=1)
    await citizen.send("/start svc_KTP")
    await citizen.send("3")
    assert await ratings(sessions) == [(2, False, None), (3, False, None)]


async def test_abandoned_survey_is_kept_but_not_counted(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    clock = Clock()
    quitter = Chat(gate(sessions, catalogs, clock), "visitor-session-0000000003")
    await quitter.send("/start svc_KTP")
    await quitter.send("1")
    await quitter.press("Isi survei (9 soal)")
    for _ in range(4):
        await quitter.press_payload(quitter.buttons()[-2].payload)  # the lowest answer, 1
    await quitter.send("ini jawaban ketikan")  # text during the survey: use the buttons
    assert "menekan salah satu tombol" in quitter.text
    await quitter.send("/menu")
    finisher = Chat(gate(sessions, catalogs, clock), "visitor-session-0000000004")
    await finisher.send("/start svc_KTP")
    await finisher.send("3")
    await finisher.press("Isi survei (9 soal)")
    for _ in range(9):
        await finisher.press_payload(finisher.buttons()[1].payload)  # 3
    async with UnitOfWork(sessions) as uow:
        kept = (
            await uow.session.execute(select(CitizenRating.u1, CitizenRating.u4, CitizenRating.u5))
        ).all()
        assert (1, 1, None) in [tuple(row) for row in kept]
        unit = await uow.citizen.unit_id_by_code("DISKOMINFO")
        assert unit is not None
        result = await ikm_per_unit(uow, unit, NOW.date(), NOW.date())
    assert result is not None
    assert result.ikm.respondents == 1 and result.ratings == 2
    assert str(result.ikm.converted_2dp) == "75.00"


async def test_oversized_comment_is_refused_politely(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    citizen = Chat(gate(sessions, catalogs, Clock()), "visitor-session-0000000005")
    await citizen.send("/start svc_KTP")
    await citizen.send("4")
    await citizen.press("Tulis saran")
    await citizen.send("a" * 1001)
    assert "1001 karakter; paling banyak 1000" in citizen.text
    await citizen.send("a" * 1000)
    async with UnitOfWork(sessions) as uow:
        comment = (await uow.session.execute(select(CitizenRating.comment))).scalar_one()
    assert comment == "a" * 1000


async def test_floods_are_rejected_and_bursts_flagged(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    clock = Clock()
    ticks = iter(range(1000))
    citizen_gate = gate(
        sessions, catalogs, clock, per_minute=4, monotonic=lambda: next(ticks) / 100
    )
    flooder = Chat(citizen_gate, "visitor-session-0000000006")
    await flooder.send("/start svc_KTP")
    await flooder.send("4")
    await flooder.send("/start svc_KTP")
    await flooder.send("3")
    await flooder.send("/start svc_KTP")  # fifth within a minute: told once
    assert "terlalu banyak" in flooder.text
    await flooder.send("1")  # then dropped without an answer, and not stored
    assert flooder.last == []
    assert await ratings(sessions) == [(3, False, None)]
    assert citizen_gate.rejected == 2

    # A burst on one service (POLICY.burst_limit = 5 within 10 minutes) raises one flag.
    for number in range(6):
        chat = Chat(citizen_gate, f"burst-session-{number:020d}")
        await chat.send("/start svc_KTP")
        await chat.send("4")
    async with UnitOfWork(sessions) as uow:
        flags = (await uow.session.execute(select(CitizenFlag.count))).scalars().all()
    assert len(flags) == 1 and flags[0] == 5
    rina = Chat(staff(sessions, catalogs, clock), "rina")
    await rina.send("/ikm 2026")
    await rina.press("DISKOMINFO")
    assert "Lonjakan penilaian pada KTP" in rina.text


async def test_retention_forgets_citizens(sessions: SessionFactory, catalogs: Catalogs) -> None:
    await catalog(sessions)
    clock = Clock()
    citizen = Chat(gate(sessions, catalogs, clock), "visitor-session-0000000007")
    await citizen.send("/start svc_KTP")
    await citizen.send("4")
    await citizen.press("Tulis saran")
    await citizen.send("Bagus sekali")
    await citizen.send("/pengaduan")
    await citizen.send("Mohon loket dibuka lebih pagi.")  # the service is not chosen yet
    assert "pilih salah satu tombol" in citizen.text
    await citizen.press("Perekaman KTP-el")
    await citizen.send("Mohon loket dibuka lebih pagi.")
    await citizen.press("Ya, kabari saya")
    await citizen.press("Lewati")
    rina = Chat(staff(sessions, catalogs, clock), "rina")
    await rina.send("/pengaduan")
    await rina.press("ADU2611-0001")
    await rina.press("Tandai selesai")
    jobs = CitizenJobs(sessions, POLICY, clock)
    clock.now = NOW + timedelta(days=POLICY.retention_days - 1)
    assert await jobs.retention() == (0, 0)
    clock.now = NOW + timedelta(days=POLICY.retention_days + 1)
    assert await jobs.retention() == (1, 1)
    async with UnitOfWork(sessions) as uow:
        rating = (await uow.session.execute(select(CitizenRating))).one()
        assert rating.citizen_id is None and rating.comment is None and rating.quick == 4
        assert (
            await uow.session.execute(select(func.count()).select_from(CitizenComplaint))
        ).scalar() == 0
        assert (await uow.session.execute(select(func.count()).select_from(Citizen))).scalar() == 0
        channels = (await uow.session.execute(select(Identity.channel))).scalars().all()
        assert "citizen-web" not in channels


async def test_many_services_are_listed_in_pages(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    async with UnitOfWork(sessions) as uow:
        for number in range(1, 19):  # 20 services with KTP and IZIN
            await add_service(uow, f"S{number:02d}", f"Layanan {number:02d}", "DISKOMINFO")
        await uow.commit()
    citizen = Chat(gate(sessions, catalogs, Clock()), "visitor-session-0000000008")
    await citizen.send("/start")
    await citizen.press("Nilai layanan")
    assert "halaman 1 dari 3" in citizen.text
    assert len(citizen.labels()) == 10  # 8 services, more, menu: WhatsApp's list limit
    await citizen.press("Layanan lainnya »")
    await citizen.press("Layanan lainnya »")
    assert "halaman 3 dari 3" in citizen.text and "Layanan lainnya »" not in citizen.labels()
    await citizen.press("Layanan 18")
    await citizen.send("4")
    # The same list in a complaint asks the complaint's question, and a pick files there.
    await citizen.send("/batal")  # (else the complaint is about the service just rated)
    await citizen.send("/pengaduan")
    await citizen.press("Layanan lainnya »")
    assert "Pengaduan Anda tentang layanan apa?" in citizen.text
    await citizen.press("Layanan 10")
    assert "pengaduan Anda tentang <b>Layanan 10</b>" in citizen.text
    async with UnitOfWork(sessions) as uow:
        last = await uow.citizen.service("S18")
        rated = (await uow.session.execute(select(CitizenRating.service_id))).scalars().all()
    assert last is not None and rated == [last.id]
