"""Staff chat around the citizen channel: the catalog managed in chat (scoped), and ratings
attributed to the counter's officer shown to that ASN and their atasan."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.chat.i18n import Catalogs
from storage.models import CitizenService, Employee, Unit
from storage.uow import SessionFactory, UnitOfWork
from tests.citizen.support import BUDI, Clock, catalog, gate, staff
from tests.support.chat import ADMIN, Chat, link


async def test_catalog_in_chat_is_scoped(sessions: SessionFactory, catalogs: Catalogs) -> None:
    await catalog(sessions)
    rina = Chat(staff(sessions, catalogs, Clock()), "rina")
    await rina.send("/layanan")
    assert "KTP" in rina.text and "IZIN" in rina.text
    await rina.send("/layanan tambah akta DISKOMINFO Akta Kelahiran")
    assert "AKTA" in rina.text and "ditambahkan" in rina.text
    await rina.send("/layanan tambah AKTA DISKOMINFO Lagi")
    assert "sudah ada" in rina.text
    await rina.send("/layanan loket AKTA L1 " + BUDI)
    assert "Loket L1" in rina.text
    await rina.send("/layanan hapus semua")
    assert "/layanan tambah KODE UNIT" in rina.text  # usage
    async with UnitOfWork(sessions) as uow:
        timur = (
            await uow.session.execute(select(Unit.id).where(Unit.code == "UPT-TIMUR"))
        ).scalar_one()
        await uow.session.execute(
            update(Employee).where(Employee.nip == ADMIN).values(admin_unit_id=timur)
        )
        await uow.commit()
    await rina.send("/layanan tambah SIM DISKOMINFO Surat Izin")
    assert "tidak tersedia untuk peran Anda" in rina.text
    await rina.send("/layanan")
    assert "IZIN" in rina.text and "KTP" not in rina.text
    async with UnitOfWork(sessions) as uow:
        codes = (await uow.session.execute(select(CitizenService.code))).scalars().all()
    assert sorted(codes) == ["AKTA", "IZIN", "KTP"]
    ahmad = Chat(staff(sessions, catalogs, Clock()), "ahmad")
    await ahmad.send("/layanan")
    assert "tidak tersedia untuk peran Anda" in ahmad.text


async def test_ratings_are_attributed_to_the_counters_officer(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await catalog(sessions)
    clock = Clock()
    for number, score in enumerate((4, 3, 2)):
        citizen = Chat(gate(sessions, catalogs, clock), f"visitor-session-{number:016d}")
        await citizen.send("/start svc_KTP_L2")
        await citizen.send(str(score))
    other = Chat(gate(sessions, catalogs, clock), "visitor-session-without-counter")
    await other.send("/start svc_KTP")
    await other.send("1")
    await link(sessions, "web", "budi", BUDI)
    budi = Chat(staff(sessions, catalogs, clock), "budi")
    await budi.send("/nilai_warga")
    assert "bulan ini 3 penilaian, rata-rata 3" in budi.text
    ahmad = Chat(staff(sessions, catalogs, clock), "ahmad")  # Budi's atasan
    await ahmad.send("/nilai_warga")
    assert "Budi Santoso, A.Md.: bulan ini 3 penilaian" in ahmad.text
    assert "Siti Nurhaliza, S.T.: bulan ini 0 penilaian, rata-rata —" in ahmad.text
