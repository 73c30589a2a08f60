"""The web chat as a browser uses it: the page, the JSON API and real conversations over HTTP.

Every test runs on each database backend; the app is the one `kinerja run`/`kinerja demo` serves.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from bot.app import build_app
from bot.channels.web import MAX_BODY, MAX_TEXT, PAGE_KEYS
from bot.chat.i18n import Catalogs
from bot.config import Settings
from storage.uow import SessionFactory
from tests.support.chat import ADMIN, ATASAN, ATASAN_WITA, STAFF, seed

Client = TestClient[web.Request, web.Application]
_ids = itertools.count(1)


@pytest.fixture
async def client(db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient) -> Client:
    """The demo web chat on a seeded roster."""
    await seed(sessions)
    settings = Settings(database_url=db_url, web_chat_enabled=True)
    return await aiohttp_client(build_app(settings, demo=True))


@pytest.fixture
async def plain_client(
    db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient
) -> Client:
    """The web chat outside demo mode: anonymous sessions only."""
    await seed(sessions)
    settings = Settings(database_url=db_url, web_chat_enabled=True)
    return await aiohttp_client(build_app(settings))


async def open_session(client: Client, nip: str | None = ATASAN) -> str:
    response = await client.post("/chat/api/session", json={"nip": nip} if nip else {})
    assert response.status == 200, await response.text()
    body = await response.json()
    token = body["session"]
    assert isinstance(token, str)
    return token


async def say(client: Client, session: str, **message: Any) -> list[dict[str, Any]]:
    """Send one message (`text=` or `button=`) and return the bot's replies."""
    message.setdefault("id", f"m{next(_ids)}")
    response = await client.post("/chat/api/messages", json={"session": session, **message})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert set(body) == {"replies", "language"}
    assert body["language"] in ("id", "en")
    replies: list[dict[str, Any]] = body["replies"]
    return replies


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply["text"] for reply in replies if reply["kind"] == "text")


def payload_of(replies: list[dict[str, Any]], label: str) -> str:
    labels = []
    for reply in replies:
        for row in reply.get("buttons", []):
            for button in row:
                if button["label"] == label:
                    payload: str = button["payload"]
                    return payload
                labels.append(button["label"])
    raise AssertionError(f"no button {label!r} in {labels}")


async def expect_error(
    response: ClientResponse, status: int, code: str, catalogs: Catalogs
) -> None:
    """A 4xx JSON error with the Indonesian message for `code`."""
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    body = await response.json()
    assert body == {"error": {"code": code, "message": catalogs.raw("id", f"web.error.{code}")}}
    assert body["error"]["message"] != f"web.error.{code}"


# --- page and static files ----------------------------------------------------------------------


async def test_page_is_served_with_a_content_security_policy(client: Client) -> None:
    response = await client.get("/chat")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "/chat/static/chat.js" in await response.text()

    script = await client.get("/chat/static/chat.js")
    assert script.status == 200
    assert "javascript" in script.content_type
    assert await script.text()


