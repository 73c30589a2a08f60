"""The composition root: builds engines, the chat core and every route; nothing else does.

Resources that do I/O are opened in `cleanup_ctx` and closed on shutdown (aiohttp's pattern), so
importing any module has no side effects and tests can build as many apps as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.channels.telegram import ALLOWED_UPDATES, TelegramChannel
from bot.channels.telegram_request import AiohttpRequest
from bot.channels.web import WebChat
from bot.chat.accounts import Accounts
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.config import Settings
from handlers import COMMANDS, ROUTERS
from kinerja.activities import WorkPolicy
from storage.db import create_engine, session_factory
from storage.migrate import is_current, upgrade

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
CATALOGS = web.AppKey("catalogs", Catalogs)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
TELEGRAM = web.AppKey("telegram", TelegramChannel)
TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram"
log = logging.getLogger(__name__)


class StartupError(Exception):
    """Start-up cannot continue; the message is for the operator, one line."""


def build_app(
    settings: Settings, catalogs: Catalogs | None = None, *, demo: bool = False
) -> web.Application:
    """The service; with `demo`, web-chat visitors may act as any seeded person.

    `demo` is an argument, not a setting, so no environment variable can turn it on in production.
    """
    catalogs = catalogs or Catalogs.load(default=settings.default_language)
    engine = _engine(settings)
    sessions = session_factory(engine)
    # SQLite has one writer: queueing updates fairly here beats SQLite's busy-wait backoff.
    transactions = 1 if settings.is_sqlite else settings.db_pool_size
    policy = WorkPolicy(
        cutoff_day=settings.activity_cutoff_day, daily_minutes=settings.daily_minutes
    )
    dispatcher = Dispatcher(
        ROUTERS,
        sessions,
        catalogs,
        settings.default_language,
        max_transactions=transactions,
        policy=policy,
    )

    app = web.Application()
    app[SETTINGS] = settings
    app[ENGINE] = engine
    app[CATALOGS] = catalogs
    app[DISPATCHER] = dispatcher
    app.cleanup_ctx.append(_database)
    app.router.add_get("/healthz", _healthz)
    if settings.telegram_bot_token is not None:
        telegram = _telegram_channel(settings, dispatcher, catalogs)
        app[TELEGRAM] = telegram
        app.cleanup_ctx.append(_telegram_lifecycle)
        if settings.telegram_webhook_url:
            app.router.add_post(TELEGRAM_WEBHOOK_PATH, telegram.webhook)
    if settings.web_chat_enabled or demo:
        chat = WebChat(dispatcher, Accounts(sessions, catalogs), catalogs, demo=demo)
        app.middlewares.append(chat.json_errors)
        app.router.add_routes(chat.routes())
        app.router.add_get("/", _to_chat)
    return app


def _engine(settings: Settings) -> AsyncEngine:
    """No pre-ping: it is a round trip on every checkout, i.e. on every update. A connection
    that died (database restart) fails its update once and is replaced by the pool; the
    platform retries the update. Connections are recycled hourly all the same."""
    if settings.is_sqlite:
        return create_engine(settings.database_url)
    return create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_recycle=3600,
    )


async def _database(app: web.Application) -> AsyncIterator[None]:
    """Migrate SQLite automatically; on PostgreSQL require `kinerja db upgrade` first.

    Several workers share a PostgreSQL database, so none of them should race to migrate it.
    """
    engine = app[ENGINE]
    try:
        if app[SETTINGS].is_sqlite:
            await upgrade(engine)
        elif not await is_current(engine):
            raise StartupError("database schema is not current: run `kinerja db upgrade`")
    except StartupError:
        await engine.dispose()
        raise
    except (OSError, Exception) as error:
        await engine.dispose()
        raise StartupError(f"database unreachable: {type(error).__name__}: {error}") from error
    yield
    await engine.dispose()


def _telegram_channel(
    settings: Settings, dispatcher: Dispatcher, catalogs: Catalogs
) -> TelegramChannel:
    assert settings.telegram_bot_token is not None
    root = settings.telegram_api_url
    transports = (AiohttpRequest(), AiohttpRequest(connections=1))
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        request=transports[0],
        get_updates_request=transports[1],
    )
    secret = settings.telegram_webhook_secret
    return TelegramChannel(
        bot,
        dispatcher,
        catalogs,
        webhook_secret=secret.get_secret_value() if secret else None,
        transports=transports,
    )


async def _telegram_lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Log in, publish the command menu, then take updates by webhook or by long polling."""
    settings, telegram = app[SETTINGS], app[TELEGRAM]
    try:
        await telegram.bot.initialize()
        await telegram.set_commands(COMMANDS)
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            await telegram.bot.set_webhook(
                settings.telegram_webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        else:
            await telegram.bot.delete_webhook()
    except InvalidToken:
        await telegram.close()
        raise StartupError("TELEGRAM_BOT_TOKEN was rejected by the Bot API") from None
    except TelegramError as error:
        await telegram.close()
        raise StartupError(f"the Telegram Bot API is unreachable: {error}") from None
    poller = None if settings.telegram_webhook_url else asyncio.create_task(telegram.poll())
    yield
    if poller is not None:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
    await telegram.drain()
    await telegram.close()


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _to_chat(_request: web.Request) -> web.Response:
    raise web.HTTPFound("/chat")
