"""Broadcasts: `/siaran` in chat (compose, audience, preview, send or schedule, cancel), the
audiences, unit admins' scope, bad input, and the live progress report through the drainer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select, update

from bot.chat.capabilities import WEB, Capabilities, Outgoing
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.chat.replies import Text
from handlers import ROUTERS
from kinerja.reminders import Audience, AudienceKind, ReminderError
from kinerja.services import broadcasts, reminders
from scheduler.outbox import OutboxDrainer
from storage.models import Activity, Employee, Identity, OutboxMessage, Unit
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, ATASAN_WITA, STAFF, Chat, link, seed

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wed 10.00 WIB
BUDI = "199201102019031003"
NURUL = "199603172020122005"


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed(sessions)
    for name, nip in (
        ("rina", ADMIN),
        ("ahmad", ATASAN),
        ("siti", STAFF),
        ("budi", BUDI),
        ("andi", ATASAN_WITA),
        ("nurul", NURUL),
    ):
        await link(sessions, "web", name, nip)
    return Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: NOW)


async def rows(sessions: SessionFactory, purpose: str) -> list[tuple[str, int, str]]:
    async with UnitOfWork(sessions) as uow:
        found = await uow.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.priority, OutboxMessage.status)
            .where(OutboxMessage.purpose == purpose)
            .order_by(OutboxMessage.recipient)
        )
        return [tuple(row) for row in found]  # type: ignore[misc]


async def admin(sessions: SessionFactory) -> object:
    async with UnitOfWork(sessions) as uow:
        return await uow.employees.person_by_nip(ADMIN)


async def test_admin_composes_previews_and_sends_to_everyone(dispatcher: Dispatcher) -> None:
    rina = Chat(dispatcher, "rina")
    await rina.send("/siaran")
    assert "Tulis pesan siaran" in rina.text
    await rina.send("Apel pagi <b>wajib</b> besok pukul 07.30.")
    await rina.press("Semua pegawai")
    assert "6 orang" in rina.text and "&lt;b&gt;wajib" in rina.text
    await rina.press("Kirim sekarang")
    assert "Siaran #1" in rina.text
    sent = await rows(dispatcher.sessions, "broadcast")
    assert [r[0] for r in sent] == ["ahmad", "andi", "budi", "nurul", "rina", "siti"]
    assert {r[1] for r in sent} == {2}  # the bulk lane
    assert await rows(dispatcher.sessions, "broadcast_progress") == [("rina", 0, "pending")]
    # Rendered at send time, the admin's text escaped.
    async with UnitOfWork(dispatcher.sessions) as uow:
        out = await dispatcher.render_push(
            uow, "web", "siti", "broadcast", {"broadcast_id": 1}, WEB
        )
    assert isinstance(out[0].reply, Text)
    assert "Pengumuman" in out[0].reply.text and "&lt;b&gt;wajib" in out[0].reply.text


async def test_audiences(dispatcher: Dispatcher) -> None:
    sessions = dispatcher.sessions
    async with UnitOfWork(sessions) as uow:
        siti = await uow.employees.person_by_nip(STAFF)
        assert siti is not None
        await uow.session.execute(
            insert(Activity).values(
                employee_id=siti.id,
                work_date=date(2026, 11, 25),
                minutes=60,
                description="Rapat",
                status="diajukan",
            )
        )
        await uow.commit()

    async def names(audience: Audience) -> list[str]:
        async with UnitOfWork(sessions) as uow:
            found = await reminders.audience_of(uow, None, audience, NOW)
        return sorted(to.external_id for to in found)

    async with UnitOfWork(sessions) as uow:
        kominfo = await uow.reminders.unit_id_by_code("diskominfo")
        bkpsdm = await uow.reminders.unit_id_by_code("BKPSDM")
        await uow.session.execute(update(Unit).where(Unit.id == kominfo).values(parent_id=bkpsdm))
        await uow.commit()
    assert await names(Audience(AudienceKind.ATASAN)) == ["ahmad", "andi"]
    assert await names(Audience(AudienceKind.PENDING)) == ["ahmad"]
    assert "siti" not in await names(Audience(AudienceKind.NO_ACTIVITY))
    assert await names(Audience(AudienceKind.UNIT, kominfo)) == ["ahmad", "budi", "siti"]
    assert await names(Audience(AudienceKind.UNIT, bkpsdm)) == ["rina"]
    assert await names(Audience(AudienceKind.UNIT_TREE, bkpsdm)) == [
        "ahmad",
        "budi",
        "rina",
        "siti",
    ]


async def test_unit_admins_reach_only_their_units(dispatcher: Dispatcher) -> None:
    sessions = dispatcher.sessions
    async with UnitOfWork(sessions) as uow:
        timur = await uow.reminders.unit_id_by_code("UPT-TIMUR")
        await uow.session.execute(
            update(Employee).where(Employee.nip == ADMIN).values(admin_unit_id=timur)
        )
        await uow.commit()
    rina = Chat(dispatcher, "rina")
    await rina.send("/siaran")
    await rina.send("Rapat koordinasi wilayah timur")
    await rina.press("Unit lain…")
    await rina.send("DISKOMINFO")
    assert "hanya dapat mengirim siaran ke unit sendiri" in rina.text
    await rina.send("UPT-TIMUR")
    assert "2 orang" in rina.text
    await rina.send("/siaran")
    await rina.send("Untuk semua")
    await rina.press("Semua pegawai")
    assert "2 orang" in rina.text  # "everyone" within their units


async def test_bad_input_gets_clear_answers(dispatcher: Dispatcher) -> None:
    rina = Chat(dispatcher, "rina")
    await rina.send("/siaran")
    await rina.send("x" * 4001)
    assert "terlalu panjang (4001 karakter; paling banyak 4000)" in rina.text
    await rina.send("Pengumuman singkat")
    await rina.press("Unit lain…")
    await rina.send("TIDAKADA")
    assert "tidak ditemukan" in rina.text
    await rina.send("UPT-TIMUR")
    await rina.press("Jadwalkan")
    await rina.send("besok pagi")
    assert "tidak terbaca" in rina.text
    await rina.send("24/11/2026 09.00")
    assert "sudah lewat" in rina.text
    await rina.send("26/11 08.00")
    assert "dijadwalkan" in rina.text and "08.00 WIB" in rina.text
    # Nobody linked in a unit: an empty audience is refused.
    async with UnitOfWork(dispatcher.sessions) as uow:
        await uow.units.create("KOSONG", "Unit Kosong", "Asia/Jakarta")
        unit = await uow.reminders.unit_id_by_code("KOSONG")
        person = await uow.employees.person_by_nip(ADMIN)
        with pytest.raises(ReminderError) as refused:
            await broadcasts.create(uow, person, "Halo", Audience(AudienceKind.UNIT, unit), NOW)
    assert refused.value.code == "broadcast.empty_audience"


async def test_a_scheduled_broadcast_can_be_cancelled(dispatcher: Dispatcher) -> None:
    rina = Chat(dispatcher, "rina")
    await rina.send("/siaran")
    await rina.send("Besok libur")
    await rina.press("Atasan saja")
    await rina.press("Jadwalkan")
    await rina.send("26/11 08.00")
    await rina.press("Batal siaran #1")
    assert "dibatalkan; 2 pesan" in rina.text
    statuses = {r[2] for r in await rows(dispatcher.sessions, "broadcast")}
    assert statuses == {"dropped"}
    await rina.send("/siaran")
    assert "Siaran yang belum selesai" not in rina.text


@dataclass
class Editing:
    """A channel that records sends and edits (the `Editor` port)."""

    caps: Capabilities = WEB
    sent: list[tuple[str, str]] = field(default_factory=list)
    edits: list[tuple[str, str, str]] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)

    async def send(self, recipient: str, outgoing: Sequence[Outgoing]) -> str | None:
        from bot.chat.delivery import RecipientUnreachable

        if recipient in self.blocked:
            raise RecipientUnreachable("Forbidden: bot was blocked by the user")
        for out in outgoing:
            assert isinstance(out.reply, Text)
            self.sent.append((recipient, out.reply.text))
        return f"m{len(self.sent)}"

    async def edit(self, recipient: str, message_id: str, outgoing: Outgoing) -> None:
        assert isinstance(outgoing.reply, Text)
        self.edits.append((recipient, message_id, outgoing.reply.text))


async def test_progress_is_edited_in_place_and_a_report_follows(dispatcher: Dispatcher) -> None:
    sessions = dispatcher.sessions
    channel = Editing(blocked={"nurul"})
    # One send at a time: the order sent is then the order claimed (lanes first), which is
    # what this test checks; with several in flight a quicker render may overtake.
    drainer = OutboxDrainer(dispatcher, {"web": channel}, concurrency=1, clock=lambda: NOW)
    async with UnitOfWork(sessions) as uow:
        person = await uow.employees.person_by_nip(ADMIN)
        await broadcasts.create(
            uow, person, "Halo semua", Audience(AudienceKind.ALL), NOW, report_to=("web", "rina")
        )
        # A card queued after the broadcast still goes first (the interactive lane).
        await uow.outbox.enqueue(
            channel="web",
            recipient="siti",
            purpose="broadcast_report",
            payload={"broadcast_id": 1},
        )
        await uow.commit()
    while await drainer.run_once("web"):
        pass
    assert channel.sent[0][0] == "rina" and "Siaran #1" in channel.sent[0][1]  # progress first
    # Siti's interactive row, queued after the broadcast, reaches her before it.
    siti = [text for who, text in channel.sent if who == "siti"]
    assert "Laporan siaran" in siti[0] and "Pengumuman" in siti[1]
    async with UnitOfWork(sessions) as uow:
        assert await broadcasts.queue_progress(uow, NOW) == 2  # an edit, and the final report
        assert await broadcasts.queue_progress(uow, NOW) == 0  # nothing moved: nothing queued
        await uow.commit()
    while await drainer.run_once("web"):
        pass
    ((who, message_id, text),) = channel.edits
    assert (who, message_id) == ("rina", "m1")
    assert "selesai: terkirim 5, gagal 1, tersisa 0 dari 6" in text
    assert "Laporan siaran #1" in channel.sent[-1][1]
    # The account that blocked the bot is marked, and skipped from now on.
    async with UnitOfWork(sessions) as uow:
        marked = await uow.session.scalar(
            select(Identity.unreachable_at).where(Identity.external_id == "nurul")
        )
        assert marked is not None
        assert await broadcasts.preview(uow, None, Audience(AudienceKind.ALL), NOW) == 5
    await asyncio.sleep(0)
