"""The first conversation, end to end through the dispatcher, on every database backend."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.chat.callbacks import Payload
from bot.chat.capabilities import WHATSAPP
from bot.chat.context import ChatContext
from bot.chat.dispatcher import Dispatcher
from bot.chat.events import ButtonPress, Inbound, TextMessage
from bot.chat.i18n import Catalogs
from bot.chat.replies import Button, Text, keyboard
from bot.chat.router import Access, Router
from handlers import ROUTERS
from handlers.team import TEAM
from storage.repositories.conversations import SavedState
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, ATASAN_WITA, STAFF, Chat, link, seed


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed(sessions)
    return Dispatcher(ROUTERS, sessions, catalogs)


async def chat_as(dispatcher: Dispatcher, nip: str, user_id: str = "u1") -> Chat:
    await link(dispatcher.sessions, "web", user_id, nip)
    return Chat(dispatcher, user_id)


async def test_unregistered_user_is_told_to_contact_the_admin(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "stranger")
    await chat.send("/start")
    assert "belum terhubung" in chat.text
    assert chat.buttons() == []
    await chat.send("/profil")
    assert "belum terhubung" in chat.text


async def test_atasan_sees_the_atasan_menu_and_profile(dispatcher: Dispatcher) -> None:
    chat = await chat_as(dispatcher, ATASAN)
    await chat.send("/start")
    assert "Ahmad Fauzi" in chat.text
    assert "atasan" in chat.text
    assert chat.labels() == [
        "Catat kegiatan",
        "Kegiatan hari ini",
        "Persetujuan",
        "Capaian",
        "Profil saya",
        "Tim saya",
        "Penilaian",
        "Delegasi (Plt/Plh)",
        "Bahasa / Language",
        "Bantuan",
    ]

    await chat.press("Profil saya")
    assert "NIP: <code>197503152000031002</code>" in chat.text
    assert "Dinas Komunikasi dan Informatika (WIB)" in chat.text
    assert "Pegawai yang Anda bina: 3 orang" in chat.text

    await chat.press("Menu utama")
    await chat.press("Tim saya")
    assert "Tim Anda</b> (3 orang)" in chat.text
    assert "Siti Nurhaliza" in chat.text


async def test_staff_menu_and_profile_show_their_atasan(dispatcher: Dispatcher) -> None:
    chat = await chat_as(dispatcher, STAFF)
    await chat.send("/menu")
    assert chat.labels() == [
        "Catat kegiatan",
        "Kegiatan hari ini",
        "Capaian",
        "Profil saya",
        "Bahasa / Language",
        "Bantuan",
    ]
    await chat.send("/profil")
    assert "Atasan: Drs. Ahmad Fauzi, M.Si. (NIP 197503152000031002)" in chat.text


async def test_admin_menu_has_roster_summary(dispatcher: Dispatcher) -> None:
    chat = await chat_as(dispatcher, ADMIN)
    await chat.send("/start")
    assert "Data pegawai" in chat.labels()
    await chat.press("Data pegawai")
    assert "Pegawai aktif: 7" in chat.text
    assert "Unit kerja: 3" in chat.text


async def test_second_unit_shows_its_own_time_zone(dispatcher: Dispatcher) -> None:
    chat = await chat_as(dispatcher, ATASAN_WITA)
    await chat.send("/profil")
    assert "(WITA)" in chat.text


async def test_language_switch_is_remembered_and_switches_back(dispatcher: Dispatcher) -> None:
    chat = await chat_as(dispatcher, STAFF)
    await chat.send("/bahasa")
    await chat.press("English")
    assert "The language is now English." in chat.text
    assert "My profile" in chat.labels()

    await chat.send("/profile")
    assert "Your profile" in chat.text
    # A fresh dispatcher (a restart) still answers in English: the choice is stored.
    restarted = Chat(Dispatcher(ROUTERS, dispatcher.sessions, dispatcher.catalogs), "u1")
    await restarted.send("/menu")
    assert "Please choose" in restarted.text

    await restarted.press("Language / Bahasa")
    await restarted.press("Bahasa Indonesia")
    assert "Bahasa telah diganti" in restarted.text
    assert "Profil saya" in restarted.labels()


async def test_help_lists_commands_for_the_role(dispatcher: Dispatcher) -> None:
    staff = await chat_as(dispatcher, STAFF, "s")
    await staff.send("/bantuan")
    assert "/profil" in staff.text and "/tim" not in staff.text
    admin = await chat_as(dispatcher, ADMIN, "a")
    await admin.send("/help")
    assert "/tim" in admin.text and "/pegawai" in admin.text


async def test_unknown_input_gets_a_helpful_answer_with_the_menu(dispatcher: Dispatcher) -> None:
    chat = await chat_as(dispatcher, STAFF)
    await chat.send("halo, bot?")
    assert "belum memahami" in chat.text
    assert "Profil saya" in chat.labels()
    await chat.send("/perintahtidakada")
    assert "belum memahami" in chat.text


async def test_cancel_leaves_a_flow_from_anywhere(dispatcher: Dispatcher) -> None:
    chat = await chat_as(dispatcher, STAFF)
    async with UnitOfWork(dispatcher.sessions) as uow:
        await uow.conversations.save("web", "u1", SavedState(flow="activity", step="time"))
        await uow.commit()
    await chat.send("/batal")
    assert "dibatalkan" in chat.text
    async with UnitOfWork(dispatcher.sessions) as uow:
        assert (await uow.conversations.load("web", "u1")).flow is None
    await chat.send("/batal")
    assert "Tidak ada proses" in chat.text


async def test_redelivered_update_is_processed_once(dispatcher: Dispatcher) -> None:
    chat = await chat_as(dispatcher, STAFF)
    first = await chat.send("/profil", update_id="same")
    again = await chat.send("/profil", update_id="same")
    assert first and again == []


async def test_staff_cannot_press_an_atasan_button(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    chat = await chat_as(dispatcher, STAFF)
    with caplog.at_level(logging.WARNING):
        await chat.press_payload(TEAM.pack())
    assert "tidak tersedia untuk peran Anda" in chat.text
    assert "Siti" not in chat.text
    assert any("refused" in record.message for record in caplog.records)


async def test_forged_or_oversized_payload_is_answered_politely(dispatcher: Dispatcher) -> None:
    chat = await chat_as(dispatcher, STAFF)
    await chat.press_payload("lang:xx")
    assert "pilih bahasa" in chat.text
    await chat.press_payload("zz:" + "9" * 61)
    assert "belum memahami" in chat.text


async def test_deactivated_employee_can_no_longer_use_the_bot(dispatcher: Dispatcher) -> None:
    chat = await chat_as(dispatcher, STAFF)
    async with UnitOfWork(dispatcher.sessions) as uow:
        person = await uow.employees.person_by_nip(STAFF)
        assert person is not None
        await uow.employees.set_active([person.id], False)
        await uow.commit()
    await chat.send("/start")
    assert "tidak aktif" in chat.text
    await chat.send("/profil")
    assert "tidak aktif" in chat.text
    assert "NIP" not in chat.text


async def test_whatsapp_numbered_choices_are_answered_by_number(dispatcher: Dispatcher) -> None:
    """Four menu buttons exceed WhatsApp's three reply buttons: a list; typing works too."""
    await link(dispatcher.sessions, "whatsapp", "62812", ATASAN)
    chat = Chat(dispatcher, "62812", channel="whatsapp", caps=WHATSAPP)
    await chat.send("/menu")
    assert chat.last[-1].layout == "list"
    await chat.press("Tim saya")
    assert "Tim Anda" in chat.text


