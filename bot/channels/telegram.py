"""The Telegram channel: python-telegram-bot's `Bot` for calls, our dispatcher for updates.

PTB's handler chain, ConversationHandler and persistence are not used: state lives in the
database (DESIGN.md rule 3). Updates arrive by webhook (`POST /webhooks/telegram`, checked against
the secret token) or, without a webhook URL, by long polling. Pushes queued in the outbox leave
through `TelegramSender`, which the outbox drainer calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram_html import entities_to_html
from bot.channels.telegram_request import AiohttpRequest
from bot.chat.capabilities import TELEGRAM, Outgoing
from bot.chat.delivery import (
    MessageRejected,
    RateLimited,
    RecipientUnreachable,
    TransientFailure,
)
from bot.chat.dispatcher import Dispatcher
from bot.chat.events import (
    ButtonPress,
    ContactShared,
    DocumentMessage,
    Inbound,
    LocationShared,
    PhotoMessage,
    Unsupported,
    text_event,
)
from bot.chat.i18n import Catalogs
from bot.chat.outage import is_unavailable
from bot.chat.replies import Button, Image, StoredMedia, Text, escape

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY = 1024 * 1024
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
POLL_TIMEOUT = 25
# A 400 that means the chat is gone, not that the message was wrong (PTB strips "Bad Request: ").
UNREACHABLE_SIGNS = ("chat not found", "user not found", "peer_id_invalid")
log = logging.getLogger(__name__)


class TelegramChannel:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        catalogs: Catalogs,
        *,
        webhook_secret: str | None = None,
        transports: Sequence[AiohttpRequest],
    ) -> None:
        """`transports[0]` is the bot's own transport, also used for raw calls."""
        self.bot = bot
        self.transports = tuple(transports)
        self.api = self.transports[0]
        self.dispatcher = dispatcher
        self.catalogs = catalogs
        self.webhook_secret = webhook_secret
        self._tasks: set[asyncio.Task[object]] = set()

    # --- start-up -------------------------------------------------------------------------------

    async def set_commands(self, commands: Mapping[str, Sequence[tuple[str, str]]]) -> None:
        """The command menu in each language; Telegram picks by the user's app language."""
        for language, entries in commands.items():
            await self.bot.set_my_commands(
                [BotCommand(name, self.catalogs.raw(language, key)) for name, key in entries],
                language_code=language,
            )
        default = commands.get(self.catalogs.default, ())
        await self.bot.set_my_commands(
            [
                BotCommand(name, self.catalogs.raw(self.catalogs.default, key))
                for name, key in default
            ]
        )

    # --- webhook --------------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """Acknowledge only after the reply is sent, so Telegram retries if we crash first."""
        given = request.headers.get(SECRET_HEADER, "")
        if not self.webhook_secret or not hmac.compare_digest(given, self.webhook_secret):
            return web.Response(status=403, text="forbidden")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="too large")
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return web.Response(status=413, text="too large")
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise TypeError("an update is a JSON object")
            translated = to_inbound(data)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400, text="not an update")
        try:
            inline = await self.deliver(data, translated, reply_inline=True)
        except Exception as error:
            # Nothing was committed (the dispatcher answers its handlers' own failures): a
            # 503 makes Telegram redeliver the update, instead of aiohttp's bare 500.
            if is_unavailable(error):
                log.warning("database unavailable (%s); Telegram will redeliver", error)
            else:
                log.exception("Telegram update failed; Telegram will redeliver it")
            return web.Response(status=503, text="try again")
        if inline is None:
            return web.Response(status=200)
        return web.json_response(inline)

    # --- long polling ---------------------------------------------------------------------------

    async def poll(self) -> None:
        """Fetch updates until cancelled; each is processed in its own task.

        Tasks of one user queue on the dispatcher's per-user lock in arrival order.
        """
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=POLL_TIMEOUT,
                    allowed_updates=list(ALLOWED_UPDATES),
                    read_timeout=POLL_TIMEOUT + 10,
                )
                backoff = 1.0
            except RetryAfter as error:
                await asyncio.sleep(_retry_seconds(error))
                continue
            except (NetworkError, TelegramError) as error:
                log.warning("getUpdates failed (%s); retrying in %.0f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            for update in updates:
                offset = update.update_id + 1
                task = asyncio.create_task(self.process(update.to_dict()))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Close the bot and its HTTP sessions, also after a start-up that failed half-way."""
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.bot.shutdown()
        for transport in self.transports:
            await transport.shutdown()

    async def drain(self) -> None:
        """Let updates already accepted finish before shutdown."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- one update -----------------------------------------------------------------------------

    async def process(self, data: Mapping[str, Any]) -> None:
        """Handle one polled update; a malformed one is logged and skipped."""
        try:
            translated = to_inbound(data)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("skipped a malformed update %s", data.get("update_id"))
            return
        await self.deliver(data, translated)

    async def deliver(
        self,
        data: Mapping[str, Any],
        translated: tuple[Inbound, int] | None,
        *,
        reply_inline: bool = False,
    ) -> dict[str, object] | None:
        """Dispatch a translated update and send its replies.

        With `reply_inline` (webhook mode) the last text reply is returned as a Bot API call for
        the webhook's HTTP response instead of being sent: Telegram performs it, which saves a
        round trip per update (the Bot API's documented webhook reply). Earlier replies are sent
        first, so the order is kept.
        """
        if translated is None:
            return None
        event, chat_id = translated
        outgoing = await self.dispatcher.handle(event, TELEGRAM)
        if isinstance(event, ButtonPress):
            query = data["callback_query"]
            replacement = _prompt_replacement(outgoing)
            if replacement is not None:
                outgoing = outgoing[1:]
            edit = _prompt_edit(query, replacement)
            if reply_inline and edit is not None and replacement is not None and not outgoing:
                # The prompt becomes the answer: Telegram performs the edit from the webhook
                # response, and only the press's answer is a call of ours.
                await self._acknowledge(query, None)
                return edit
            await self._acknowledge(query, edit)
        inline = None
        if reply_inline and outgoing and isinstance(outgoing[-1].reply, Text):
            inline = _inline_send(chat_id, outgoing[-1])
            outgoing = outgoing[:-1]
        for out in outgoing:
            await self.send(chat_id, out)
        return inline

    async def _acknowledge(self, query: Mapping[str, Any], edit: dict[str, object] | None) -> None:
        """Answer the press and, with `edit`, update the prompt so it cannot be pressed twice.

        The calls are independent, so they go out together (one round trip of latency, not
        two). Raw calls: neither result is needed as PTB objects, and building them cost a
        press dearly.
        """
        calls = [self._call("answerCallbackQuery", callback_query_id=query.get("id"))]
        if edit is not None:
            params = dict(edit)
            method = str(params.pop("method"))
            calls.append(self._call(method, **params))
        for outcome in await asyncio.gather(*calls, return_exceptions=True):
            if isinstance(outcome, TelegramError | KeyError | TypeError):
                log.info("could not acknowledge a button press: %s", outcome)
            elif isinstance(outcome, BaseException):
                raise outcome

    async def _call(self, method: str, **params: object) -> object:
        return await self.api.call(f"{self.bot.base_url}/{method}", params)

    async def send(self, chat_id: int, out: Outgoing) -> None:
        """Send one laid-out reply; a 429 is waited out once, other errors are logged.

        The update is already committed: failing the webhook now would only make Telegram
        redeliver an update that the dedupe then drops.
        """
        for attempt in (1, 2):
            try:
                await self._send_once(chat_id, out)
                return
            except RetryAfter as error:
                if attempt == 2:
                    log.warning("rate limited twice sending to %s; reply dropped", chat_id)
                    return
                await asyncio.sleep(_retry_seconds(error))
            except Forbidden:
                log.info("chat %s blocked the bot; reply dropped", chat_id)
                return
            except BadRequest:
                log.exception("Telegram rejected a reply to %s", chat_id)
                return
            except TelegramError as error:
                log.warning("sending to %s failed: %s", chat_id, error)
                return

    async def _send_once(self, chat_id: int, out: Outgoing) -> str:
        """Send one laid-out reply; returns Telegram's message id (what an edit needs)."""
        reply = out.reply
        if isinstance(reply, Text):
            message = await self.bot.send_message(
                chat_id,
                reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(out),
            )
        elif isinstance(reply, StoredMedia):
            message = await self._resend(chat_id, reply)
        elif isinstance(reply, Image):
            message = await self.bot.send_photo(
                chat_id,
                InputFile(reply.data, filename=reply.filename),
                caption=reply.caption or None,
                parse_mode=ParseMode.HTML,
            )
        else:
            message = await self.bot.send_document(
                chat_id,
                InputFile(reply.data, filename=reply.filename),
                caption=reply.caption or None,
                parse_mode=ParseMode.HTML,
            )
        return str(message.message_id)

    async def _resend(self, chat_id: int, media: StoredMedia) -> Message:
        """A file Telegram already holds, by its file_id (no download, no upload)."""
        caption = media.caption or None
        if media.kind == "photo":
            return await self.bot.send_photo(
                chat_id, media.file_ref, caption=caption, parse_mode=ParseMode.HTML
            )
        return await self.bot.send_document(
            chat_id, media.file_ref, caption=caption, parse_mode=ParseMode.HTML
        )


class TelegramSender:
    """The outbox's way out to Telegram (`bot.chat.delivery.Sender`): the calls direct replies
    use, with PTB's errors turned into the drainer's, which decide wait, retry or give up.

    A push's recipient is the Telegram user id, which is also the private chat's id.
    """

    caps = TELEGRAM

    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel

    async def send(self, recipient: str, outgoing: Sequence[Outgoing]) -> str | None:
        try:
            chat_id = int(recipient)
        except ValueError:
            raise RecipientUnreachable(f"not a Telegram chat id: {recipient!r}") from None
        message_id: str | None = None
        for out in outgoing:
            try:
                message_id = await self.channel._send_once(chat_id, out)
            except RetryAfter as error:
                raise RateLimited(_retry_seconds(error), str(error)) from error
            except Forbidden as error:  # blocked, deactivated, never started the bot
                raise RecipientUnreachable(str(error)) from error
            except BadRequest as error:  # before NetworkError: PTB derives it from that
                if any(sign in str(error).lower() for sign in UNREACHABLE_SIGNS):
                    raise RecipientUnreachable(str(error)) from error
                raise MessageRejected(str(error)) from error
            except TelegramError as error:  # TimedOut, NetworkError, 5xx, ...
                raise TransientFailure(f"{type(error).__name__}: {error}") from error
        return message_id

    async def edit(self, recipient: str, message_id: str, outgoing: Outgoing) -> None:
        """Change a message sent before (`bot.chat.delivery.Editor`): a live progress report.
        Only text can be edited this way; an unchanged text is fine."""
        try:
            chat_id, message = int(recipient), int(message_id)
        except ValueError:
            raise RecipientUnreachable(
                f"not a Telegram message: {recipient}/{message_id}"
            ) from None
        reply = outgoing.reply
        if not isinstance(reply, Text):
            raise MessageRejected("only text messages can be edited")
        markup = _markup(outgoing)
        try:
            await self.channel.bot.edit_message_text(
                reply.text,
                chat_id=chat_id,
                message_id=message,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )
        except RetryAfter as error:
            raise RateLimited(_retry_seconds(error), str(error)) from error
        except Forbidden as error:
            raise RecipientUnreachable(str(error)) from error
        except BadRequest as error:
            text = str(error).lower()
            if "not modified" in text:
                return
            if any(sign in text for sign in UNREACHABLE_SIGNS):
                raise RecipientUnreachable(str(error)) from error
            raise MessageRejected(str(error)) from error
        except TelegramError as error:
            raise TransientFailure(f"{type(error).__name__}: {error}") from error


def _prompt_edit(
    query: Mapping[str, Any], replacement: Outgoing | None
) -> dict[str, object] | None:
    """The call that updates a pressed prompt: it becomes `replacement`, or shows the choice
    (its label appended, buttons removed) so old buttons cannot be pressed twice."""
    message = query.get("message") or {}
    if "chat" not in message or "message_id" not in message:
        return None
    where = {"chat_id": message["chat"]["id"], "message_id": message["message_id"]}
    markup = message.get("reply_markup")
    if replacement is not None and message.get("text"):
        call = _inline_send(where["chat_id"], replacement)
        return {**call, "method": "editMessageText", "message_id": where["message_id"]}
    label = _label_of(markup or {}, str(query.get("data") or ""))
    if markup and message.get("text") and label:
        prompt = entities_to_html(message["text"], message.get("entities"))
        chosen = f"{prompt}\n\n✓ <i>{escape(label)}</i>"
        return {"method": "editMessageText", "text": chosen, "parse_mode": "HTML", **where}
    if markup:
        return {"method": "editMessageReplyMarkup", **where}
    return None


def _prompt_replacement(outgoing: list[Outgoing]) -> Outgoing | None:
    """The first reply, if it asks to replace the pressed prompt and fits in one edit."""
    if not outgoing:
        return None
    first = outgoing[0]
    if (
        isinstance(first.reply, Text)
        and first.reply.replaces_prompt
        and first.layout
        in (
            "none",
            "buttons",
            "list",
        )
    ):
        return first
    return None


def _inline_send(chat_id: int, out: Outgoing) -> dict[str, object]:
    """A sendMessage call as plain JSON for the webhook response (no PTB objects to build)."""
    assert isinstance(out.reply, Text)
    call: dict[str, object] = {
        "method": "sendMessage",
        "chat_id": chat_id,
        "text": out.reply.text,
        "parse_mode": ParseMode.HTML.value,
    }
    markup = _markup_json(out)
    if markup is not None:
        call["reply_markup"] = markup
    return call


def _markup_json(out: Outgoing) -> dict[str, object] | None:
    """The same keyboards as `_markup`, as Bot API JSON."""
    rows: tuple[tuple[Button, ...], ...] = ()
    if out.layout == "buttons":
        rows = out.keyboard
    elif out.layout == "list":
        rows = tuple((choice,) for choice in out.choices)
    if rows:
        keyboard = [[{"text": b.label, "callback_data": b.payload} for b in row] for row in rows]
        return {"inline_keyboard": keyboard}
    reply = out.reply
    if isinstance(reply, Text) and reply.request_contact:
        return {
            "keyboard": [[{"text": reply.request_contact, "request_contact": True}]],
            "resize_keyboard": True,
            "one_time_keyboard": True,
        }
    return None


def to_inbound(data: Mapping[str, Any]) -> tuple[Inbound, int] | None:
    """Translate a raw update (the webhook's JSON) into our event and the chat to answer.

    Working on the JSON rather than PTB's `Update` objects saves building a tree of frozen
    objects for every update (measured: PTB object construction was a sixth of the bot's CPU).
    Only private chats are served: the bot is personal, and a group would leak one person's
    data to others. Raises KeyError/TypeError/ValueError on malformed input.
    """
    update_id = str(_telegram_id(data["update_id"]))
    query = data.get("callback_query")
    if query is not None:
        message = query.get("message") or {}
        chat = message.get("chat") or {}
        if chat.get("type") != "private":
            return None
        sender = query["from"]
        event: Inbound = ButtonPress(
            payload=str(query.get("data") or ""),
            message_ref=f"{chat['id']}:{message.get('message_id')}",
            **_common(sender, update_id),
        )
        return event, _telegram_id(chat["id"])
    edited = data.get("edited_message")
    target = data.get("message") or edited
    if not isinstance(target, Mapping):
        return None
    sender = target.get("from")
    chat = target["chat"]
    if sender is None or chat.get("type") != "private":
        return None
    common = _common(sender, update_id)
    if edited is not None:
        return Unsupported(kind="edit", **common), _telegram_id(chat["id"])
    return _message_event(target, common), _telegram_id(chat["id"])


def _common(sender: Mapping[str, Any], update_id: str) -> dict[str, Any]:
    name = " ".join(part for part in (sender.get("first_name"), sender.get("last_name")) if part)
    # Only a string is a language code: anything else failed the update at every redelivery.
    language = sender.get("language_code")
    return {
        "channel": CHANNEL,
        "user_id": str(_telegram_id(sender["id"])),
        "update_id": update_id,
        "display_name": name,
        "language_hint": language if isinstance(language, str) else None,
    }


def _telegram_id(value: object) -> int:
    """An update, user or chat id: Telegram's fit in 64 bits. A bigger number is not from
    Telegram, and its digits overflowed a column on PostgreSQL (a 503 redelivered forever)."""
    number: int = int(value)  # type: ignore[call-overload]
    if not -(2**63) <= number < 2**63:
        raise ValueError("not a Telegram id")
    return number


def _message_event(message: Mapping[str, Any], common: dict[str, Any]) -> Inbound:
    if isinstance(message.get("text"), str):
        return text_event(text=message["text"], **common)
    caption = str(message.get("caption") or "")
    if contact := message.get("contact"):
        owner = contact.get("user_id")
        own = owner is not None and str(owner) == common["user_id"]
        return ContactShared(phone=str(contact["phone_number"]), is_own=own, **common)
    if photos := message.get("photo"):
        largest = max(photos, key=lambda size: size.get("width", 0) * size.get("height", 0))
        return PhotoMessage(file_ref=str(largest["file_id"]), caption=caption, **common)
    if document := message.get("document"):
        return DocumentMessage(
            file_ref=str(document["file_id"]),
            filename=str(document.get("file_name") or ""),
            caption=caption,
            **common,
        )
    if location := message.get("location"):
        return LocationShared(
            latitude=float(location["latitude"]), longitude=float(location["longitude"]), **common
        )
    kinds = ("sticker", "voice", "video", "video_note", "audio", "animation", "poll")
    kind = next((name for name in kinds if message.get(name)), "other")
    return Unsupported(kind=kind, **common)


def _markup(out: Outgoing) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """The keyboard as PTB objects, for replies sent through `Bot` (built from the JSON form)."""
    data = _markup_json(out)
    if data is None:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    return ReplyKeyboardMarkup.de_json(data, None)


def _label_of(markup: Mapping[str, Any], data: str) -> str | None:
    for row in markup.get("inline_keyboard") or ():
        for button in row:
            if button.get("callback_data") == data:
                return str(button.get("text") or "")
    return None


def _retry_seconds(error: RetryAfter) -> float:
    retry = error.retry_after
    return retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
