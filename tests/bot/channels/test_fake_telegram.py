"""The fake Bot API, exercised through python-telegram-bot's real `telegram.Bot`.

Valid calls must pass without violations and come back as parsed objects; every rule must catch
its breach, and where Telegram would refuse the call the client must see the same error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer
from telegram import Bot as PtbBot
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MessageEntity,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, RetryAfter

from tests.support.fake_telegram import (
    BOT_USERNAME,
    REFERENCE_ENV,
    TOKEN,
    FakeBotApi,
    HtmlError,
    Upload,
    all_factory_updates,
    load_reference,
    parse_html,
    start_fake,
    text_update,
)

CHAT = 5_550_001


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeBotApi:
    return await start_fake(aiohttp_server)


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[PtbBot]:
    async with PtbBot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        yield bot


async def raw_call(
    fake: FakeBotApi, method: str, http: str = "POST", **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    """A request without PTB in between, to send what PTB would never send."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(http, f"{fake.base_url}{TOKEN}/{method}", **kwargs) as response,
    ):
        return response.status, await response.json()


def keyboard(rows: list[list[str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=label) for label in row] for row in rows]
    )


# ---- valid calls


async def test_initialize_calls_get_me(fake: FakeBotApi, bot: PtbBot) -> None:
    assert bot.username == BOT_USERNAME
    assert bot.bot.is_bot
    assert fake.last("getMe").token == TOKEN
    assert fake.violations == []


async def test_html_message_with_inline_keyboard(fake: FakeBotApi, bot: PtbBot) -> None:
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Setuju", callback_data="ok:1")],
            [InlineKeyboardButton("Panduan", url="https://example.org/panduan")],
        ]
    )
    text = '<b>SKP</b> &amp; <i>kegiatan</i> &lt;3 <a href="https://example.org">tautan</a>'

    message = await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML, reply_markup=markup)

    assert message.text == "SKP & kegiatan <3 tautan"
    assert [entity.type for entity in message.entities] == ["bold", "italic", "text_link"]
    assert message.entities[2].url == "https://example.org"
    assert message.chat.id == CHAT and message.chat.type == "private"
    assert message.reply_markup == markup
    call = fake.last("sendMessage")
    assert call.params["chat_id"] == CHAT  # form fields decoded by the reference's types
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ok:1"
    assert fake.violations == []


async def test_edit_message_text_and_not_modified(fake: FakeBotApi, bot: PtbBot) -> None:
    sent = await bot.send_message(CHAT, "Menunggu…", reply_markup=keyboard([["a", "b"]]))

    edited = await bot.edit_message_text(
        "<b>Selesai</b>", chat_id=CHAT, message_id=sent.message_id, parse_mode=ParseMode.HTML
    )

    assert not isinstance(edited, bool)
    assert edited.message_id == sent.message_id
    assert edited.text == "Selesai" and edited.edit_date is not None
    assert edited.reply_markup is None  # no reply_markup in the edit removes the keyboard
    assert fake.violations == []
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>Selesai</b>", chat_id=CHAT, message_id=sent.message_id, parse_mode="HTML"
        )


async def test_answer_callback_query(fake: FakeBotApi, bot: PtbBot) -> None:
    assert await bot.answer_callback_query("4000000000000000001", text="Tersimpan")
    assert fake.last("answerCallbackQuery").params == {
        "callback_query_id": "4000000000000000001",
        "text": "Tersimpan",
    }
    assert fake.violations == []


async def test_set_my_commands_per_language(fake: FakeBotApi, bot: PtbBot) -> None:
    indonesian = [BotCommand("start", "Mulai"), BotCommand("bantuan", "Bantuan")]
    english = [BotCommand("start", "Start"), BotCommand("help", "Help")]

    assert await bot.set_my_commands(indonesian, language_code="id")
    assert await bot.set_my_commands(english, language_code="en")

    assert await bot.get_my_commands(language_code="id") == tuple(indonesian)
    assert await bot.get_my_commands(language_code="en") == tuple(english)
    assert fake.violations == []