async def test_root_redirects_to_the_chat(client: Client) -> None:
    response = await client.get("/", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/chat"


async def test_config_has_every_page_string_in_indonesian(
    client: Client, catalogs: Catalogs
) -> None:
    response = await client.get("/chat/api/config")
    assert response.status == 200
    body = await response.json()
    assert body["demo"] is True
    assert body["language"] == "id"
    web_keys = {key for key in catalogs.keys("id") if key.startswith("web.")}
    page_keys = {key for key in web_keys if not key.startswith("web.error.")}
    assert page_keys <= set(PAGE_KEYS)
    assert set(body["strings"]) == set(PAGE_KEYS)
    for key, text in body["strings"].items():
        assert text and text != key, key
    assert body["strings"]["web.send"] == "Kirim"


async def test_people_lists_the_demo_roster_with_roles_and_time_zones(client: Client) -> None:
    response = await client.get("/chat/api/people")
    assert response.status == 200
    people = (await response.json())["people"]
    assert len(people) == 7
    by_nip = {person["nip"]: person for person in people}
    assert by_nip[ADMIN]["role"] == "admin"
    assert by_nip[ATASAN]["role"] == "atasan"
    assert by_nip[ATASAN_WITA]["role"] == "atasan"
    assert by_nip[STAFF]["role"] == "pegawai"
    assert {person["role"] for person in people} == {"admin", "atasan", "pegawai"}
    assert {person["timezone"] for person in people} == {"WIB", "WITA"}
    assert by_nip[ATASAN_WITA]["timezone"] == "WITA"
    assert by_nip[ATASAN]["name"] == "Drs. Ahmad Fauzi, M.Si."
    assert by_nip[ATASAN]["unit"] == "Dinas Komunikasi dan Informatika"
    for person in people:
        assert set(person) == {"nip", "name", "position", "unit", "role", "timezone"}


# --- conversations ------------------------------------------------------------------------------


async def test_newcomer_opens_the_menu_profile_and_switches_language(client: Client) -> None:
    response = await client.post("/chat/api/session", json={"nip": ATASAN})
    assert response.status == 200
    body = await response.json()
    assert body["name"] == "Drs. Ahmad Fauzi, M.Si."
    session = body["session"]

    replies = await say(client, session, text="/start")
    assert len(replies) == 1
    menu = replies[0]
    assert set(menu) == {"kind", "text", "buttons"}
    assert menu["kind"] == "text"
    assert "Ahmad Fauzi" in menu["text"]
    assert "Anda terdaftar sebagai atasan" in menu["text"]
    labels = [button["label"] for row in menu["buttons"] for button in row]
    assert labels == [
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
    for row in menu["buttons"]:
        for button in row:
            assert set(button) == {"label", "payload"}
            assert isinstance(button["payload"], str) and button["payload"]

    replies = await say(client, session, button=payload_of(replies, "Profil saya"))
    assert "NIP: <code>197503152000031002</code>" in text_of(replies)
    assert "Pegawai yang Anda bina: 3 orang" in text_of(replies)
    replies = await say(client, session, button=payload_of(replies, "Menu utama"))

    replies = await say(client, session, button=payload_of(replies, "Bahasa / Language"))
    assert "Silakan pilih bahasa" in text_of(replies)
    replies = await say(client, session, button=payload_of(replies, "English"))
    assert "The language is now English." in text_of(replies)
    assert "My profile" in [b["label"] for r in replies for row in r["buttons"] for b in row]

    replies = await say(client, session, button=payload_of(replies, "My profile"))
    assert "Your profile" in text_of(replies)
    replies = await say(client, session, text="/menu")
    replies = await say(client, session, button=payload_of(replies, "Language / Bahasa"))
    replies = await say(client, session, button=payload_of(replies, "Bahasa Indonesia"))
    assert "Bahasa telah diganti ke Bahasa Indonesia." in text_of(replies)
    assert payload_of(replies, "Profil saya")


async def test_the_same_message_id_is_answered_once(client: Client) -> None:
    session = await open_session(client, STAFF)
    first = await say(client, session, id="dup-1", text="/start")
    assert "Siti Nurhaliza" in text_of(first)
    assert await say(client, session, id="dup-1", text="/start") == []
    # Message ids belong to their session: another visitor may reuse the same id.
    other = await open_session(client, ADMIN)
    assert "Rina Marlina" in text_of(await say(client, other, id="dup-1", text="/start"))


async def test_sessions_are_separate_people(client: Client) -> None:
    atasan = await open_session(client, ATASAN_WITA)
    staff = await open_session(client, STAFF)
    assert "Andi Pratama" in text_of(await say(client, atasan, text="/profil"))
    assert "WITA" in text_of(await say(client, atasan, text="/profil"))
    assert "Siti Nurhaliza" in text_of(await say(client, staff, text="/profil"))


# --- bad input ----------------------------------------------------------------------------------


async def test_malformed_requests_get_indonesian_json_errors(
    client: Client, catalogs: Catalogs
) -> None:
    session = await open_session(client)
    messages = "/chat/api/messages"
    headers = {"Content-Type": "application/json"}

    await expect_error(
        await client.post(messages, data=b"{not json", headers=headers), 400, "bad_json", catalogs
    )
    await expect_error(
        await client.post(messages, data=b"\xff\xfe\x00", headers=headers),
        400,
        "bad_json",
        catalogs,
    )
    await expect_error(
        await client.post(messages, json=[{"session": session}]), 400, "bad_json", catalogs
    )
    await expect_error(
        await client.post("/chat/api/session", data=b"[1, 2]", headers=headers),
        400,
        "bad_json",
        catalogs,
    )
    await expect_error(
        await client.post(messages, json={"id": "m1", "text": "halo"}),
        401,
        "unknown_session",
        catalogs,
    )
    unknown = "x" * 32
    await expect_error(
        await client.post(messages, json={"session": unknown, "id": "m1", "text": "halo"}),
        401,
        "unknown_session",
        catalogs,
    )
    await expect_error(
        await client.post(messages, json={"session": 12345, "id": "m1", "text": "halo"}),
        401,
        "unknown_session",
        catalogs,
    )
    for bad_id in ("", "a b", "x" * 65, 7, None):
        await expect_error(
            await client.post(messages, json={"session": session, "id": bad_id, "text": "hi"}),
            400,
            "bad_id",
            catalogs,
        )


async def test_message_content_is_checked(client: Client, catalogs: Catalogs) -> None:
    session = await open_session(client)
    messages = "/chat/api/messages"

    async def post(**fields: Any) -> ClientResponse:
        return await client.post(messages, json={"session": session, "id": "m1", **fields})

    await expect_error(await post(text="x" * (MAX_TEXT + 1)), 413, "too_long", catalogs)
    await expect_error(await post(text="/start", button="menu"), 400, "bad_message", catalogs)
    await expect_error(await post(), 400, "bad_message", catalogs)
    await expect_error(await post(text=42), 400, "bad_message", catalogs)
    await expect_error(await post(text=""), 400, "empty", catalogs)
    await expect_error(await post(text="   \n\t"), 400, "empty", catalogs)
    await expect_error(await post(button="m" * 65), 400, "bad_button", catalogs)
    await expect_error(await post(button="é" * 33), 400, "bad_button", catalogs)
    await expect_error(await post(button=""), 400, "bad_button", catalogs)

    # None of the rejected messages used up the id, and a text of exactly the limit is fine.
    replies = await say(client, session, id="m1", text="x" * MAX_TEXT)
    assert replies and replies[0]["kind"] == "text"


async def test_oversized_body_is_refused(client: Client, catalogs: Catalogs) -> None:
    session = await open_session(client)
    padding = "x" * MAX_BODY
    response = await client.post(
        "/chat/api/messages", json={"session": session, "id": "m1", "text": "hi", "pad": padding}
    )
    await expect_error(response, 413, "too_large", catalogs)

    async def chunks() -> Any:
        """A chunked upload has no Content-Length, so only reading the body reveals its size."""
        for _ in range(5):
            yield b" " * (MAX_BODY // 4)
        yield b"{}"

    response = await client.post(
        "/chat/api/session", data=chunks(), headers={"Content-Type": "application/json"}
    )
    await expect_error(response, 413, "too_large", catalogs)


async def test_session_needs_someone_on_the_roster(client: Client, catalogs: Catalogs) -> None:
    session = "/chat/api/session"
    await expect_error(
        await client.post(session, json={"nip": "199912312025011001"}),
        404,
        "unknown_person",
        catalogs,
    )
    for nip in (198507072010012004, ["x"], {"nip": ADMIN}, True, "9" * 33):
        await expect_error(await client.post(session, json={"nip": nip}), 400, "bad_nip", catalogs)


async def test_unknown_api_route_is_a_json_404(client: Client, catalogs: Catalogs) -> None:
    await expect_error(await client.get("/chat/api/nothing"), 404, "http", catalogs)
    await expect_error(await client.get("/chat/api/messages"), 405, "http", catalogs)


# --- other modes --------------------------------------------------------------------------------


async def test_outside_demo_mode_sessions_are_anonymous(
    plain_client: Client, catalogs: Catalogs
) -> None:
    client = plain_client
    config = await (await client.get("/chat/api/config")).json()
    assert config["demo"] is False
    await expect_error(await client.get("/chat/api/people"), 404, "not_demo", catalogs)
    await expect_error(
        await client.post("/chat/api/session", json={"nip": ATASAN}), 400, "bad_nip", catalogs
    )

    response = await client.post("/chat/api/session", json={})
    assert response.status == 200
    body = await response.json()
    assert body["name"] is None
    replies = await say(client, body["session"], text="/start")
    assert "belum terhubung" in text_of(replies)
    assert replies[0]["buttons"] == []

    # An empty body is an empty object.
    response = await client.post("/chat/api/session")
    assert response.status == 200


async def test_disabled_web_chat_serves_only_health(
    db_url: str, aiohttp_client: AiohttpClient
) -> None:
    settings = Settings(database_url=db_url, web_chat_enabled=False)
    client = await aiohttp_client(build_app(settings))
    assert (await client.get("/chat")).status == 404
    assert (await client.get("/chat/api/config")).status == 404
    assert (await client.get("/", allow_redirects=False)).status == 404
    health = await client.get("/healthz")
    assert health.status == 200
    assert await health.json() == {"status": "ok"}


async def test_page_chrome_follows_the_language_chosen_in_chat(client: Client) -> None:
    session = await open_session(client, STAFF)
    response = await client.post(
        "/chat/api/messages", json={"session": session, "id": "lang-1", "text": "/bahasa"}
    )
    assert (await response.json())["language"] == "id"
    await say(client, session, button="lang:en")
    response = await client.post(
        "/chat/api/messages", json={"session": session, "id": "lang-2", "text": "/menu"}
    )
    assert (await response.json())["language"] == "en"
    config = await (await client.get("/chat/api/config?lang=en")).json()
    assert config["language"] == "en" and config["strings"]["web.send"] == "Send"
    fallback = await (await client.get("/chat/api/config?lang=fr")).json()
    assert fallback["language"] == "id" and fallback["strings"]["web.send"] == "Kirim"