async def test_user_language_hint_is_used_until_they_choose(dispatcher: Dispatcher) -> None:
    await link(dispatcher.sessions, "web", "en-user", STAFF)
    chat = Chat(dispatcher, "en-user", language_hint="en-US")
    await chat.send("/start")
    assert "Please choose" in chat.text


async def test_one_users_updates_are_serialised(dispatcher: Dispatcher) -> None:
    """Ten concurrent read-modify-write updates of one user's state all count, none is lost."""
    counter = Router("counter")

    @counter.command("tambah", access=Access.PUBLIC)
    async def increment(ctx: ChatContext, _event: Inbound) -> Text:
        value = int(ctx.state.data.get("n", 0)) + 1
        await asyncio.sleep(0)  # let the others run: only the lock keeps this safe
        ctx.state.enter("count", n=value)
        return Text(text=str(value))

    counting = Dispatcher((counter,), dispatcher.sessions, dispatcher.catalogs)
    chat = Chat(counting, "u1")
    results = await asyncio.gather(*(chat.send("/tambah") for _ in range(10)))
    assert sorted(int(out[0].reply.text) for out in results) == list(range(1, 11))  # type: ignore[union-attr]
    async with UnitOfWork(dispatcher.sessions) as uow:
        state = await uow.conversations.load("web", "u1")
    assert state.data["n"] == 10
    assert state.version == 10