async def test_send_document_upload_and_download(fake: FakeBotApi, bot: PtbBot) -> None:
    content = b"%PDF-1.4 laporan kinerja"

    message = await bot.send_document(
        CHAT, content, filename="laporan.pdf", caption="<b>Laporan</b> Mei", parse_mode="HTML"
    )

    assert message.document is not None
    assert message.document.file_name == "laporan.pdf"
    assert message.caption == "Laporan Mei"
    upload = fake.last("sendDocument").params["document"]
    assert isinstance(upload, Upload) and upload.data == content
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content
    assert fake.violations == []


async def test_send_photo_upload_returns_file_ids(fake: FakeBotApi, bot: PtbBot) -> None:
    message = await bot.send_photo(CHAT, b"\x89PNG fake", caption="Foto")

    assert message.photo and all(isinstance(size.file_id, str) for size in message.photo)
    assert message.caption == "Foto"
    assert fake.violations == []


async def test_reply_keyboard_with_contact_request(fake: FakeBotApi, bot: PtbBot) -> None:
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton("Bagikan nomor", request_contact=True)]], one_time_keyboard=True
    )
    await bot.send_message(CHAT, "Bagikan nomor HP Anda", reply_markup=markup)
    assert fake.last("sendMessage").params["reply_markup"]["keyboard"][0][0] == {
        "text": "Bagikan nomor",
        "request_contact": True,
    }
    assert fake.violations == []


async def test_get_updates_long_poll_returns_pushed_update(fake: FakeBotApi, bot: PtbBot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=2, allowed_updates=["message"]))
    await fake.wait_for_call("getUpdates")

    pushed = fake.push_update(text_update(CHAT, "halo"))
    updates = await poll

    assert [update.update_id for update in updates] == [pushed["update_id"]]
    assert updates[0].message is not None and updates[0].message.text == "halo"
    # Confirming with offset drops it; an empty poll ends at the fake's cap.
    fake.max_poll_seconds = 0.05
    assert await bot.get_updates(offset=pushed["update_id"] + 1, timeout=30) == ()
    assert fake.updates == []
    assert fake.violations == []


async def test_webhook_blocks_get_updates(fake: FakeBotApi, bot: PtbBot) -> None:
    assert await bot.set_webhook("https://kinerja.example.go.id/telegram", secret_token="s3")
    assert (await bot.get_webhook_info()).url == "https://kinerja.example.go.id/telegram"
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_json_body_and_query_string_are_read(fake: FakeBotApi) -> None:
    status, body = await raw_call(fake, "sendMessage", json={"chat_id": CHAT, "text": "json"})
    assert status == 200 and body["result"]["text"] == "json"
    status, body = await raw_call(
        fake, "sendmessage", "GET", params={"chat_id": str(CHAT), "text": "query"}
    )
    assert status == 200 and body["result"]["chat"]["id"] == CHAT  # names are case-insensitive
    assert fake.violations == []


# ---- each rule catches its breach


async def test_text_over_4096_characters_is_refused(fake: FakeBotApi, bot: PtbBot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    assert any("4097 characters" in violation for violation in fake.violations)


async def test_text_length_counts_after_html_parsing(fake: FakeBotApi, bot: PtbBot) -> None:
    message = await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert message.text is not None and len(message.text) == 4096
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "&amp;" * 4097, parse_mode="HTML")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<div>blok</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("</b>", "Unexpected end tag at byte offset 0"),
    ],
)
async def test_bad_html_is_refused(fake: FakeBotApi, bot: PtbBot, text: str, error: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as refused:
        await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML)
    # PTB drops "Bad Request: " and capitalize()s the rest, lowering Telegram's capitals.
    assert error.lower() in refused.value.message.lower()
    assert len(fake.violations) == 1 and error in fake.violations[0]


