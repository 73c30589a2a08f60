"""Registration by shared phone number and by invite code, through the dispatcher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.capabilities import TELEGRAM
from bot.chat.dispatcher import Dispatcher
from bot.chat.events import ContactShared
from bot.chat.i18n import Catalogs
from bot.chat.replies import Text
from handlers import ROUTERS
from kinerja.services.registration import create_invite, unlink_employee
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ATASAN, STAFF, Chat, seed

STAFF_PHONE = "081200000003"  # Siti, in the demo roster


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed(sessions)
    return Dispatcher(ROUTERS, sessions, catalogs)


def telegram_chat(dispatcher: Dispatcher, user_id: str = "777") -> Chat:
    return Chat(dispatcher, user_id, channel="telegram", caps=TELEGRAM)


async def share(chat: Chat, phone: str, *, own: bool = True) -> None:
    await chat.deliver(
        ContactShared(
            channel=chat.channel,
            user_id=chat.user_id,
            update_id=f"contact-{chat.user_id}-{phone}-{own}",
            phone=phone,
            is_own=own,
        )
    )


async def linked_nip(sessions: SessionFactory, channel: str, user_id: str) -> str | None:
    async with UnitOfWork(sessions) as uow:
        identity = await uow.identities.find(channel, user_id)
        if identity is None or identity.employee_id is None:
            return None
        person = await uow.employees.person(identity.employee_id)
        return person.nip if person else None


async def invite(sessions: SessionFactory, nip: str, *, days: int = 7) -> str:
    async with UnitOfWork(sessions) as uow:
        code = await create_invite(uow, nip, now=datetime.now(UTC), days=days)
        await uow.commit()
    return code


async def test_start_asks_for_the_users_own_number(dispatcher: Dispatcher) -> None:
    chat = telegram_chat(dispatcher)
    await chat.send("/start")
    reply = chat.last[0].reply
    assert isinstance(reply, Text)
    assert reply.request_contact == "Bagikan nomor"
    assert "Bagikan nomor" in reply.text


async def test_own_contact_matching_the_roster_links_and_greets(dispatcher: Dispatcher) -> None:
    chat = telegram_chat(dispatcher)
    await share(chat, "+62 812-0000-0003")
    assert "berhasil dihubungkan" in chat.text
    assert "Siti Nurhaliza" in chat.text
    assert "Profil saya" in chat.labels()
    assert await linked_nip(dispatcher.sessions, "telegram", "777") == STAFF
    await chat.send("/profil")
    assert STAFF in chat.text


async def test_forwarded_contact_links_nothing(dispatcher: Dispatcher) -> None:
    chat = telegram_chat(dispatcher)
    await share(chat, STAFF_PHONE, own=False)
    assert "bukan nomor akun Anda sendiri" in chat.text
    assert await linked_nip(dispatcher.sessions, "telegram", "777") is None


@pytest.mark.parametrize(
    ("phone", "message"),
    [("081299999999", "tidak ditemukan"), ("021555123", "bukan nomor seluler")],
)
async def test_unknown_or_bad_number_links_nothing(
    dispatcher: Dispatcher, phone: str, message: str
) -> None:
    chat = telegram_chat(dispatcher)
    await share(chat, phone)
    assert message in chat.text
    assert await linked_nip(dispatcher.sessions, "telegram", "777") is None


async def test_deactivated_employee_cannot_register(dispatcher: Dispatcher) -> None:
    async with UnitOfWork(dispatcher.sessions) as uow:
        person = await uow.employees.person_by_nip(STAFF)
        assert person is not None
        await uow.employees.set_active([person.id], False)
        await uow.commit()
    chat = telegram_chat(dispatcher)
    await share(chat, STAFF_PHONE)
    assert "tidak ditemukan" in chat.text


async def test_invite_links_once_and_only_once(dispatcher: Dispatcher) -> None:
    code = await invite(dispatcher.sessions, ATASAN)
    assert len(code) <= 64
    chat = telegram_chat(dispatcher, "1001")
    await chat.send(f"/start {code}")
    assert "berhasil dihubungkan" in chat.text and "Ahmad Fauzi" in chat.text
    assert await linked_nip(dispatcher.sessions, "telegram", "1001") == ATASAN

    other = telegram_chat(dispatcher, "1002")
    await other.send(f"/start {code}")
    assert "sudah pernah dipakai" in other.text
    assert await linked_nip(dispatcher.sessions, "telegram", "1002") is None


async def test_expired_and_forged_invites_are_refused(dispatcher: Dispatcher) -> None:
    async with UnitOfWork(dispatcher.sessions) as uow:
        old = await create_invite(uow, STAFF, now=datetime.now(UTC) - timedelta(days=10), days=7)
        await uow.commit()
    chat = telegram_chat(dispatcher)
    await chat.send(f"/start {old}")
    assert "kedaluwarsa" in chat.text
    await chat.send("/start inv_" + "A" * 40)
    assert "tidak valid" in chat.text
    await chat.send("/start svc_loket1")
    assert "Bagikan nomor" in chat.text
    assert await linked_nip(dispatcher.sessions, "telegram", "777") is None


async def test_invites_work_in_the_web_chat_too(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "browser-session")
    await chat.send("/start")
    assert "tautan undangan" in chat.text
    await chat.send(f"/start {await invite(dispatcher.sessions, STAFF)}")
    assert "Siti Nurhaliza" in chat.text


async def test_admin_unlinks_a_lost_phone(dispatcher: Dispatcher) -> None:
    chat = telegram_chat(dispatcher)
    await share(chat, STAFF_PHONE)
    async with UnitOfWork(dispatcher.sessions) as uow:
        assert await unlink_employee(uow, STAFF) == 1
        await uow.commit()
    await chat.send("/profil")
    assert "belum terhubung" in chat.text


async def test_registered_user_sharing_again_is_told_politely(dispatcher: Dispatcher) -> None:
    chat = telegram_chat(dispatcher)
    await share(chat, STAFF_PHONE)
    await share(chat, "081200000004")
    assert "sudah terhubung sebagai Siti" in chat.text
    assert await linked_nip(dispatcher.sessions, "telegram", "777") == STAFF
