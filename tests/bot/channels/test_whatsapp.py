"""The WhatsApp channel end to end: signed webhooks in the reference samples' shape, replies and
pushes checked by a fake Graph API against the limits of the Cloud API's OpenAPI spec."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import select, update

from bot.app import build_app
from bot.config import Settings, SettingsError, load_settings
from storage.models import Activity, ChannelContact, Employee, Identity, OutboxMessage
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ATASAN, STAFF, seed
from tests.support.fake_whatsapp import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    FakeGraphApi,
    Limits,
    Sent,
    choose,
    image_message,
    samples,
    signed,
    start_fake,
    text_message,
)
from tests.support.waiting import eventually

Client = TestClient[Any, Any]
STAFF_PHONE, ATASAN_PHONE = "6281200000003", "6281200000002"
STAFF_BSUID, ATASAN_BSUID = "ID.1111111111111111111", "ID.2222222222222222222"
STRANGER = "972987654321"  # the reference samples' sender: not on the roster


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeGraphApi:
    return await start_fake(aiohttp_server)


def wa_settings(db_url: str, fake: FakeGraphApi) -> Settings:
    return Settings(
        database_url=db_url,
        whatsapp_token=TOKEN,
        whatsapp_api_url=fake.url,
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token=VERIFY_TOKEN,
    )


@pytest.fixture
async def client(
    db_url: str, sessions: SessionFactory, fake: FakeGraphApi, aiohttp_client: AiohttpClient
) -> Client:
    await seed(sessions)
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            update(Employee).where(Employee.nip == ATASAN).values(approval_mode="instant")
        )
        await uow.commit()
    return await aiohttp_client(build_app(wa_settings(db_url, fake)))


async def post(client: Client, payload: dict[str, Any] | bytes, **headers: str) -> int:
    raw, signature = signed(payload)
    response = await client.post(
        "/webhooks/whatsapp", data=io.BytesIO(raw), headers=headers or signature
    )
    return response.status


async def tap(client: Client, message: Sent, label: str, wa_id: str, bsuid: str | None) -> None:
    """Tap a reply button or list row, or answer numbered choices by number."""
    if message.type == "interactive":
        assert await post(client, choose(message, label, wa_id, bsuid)) == 200
        return
    number = re.search(rf"^(\d+)\. {re.escape(label)}$", message.text, re.MULTILINE)
    assert number, f"{label!r} not offered in {message.text!r}"
    assert await post(client, text_message(wa_id, number.group(1), bsuid)) == 200


# --- the fake itself reads the spec -----------------------------------------------------------


def test_limits_come_from_the_openapi_spec() -> None:
    limits = Limits.from_spec()
    assert (limits.body, limits.header, limits.footer) == (1024, 60, 60)
    assert (limits.buttons, limits.button_title, limits.button_id) == (3, 20, 256)
    assert (limits.list_button, limits.sections, limits.rows) == (20, 10, 10)
    assert (limits.row_title, limits.row_description, limits.row_id) == (24, 72, 200)


# --- webhook: handshake, signature, bad input -------------------------------------------------


async def test_verification_handshake(client: Client) -> None:
    ok = await client.get(
        "/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"},
    )
    assert ok.status == 200 and await ok.text() == "42"
    wrong = await client.get(
        "/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"},
    )
    assert wrong.status == 403
    assert (await client.get("/webhooks/whatsapp")).status == 403


async def test_signature_and_bad_bodies(client: Client, fake: FakeGraphApi) -> None:
    payload = text_message(STAFF_PHONE, "halo", STAFF_BSUID)
    raw, good = signed(payload)
    unsigned = await client.post("/webhooks/whatsapp", data=raw)
    assert unsigned.status == 401
    _, forged = signed(payload, secret="someone-else")
    assert (await client.post("/webhooks/whatsapp", data=raw, headers=forged)).status == 403
    bad_prefix = {"X-Hub-Signature-256": good["X-Hub-Signature-256"].replace("sha256", "sha1")}
    assert (await client.post("/webhooks/whatsapp", data=raw, headers=bad_prefix)).status == 403
    tampered = raw.replace(b"halo", b"hali")
    assert (await client.post("/webhooks/whatsapp", data=tampered, headers=good)).status == 403
    assert await post(client, b"{not json") == 400
    assert await post(client, b"[1, 2]") == 400
    assert await post(client, {"object": "whatsapp_business_account", "entry": 7}) == 400
    assert await post(client, b"x" * (1024 * 1024 + 1)) == 413
    assert await post(client, {"object": "page", "entry": []}) == 200
    assert fake.sent == []  # nothing was processed


async def test_every_reference_sample_is_accepted(
    client: Client, fake: FakeGraphApi, sessions: SessionFactory
) -> None:
    """Each sample, signed, with its ids made unique (many samples share one): 200, and every
    message we can answer gets one validated answer; statuses, reactions and system notices
    get none. The sender is not on the roster, so the answer says so."""
    answered: list[str] = []
    for index, (name, payload) in enumerate(samples().items()):
        value = payload["entry"][0]["changes"][0]["value"]
        for message in value.get("messages", []):
            message["id"] = f"{message['id']}-{index}"
        for status in value.get("statuses", []):
            status["id"] = f"{status['id']}-{index}"
        before = len(fake.sent)
        assert await post(client, payload) == 200, name
        if len(fake.sent) > before:
            answered.append(name)
            assert fake.sent[-1].to == STRANGER
            if not name.startswith("callback_"):  # a press of an unknown button: "not understood"
                assert "+972987654321" in fake.sent[-1].text, name
    assert not any(name.startswith("message_status/") for name in answered)
    assert not any(
        name.startswith(("system/", "message/reaction", "message/unreaction")) for name in answered
    )
    for name in (
        "message/text",
        "message/image",
        "message/document",
        "message/contacts",
        "message/current_location",
        "message/static_sticker",
        "message/unsupported",
        "message/interactive_message_with_err",
        "callback_button/quick_reply_without_context",
    ):
        assert name in answered
    fake.assert_clean()
    async with UnitOfWork(sessions) as uow:
        identities = set(await uow.session.scalars(select(Identity.external_id)))
        keys = set(await uow.session.scalars(select(ChannelContact.external_id)))
    # Keyed by the business-scoped user id where the payload has one, else by wa_id (the
    # identity_change notice has none); the phone number is kept as the address either way.
    assert identities == {"US.13491208655302741918"}
    assert keys == {"US.13491208655302741918", "972987654321"}
    assert "<USER_PHONE_NUMBER>" not in keys  # group statuses are not ours


async def test_a_redelivered_message_and_status_are_processed_once(
    client: Client, fake: FakeGraphApi
) -> None:
    payload = text_message(STRANGER, "halo", "US.13491208655302741918")
    assert await post(client, payload) == 200
    assert await post(client, payload) == 200
    assert len(fake.sent) == 1
    status = samples()["message_status/delivered"]
    assert await post(client, status) == 200
    assert await post(client, status) == 200


# --- registration -----------------------------------------------------------------------------


async def test_registration_by_the_verified_number(
    client: Client, fake: FakeGraphApi, sessions: SessionFactory
) -> None:
    assert await post(client, text_message(STAFF_PHONE, "Selamat pagi", STAFF_BSUID)) == 200
    reply = fake.last_to(STAFF_PHONE)
    assert "dihubungkan" in reply.text and reply.type == "interactive"
    async with UnitOfWork(sessions) as uow:
        identity = (
            await uow.session.execute(
                select(Identity.external_id, Identity.employee_id).where(
                    Identity.channel == "whatsapp"
                )
            )
        ).one()
        contact = (await uow.session.execute(select(ChannelContact.address))).scalar_one()
    assert identity.external_id == STAFF_BSUID and identity.employee_id is not None
    assert contact == STAFF_PHONE
    fake.assert_clean()


async def test_an_unknown_number_is_told_and_an_invite_code_links_it(
    client: Client, fake: FakeGraphApi, sessions: SessionFactory
) -> None:
    from kinerja.services.registration import create_invite

    assert await post(client, text_message("6289999999999", "halo")) == 200
    assert "+6289999999999" in fake.last_to("6289999999999").text
    async with UnitOfWork(sessions) as uow:
        code = await create_invite(uow, STAFF, now=datetime.now(UTC))
        await uow.commit()
    assert await post(client, text_message("6289999999999", code)) == 200
    assert "dihubungkan" in fake.last_to("6289999999999").text
    fake.assert_clean()


# --- the scripted flows: log and approve ------------------------------------------------------


async def _register_both(client: Client) -> None:
    assert await post(client, text_message(STAFF_PHONE, "halo", STAFF_BSUID)) == 200
    assert await post(client, text_message(ATASAN_PHONE, "halo", ATASAN_BSUID)) == 200


async def test_log_and_approve_over_whatsapp(
    client: Client, fake: FakeGraphApi, sessions: SessionFactory
) -> None:
    await _register_both(client)
    text = "kemarin 08.00-09.30 Menyusun laporan bulanan"
    assert await post(client, text_message(STAFF_PHONE, text, STAFF_BSUID)) == 200
    summary = fake.latest_with(STAFF_PHONE, "Ringkasan")
    assert summary is not None and "<b>" not in summary.text
    await tap(client, summary, "Simpan", STAFF_PHONE, STAFF_BSUID)
    assert fake.latest_with(STAFF_PHONE, "diajukan") is not None

    card = await eventually(lambda: fake.latest_with(ATASAN_PHONE, "Persetujuan kegiatan"))
    assert card.type == "interactive" and "Menyusun laporan bulanan" in card.text
    await tap(client, card, "Setujui", ATASAN_PHONE, ATASAN_BSUID)
    assert fake.latest_with(ATASAN_PHONE, "Disetujui") is not None
    notice = await eventually(lambda: fake.latest_with(STAFF_PHONE, "telah disetujui"))
    assert "Menyusun laporan bulanan" in notice.text
    async with UnitOfWork(sessions) as uow:
        statuses = list(await uow.session.scalars(select(Activity.status)))
    assert statuses == ["disetujui"]

    # The card's receipts are recorded on its outbox row, once, the furthest kept.
    for status in ("delivered", "read", "delivered"):
        receipt = _status(card.id, status, ATASAN_PHONE)
        assert await post(client, receipt) == 200
    async with UnitOfWork(sessions) as uow:
        row = (
            await uow.session.execute(
                select(OutboxMessage.receipt, OutboxMessage.purpose).where(
                    OutboxMessage.provider_message_id == card.id
                )
            )
        ).one()
    assert row.receipt == "read" and row.purpose == "approval_card"
    fake.assert_clean()


async def test_photo_evidence_is_taken_by_media_id(
    client: Client, fake: FakeGraphApi, sessions: SessionFactory
) -> None:
    await _register_both(client)
    media_id = fake.add_media(b"\xff\xd8fake-jpeg")
    for text in ("/catat", "Memasang jaringan di ruang rapat", "kemarin 08.00-09.00"):
        assert await post(client, text_message(STAFF_PHONE, text, STAFF_BSUID)) == 200
    assert fake.latest_with(STAFF_PHONE, "bukti dukung") is not None
    assert await post(client, image_message(STAFF_PHONE, media_id, STAFF_BSUID)) == 200
    summary = fake.latest_with(STAFF_PHONE, "Ringkasan")
    assert summary is not None
    await tap(client, summary, "Simpan", STAFF_PHONE, STAFF_BSUID)
    card = await eventually(lambda: fake.latest_with(ATASAN_PHONE, "Persetujuan kegiatan"))
    await tap(client, card, "Lihat bukti", ATASAN_PHONE, ATASAN_BSUID)
    # Downloaded through the media API and uploaded again for the atasan.
    photo = fake.last_to(ATASAN_PHONE)
    assert (
        photo.type == "image"
        and fake.uploads[photo.body["image"]["id"]][0] == b"\xff\xd8fake-jpeg"
    )
    fake.assert_clean()


# --- the 24-hour window -----------------------------------------------------------------------


async def _age_window(sessions: SessionFactory, external_id: str, hours: float) -> None:
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            update(ChannelContact)
            .where(ChannelContact.external_id == external_id)
            .values(last_inbound_at=datetime.now(UTC) - timedelta(hours=hours))
        )
        await uow.commit()


async def _log_and_save(client: Client, fake: FakeGraphApi) -> None:
    text = "kemarin 08.00-09.30 Menyusun laporan bulanan"
    assert await post(client, text_message(STAFF_PHONE, text, STAFF_BSUID)) == 200
    summary = fake.latest_with(STAFF_PHONE, "Ringkasan")
    assert summary is not None
    await tap(client, summary, "Simpan", STAFF_PHONE, STAFF_BSUID)


async def test_outside_the_window_an_approval_prompt_goes_as_its_template(
    client: Client, fake: FakeGraphApi, sessions: SessionFactory
) -> None:
    await _register_both(client)
    await _age_window(sessions, ATASAN_BSUID, 25)
    await _log_and_save(client, fake)
    card = await eventually(
        lambda: next((m for m in fake.to(ATASAN_PHONE) if m.type == "template"), None)
    )
    template = card.body["template"]
    assert template["name"] == "kinerja_persetujuan"
    assert template["language"] == {"policy": "deterministic", "code": "id"}
    assert "Menyusun laporan bulanan" in card.text and "\n" not in card.text
    fake.assert_clean()


async def test_re_engagement_error_falls_back_to_the_template(
    client: Client, fake: FakeGraphApi, sessions: SessionFactory
) -> None:
    """Our record says the window is open, WhatsApp says 131047: the template goes instead."""
    await _register_both(client)
    await _age_window(sessions, ATASAN_BSUID, 23)
    fake.close_window(ATASAN_PHONE)
    await _log_and_save(client, fake)
    card = await eventually(
        lambda: next((m for m in fake.to(ATASAN_PHONE) if m.type == "template"), None)
    )
    assert card.body["template"]["name"] == "kinerja_persetujuan"
    async with UnitOfWork(sessions) as uow:
        last = await uow.session.scalar(
            select(ChannelContact.last_inbound_at).where(
                ChannelContact.external_id == ATASAN_BSUID
            )
        )
    assert last is None  # closed until the atasan writes again
    fake.assert_clean()


async def test_a_failed_status_131047_queues_the_push_again_as_a_template(
    client: Client, fake: FakeGraphApi, sessions: SessionFactory
) -> None:
    await _register_both(client)
    await _log_and_save(client, fake)
    card = await eventually(lambda: fake.latest_with(ATASAN_PHONE, "Persetujuan kegiatan"))
    assert card.type == "interactive"
    # Wait until the drainer has recorded the card's message id (it commits after the send).
    await eventually(lambda: _recorded(sessions, card.id))
    failed = _status(card.id, "failed", ATASAN_PHONE, error=131047)
    assert await post(client, failed) == 200
    assert await post(client, failed) == 200  # redelivered: not queued twice
    template = await eventually(
        lambda: next((m for m in fake.to(ATASAN_PHONE) if m.type == "template"), None)
    )
    assert template.body["template"]["name"] == "kinerja_persetujuan"
    assert len([m for m in fake.to(ATASAN_PHONE) if m.type == "template"]) == 1
    fake.assert_clean()


async def _recorded(sessions: SessionFactory, message_id: str) -> bool:
    async with UnitOfWork(sessions) as uow:
        found = await uow.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.provider_message_id == message_id)
        )
    return found is not None


def _status(
    message_id: str, status: str, recipient: str, error: int | None = None
) -> dict[str, Any]:
    payload = samples()["message_status/failed" if error else "message_status/sent"]
    entry = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    entry.update(
        {
            "id": message_id,
            "status": status,
            "recipient_id": recipient,
            "timestamp": str(int(datetime.now(UTC).timestamp())),
        }
    )
    if error:
        entry["errors"][0]["code"] = error
    return payload


# --- settings ---------------------------------------------------------------------------------


def test_whatsapp_settings_are_checked() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(whatsapp_token="x")
    assert error.value.variable == "WHATSAPP_PHONE_NUMBER_ID"
    with pytest.raises(SettingsError) as error:
        load_settings(whatsapp_rate=0)
    assert error.value.variable == "WHATSAPP_RATE"
    with pytest.raises(SettingsError) as error:
        load_settings(whatsapp_template_approval="Bad Name")
    assert error.value.variable == "WHATSAPP_TEMPLATE_APPROVAL"
    settings = load_settings()
    assert settings.whatsapp_api_url == "https://graph.facebook.com/v23.0"
    assert settings.whatsapp_rate == 80