async def test_bare_ampersand_is_recorded_but_delivered(fake: FakeBotApi, bot: PtbBot) -> None:
    # Telegram keeps an unescaped '&' as text, so the call succeeds; its HTML rules forbid it.
    message = await bot.send_message(CHAT, "<b>SKP & kegiatan</b>", parse_mode="HTML")
    assert message.text == "SKP & kegiatan"
    assert fake.violations == [
        "sendMessage: text: bare '&' at byte offset 7 (Telegram keeps it as text, "
        "but its HTML rules require &amp;)"
    ]


async def test_callback_data_over_64_bytes_is_refused(fake: FakeBotApi, bot: PtbBot) -> None:
    data = "é" * 32 + "x"  # 33 characters, 65 bytes
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Pilih", callback_data=data)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "Pilih:", reply_markup=markup)
    assert any("callback_data is 65 bytes" in violation for violation in fake.violations)


async def test_nine_buttons_in_a_row_are_refused(fake: FakeBotApi, bot: PtbBot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)too many buttons in a row"):
        await bot.send_message(CHAT, "Pilih:", reply_markup=keyboard([[str(n) for n in range(9)]]))
    assert any("row 0 has 9 buttons" in violation for violation in fake.violations)


async def test_more_than_100_buttons_are_refused(fake: FakeBotApi, bot: PtbBot) -> None:
    rows = [[str(n)] for n in range(101)]
    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await bot.send_message(CHAT, "Pilih:", reply_markup=keyboard(rows))
    assert any("101 buttons" in violation for violation in fake.violations)


async def test_inline_button_without_action_is_refused(fake: FakeBotApi, bot: PtbBot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Diam")]])  # PTB lets this through
    with pytest.raises(BadRequest, match=r"(?i)Text buttons are unallowed"):
        await bot.send_message(CHAT, "Pilih:", reply_markup=markup)
    assert any("has no action" in violation for violation in fake.violations)


async def test_unknown_parameter_is_recorded(fake: FakeBotApi, bot: PtbBot) -> None:
    message = await bot.send_message(CHAT, "halo", api_kwargs={"colour": "merah"})
    assert message.text == "halo"  # Telegram ignores unknown parameters
    assert fake.violations == ["sendMessage: unknown parameter 'colour' (Telegram ignores it)"]


async def test_missing_required_parameter_is_refused(fake: FakeBotApi) -> None:
    status, body = await raw_call(fake, "sendMessage", json={"text": "tanpa tujuan"})
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": 'Bad Request: parameter "chat_id" is required',
    }
    assert fake.violations == ["sendMessage: missing required parameter 'chat_id'"]


async def test_wrong_type_is_refused(fake: FakeBotApi) -> None:
    status, body = await raw_call(
        fake, "deleteMessage", data={"chat_id": str(CHAT), "message_id": "pertama"}
    )
    assert status == 400 and body["description"] == "Bad Request: can't parse message_id"
    assert fake.violations == ["deleteMessage: message_id: 'pertama' is not a valid Integer"]


async def test_unknown_method_is_not_found(fake: FakeBotApi) -> None:
    status, body = await raw_call(fake, "sendTelepathy", json={"chat_id": CHAT})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert fake.violations == [
        "sendTelepathy: no such method in Bot API " + load_reference().version
    ]
    assert fake.last("sendTelepathy").params == {"chat_id": CHAT}


async def test_callback_answer_over_200_characters_is_refused(
    fake: FakeBotApi, bot: PtbBot
) -> None:
    with pytest.raises(BadRequest):
        await bot.answer_callback_query("1", text="x" * 201)
    assert any("201 characters" in violation for violation in fake.violations)