async def test_a_failing_handler_answers_politely_and_saves_nothing(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Router("broken")
    calls = 0

    @broken.command("rusak", access=Access.PUBLIC)
    async def explode(ctx: ChatContext, _event: Inbound) -> Text:
        nonlocal calls
        calls += 1
        ctx.state.enter("half-done")
        if calls == 1:
            raise RuntimeError("database hiccup")
        return Text(text="ok")

    failing = Dispatcher((broken,), dispatcher.sessions, dispatcher.catalogs)
    chat = Chat(failing, "u1")
    with caplog.at_level(logging.ERROR):
        await chat.send("/rusak", update_id="retry-me")
    assert "terjadi kendala" in chat.text
    assert "Traceback" not in chat.text and "hiccup" not in chat.text
    assert any("handler failed" in record.message for record in caplog.records)
    async with UnitOfWork(dispatcher.sessions) as uow:
        assert (await uow.conversations.load("web", "u1")).flow is None
    # The dedupe claim was rolled back too, so the platform's redelivery is processed.
    await chat.send("/rusak", update_id="retry-me")
    assert chat.text == "ok"


async def test_the_transaction_gate_bounds_concurrent_transactions(
    dispatcher: Dispatcher,
) -> None:
    gated = Router("gated")
    inside = peak = 0

    @gated.command("tunggu", access=Access.PUBLIC)
    async def slow(ctx: ChatContext, _event: Inbound) -> Text:
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        return Text(text="ok")

    narrow = Dispatcher((gated,), dispatcher.sessions, dispatcher.catalogs, max_transactions=2)
    chats = [Chat(narrow, f"user{n}") for n in range(8)]
    await asyncio.gather(*(chat.send("/tunggu") for chat in chats))
    # PostgreSQL reaches the gate's width; SQLite's single writer lock keeps it at one anyway.
    assert 1 <= peak <= 2
    assert all(chat.text == "ok" for chat in chats)


async def test_numbered_choices_are_answered_by_typing_the_number(
    dispatcher: Dispatcher,
) -> None:
    """Twelve options exceed a WhatsApp list: numbered text, and "3" presses the third."""
    picker = Router("picker")
    options = Payload("opt", "n")

    @picker.command("pilih", access=Access.PUBLIC)
    async def offer(ctx: ChatContext, _event: Inbound) -> Text:
        buttons = (Button(f"Pilihan {n}", options.pack(n=n)) for n in range(1, 13))
        return Text(text="Pilih satu:", buttons=keyboard(buttons))

    @picker.button(options, access=Access.PUBLIC)
    async def chosen(ctx: ChatContext, event: ButtonPress) -> Text:
        return Text(text=f"dipilih {options.unpack(event.payload)['n']}")

    @picker.text(access=Access.PUBLIC)
    async def echo(ctx: ChatContext, event: TextMessage) -> Text:
        return Text(text=f"teks {event.text}")

    chat = Chat(
        Dispatcher((picker,), dispatcher.sessions, dispatcher.catalogs), "6281", "whatsapp"
    )
    chat.caps = WHATSAPP
    await chat.send("/pilih")
    assert chat.last[-1].layout == "numbered"
    assert "12. Pilihan 12" in chat.text and "Balas dengan nomor" in chat.text
    await chat.send("3")
    assert chat.text == "dipilih 3"
    # The choices are spent: a later number is ordinary text again, as is one out of range.
    await chat.send("3")
    assert chat.text == "teks 3"
    await chat.send("/pilih")
    await chat.send("13")
    assert chat.text == "teks 13"