@pytest.mark.parametrize(
    ("commands", "language", "expected"),
    [
        ([BotCommand("Mulai", "Mulai")], None, "BOT_COMMAND_INVALID"),
        ([BotCommand("x" * 33, "Terlalu panjang")], None, "BOT_COMMAND_INVALID"),
        ([BotCommand("start", "")], None, "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([BotCommand("start", "d" * 257)], None, "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([BotCommand("start", "Mulai")], "ind", "invalid language code"),
    ],
)
async def test_bad_commands_are_refused(
    fake: FakeBotApi,
    bot: PtbBot,
    commands: list[BotCommand],
    language: str | None,
    expected: str,
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){expected}"):
        await bot.set_my_commands(commands, language_code=language)
    assert len(fake.violations) == 1


async def test_fail_next_surfaces_as_retry_after(
    fake: FakeBotApi, bot: PtbBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without PTB_TIMEDELTA, PTB 22 warns (PTBDeprecationWarning) while building RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.fail_next("sendMessage", retry_after=2, description="Too Many Requests: retry after 2")

    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(CHAT, "halo")

    assert limited.value.retry_after == dt.timedelta(seconds=2)
    assert (await bot.send_message(CHAT, "halo")).text == "halo"  # only the next call fails
    assert len(fake.calls_to("sendMessage")) == 2


# ---- incoming updates


async def test_factory_updates_match_the_reference_and_parse(
    fake: FakeBotApi, bot: PtbBot
) -> None:
    parsed: dict[str, Update] = {}
    for name, data in all_factory_updates(user_id=CHAT):
        assert fake.check_update(data) == [], name
        update = Update.de_json(data, bot)
        assert update.update_id == data["update_id"], name
        parsed[name] = update

    ids = [update.update_id for update in parsed.values()]
    assert ids == sorted(set(ids))

    own = parsed["contact"].message
    assert own is not None and own.contact is not None and own.contact.user_id == CHAT
    foreign = parsed["foreign contact"].message
    assert foreign is not None and foreign.contact is not None
    assert foreign.contact.user_id is None

    query = parsed["callback"].callback_query
    assert query is not None and query.data == "menu:1" and query.from_user.id == CHAT
    assert query.message is not None and query.message.message_id == 7

    command = parsed["command"].message
    assert command is not None and command.text == "/start abc"
    assert command.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 6),)
    assert command.from_user is not None and command.from_user.language_code == "id"

    edited = parsed["edited"]
    assert edited.message is None and edited.edited_message is not None
    assert edited.edited_message.text == "halo lagi" and edited.edited_message.message_id == 3

    photo = parsed["photo"].message
    assert photo is not None and photo.photo[-1].width == 1280 and photo.caption
    document = parsed["document"].message
    assert document is not None and document.document is not None
    assert document.document.file_name == "laporan.pdf"
    for name, attribute in [("sticker", "sticker"), ("voice", "voice"), ("location", "location")]:
        message = parsed[name].message
        assert message is not None and getattr(message, attribute) is not None, name


async def test_push_update_checks_the_update(fake: FakeBotApi) -> None:
    fake.push_update({"message": {"message_id": 1, "text": "tanpa chat"}})
    assert any("needs field 'chat'" in violation for violation in fake.violations)


# ---- the HTML parser on its own


def test_html_parser_entities() -> None:
    rendered = parse_html(
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>kutipan</blockquote>"
        '<span class="tg-spoiler">rahasia</span>&#128512;<tg-emoji emoji-id="5368">👍</tg-emoji>'
    )
    assert rendered.text == "x = 1kutipanrahasia😀👍"
    assert rendered.entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "expandable_blockquote", "offset": 5, "length": 7},
        {"type": "spoiler", "offset": 12, "length": 7},
        {"type": "custom_emoji", "offset": 21, "length": 2, "custom_emoji_id": "5368"},
    ]
    assert rendered.warnings == []


def test_html_parser_unclosed_tag() -> None:
    with pytest.raises(HtmlError, match="Unclosed start tag"):
        parse_html("teks <b")


# ---- the reference file


def test_missing_reference_skips_locally_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv(REFERENCE_ENV, str(tmp_path / "absent.json"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=REFERENCE_ENV):
        load_reference()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"absent\.json"):
        load_reference()
