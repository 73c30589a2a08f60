"""The composition root: builds engines, the chat core and every route; nothing else does.

Resources that do I/O are opened in `cleanup_ctx` and closed on shutdown (aiohttp's pattern), so
importing any module has no side effects and tests can build as many apps as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator, Mapping, Sequence

from aiohttp import web
from pydantic import SecretStr
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.channels.telegram import ALLOWED_UPDATES, TelegramChannel, TelegramSender
from bot.channels.telegram_request import AiohttpRequest
from bot.channels.web import WebChat, WebInbox
from bot.channels.whatsapp.channel import Templates, WhatsAppChannel, WhatsAppSender
from bot.channels.whatsapp.client import GraphClient
from bot.chat.accounts import Accounts
from bot.chat.contacts import ChannelBook
from bot.chat.delivery import Sender
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.chat.router import Router
from bot.citizen_app import add_citizen_channel
from bot.config import Settings
from bot.dashboard import Dashboard
from bot.health import readyz
from bot.metrics import Metrics, metrics_view
from handlers import COMMANDS, ROUTERS, dashboard_login
from kinerja.activities import WorkPolicy
from kinerja.evaluation import policy_of
from scheduler.approval_jobs import ApprovalJobs
from scheduler.evaluation_jobs import EvaluationJobs
from scheduler.job_claims import JobClaims
from scheduler.outbox import OutboxDrainer
from scheduler.reminder_jobs import ReminderJobs
from scheduler.runner import Scheduler, add_evaluation_jobs
from storage.database import Database, create_database
from storage.migrate import is_current, upgrade
from storage.uow import SessionFactory, session_factory

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
CATALOGS = web.AppKey("catalogs", Catalogs)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
TELEGRAM = web.AppKey("telegram", TelegramChannel)
SCHEDULER = web.AppKey("scheduler", Scheduler)
OUTBOX = web.AppKey("outbox", OutboxDrainer)
WHATSAPP = web.AppKey("whatsapp", WhatsAppChannel)
DASHBOARD = web.AppKey("dashboard", Dashboard)
METRICS = web.AppKey("metrics", Metrics)
WORKER_HEADER = "X-Kinerja-Worker"  # on /healthz: the pid of the worker that answered
TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram"
WHATSAPP_WEBHOOK_PATH = "/webhooks/whatsapp"
log = logging.getLogger(__name__)


class StartupError(Exception):
    """Start-up cannot continue; the message is for the operator, one line."""


def build_app(
    settings: Settings,
    catalogs: Catalogs | None = None,
    *,
    demo: bool = False,
    routers: Sequence[Router] | None = None,
) -> web.Application:
    """The service; with `demo`, web-chat visitors may act as any seeded person.

    `demo` is an argument, not a setting, so no environment variable can turn it on in production.
    `routers` replaces the features of `handlers` (tests add a feature of their own).
    """
    catalogs = catalogs or Catalogs.load(default=settings.default_language)
    database = _database_for(settings)
    sessions = session_factory(database)
    # SQLite has one writer: queueing updates fairly here beats SQLite's busy-wait backoff.
    transactions = 1 if settings.is_sqlite else settings.db_pool_size
    policy = WorkPolicy(
        cutoff_day=settings.activity_cutoff_day,
        daily_minutes=settings.daily_minutes,
        evaluation_period=settings.evaluation_period,
        evaluation_window_days=settings.evaluation_window_days,
    )
    metrics = Metrics()
    features = dashboard_login.bind(
        ROUTERS if routers is None else routers,
        settings.dashboard_url,
        settings.dashboard_link_minutes,
    )
    dispatcher = Dispatcher(
        features,
        sessions,
        catalogs,
        settings.default_language,
        max_transactions=transactions,
        policy=policy,
        observer=metrics.observe_update,
    )

    app = web.Application()
    app[SETTINGS] = settings
    app[DATABASE] = database
    app[CATALOGS] = catalogs
    app[DISPATCHER] = dispatcher
    app[METRICS] = metrics
    app.cleanup_ctx.append(_database)
    app[SCHEDULER] = Scheduler(
        ApprovalJobs(sessions, policy, settings.approval_escalation_days),
        settings.digest_hour_minute,
        ReminderJobs(sessions, policy, settings.closing_offsets)
        if settings.reminders_enabled
        else None,
        daily_at=settings.hour_minute(settings.reminder_daily_time),
        morning_at=settings.hour_minute(settings.reminder_morning_time),
        progress_every=settings.broadcast_progress_seconds,
        # Several workers may share the database: each job fires once among them.
        claims=JobClaims(sessions, observer=metrics.observe_job),
    )
    add_evaluation_jobs(
        app[SCHEDULER],
        EvaluationJobs(
            sessions, policy_of(settings.evaluation_period, settings.evaluation_window_days)
        ),
        settings.digest_hour_minute,
    )
    app.cleanup_ctx.append(_scheduler)
    app.on_startup.append(_freeze_startup_objects)  # after the cleanup_ctx start-ups above
    app.router.add_get("/healthz", _healthz)
    dashboard = app[DASHBOARD] = _dashboard(settings, sessions, catalogs)
    app.middlewares.append(dashboard.errors)
    app.router.add_routes(dashboard.routes())
    app.router.add_get("/metrics", metrics_view(metrics, sessions))
    senders: dict[str, Sender] = {}
    if settings.telegram_bot_token is not None:
        telegram = _telegram_channel(settings, dispatcher, catalogs)
        app[TELEGRAM] = telegram
        app.cleanup_ctx.append(_telegram_lifecycle)
        if settings.telegram_webhook_url:
            app.router.add_post(TELEGRAM_WEBHOOK_PATH, telegram.webhook)
        senders["telegram"] = TelegramSender(telegram)
    if settings.whatsapp_token is not None:
        whatsapp = _whatsapp_channel(settings, dispatcher, catalogs)
        app[WHATSAPP] = whatsapp
        app.cleanup_ctx.append(_whatsapp_lifecycle)
        app.router.add_get(WHATSAPP_WEBHOOK_PATH, whatsapp.verify)
        if not settings.citizen_whatsapp_phone_number_id:  # else bot.citizen_app routes it
            app.router.add_post(WHATSAPP_WEBHOOK_PATH, whatsapp.webhook)
        senders["whatsapp"] = WhatsAppSender(whatsapp)
    if settings.web_chat_enabled or demo:
        inbox = WebInbox()
        chat = WebChat(dispatcher, Accounts(sessions, catalogs), catalogs, demo=demo, inbox=inbox)
        app.middlewares.append(chat.json_errors)
        app.router.add_routes(chat.routes())
        app.router.add_get("/", _to_chat)
        senders["web"] = inbox
    # Rows for channels this process does not serve stay queued for one that does.
    drainer = OutboxDrainer(
        dispatcher,
        senders,
        rates={"telegram": settings.telegram_rate, "whatsapp": settings.whatsapp_rate},
        chat_rates={"telegram": settings.telegram_chat_rate},
        # Half a second's worth of rows per round (a card waits about that long behind a
        # broadcast); the batch size only caps that, high enough that rounds are not so short
        # that the pause between them eats into the rate (bench/broadcast.py).
        round_seconds=0.5,
        batch_size=200,
        observer=metrics.observe_push,
    )
    app.router.add_get("/readyz", readyz(database, tuple(senders)))
    sessions.on_outbox_commit(drainer.notify)
    app[OUTBOX] = drainer
    app.cleanup_ctx.append(_outbox_lifecycle)  # last: starts after the channels, stops first
    add_citizen_channel(
        app, settings, catalogs, sessions, app[SCHEDULER], transactions=transactions, demo=demo
    )
    return app


def _dashboard(settings: Settings, sessions: SessionFactory, catalogs: Catalogs) -> Dashboard:
    """The admin dashboard; its cookie is Secure when browsers reach the service over https."""
    secret = settings.dashboard_secret
    if secret is None:
        log.info("DASHBOARD_SECRET is not set: dashboard sessions last until a restart")
    return Dashboard(
        sessions,
        catalogs,
        secret=secret.get_secret_value().encode() if secret else None,
        secure_cookie=settings.dashboard_url.startswith("https://"),
        session_minutes=settings.dashboard_session_minutes,
    )


def _database_for(settings: Settings) -> Database:
    """No pre-ping: it is a round trip on every checkout, i.e. on every update. A pooled
    connection the server closed (a restart) is replaced at checkout without a round trip
    (`storage.database`); one that died silently fails its update once (503, the platform
    retries) and is replaced. Connections are recycled hourly all the same."""
    if settings.is_sqlite:
        return create_database(settings.database_url)
    return create_database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_recycle=3600,
    )


async def _database(app: web.Application) -> AsyncIterator[None]:
    """Migrate SQLite automatically; on PostgreSQL require `kinerja db upgrade` first.

    Several workers share a PostgreSQL database, so none of them should race to migrate it.
    """
    database = app[DATABASE]
    try:
        if app[SETTINGS].is_sqlite:
            await upgrade(database)
        elif not await is_current(database):
            raise StartupError("database schema is not current: run `kinerja db upgrade`")
    except StartupError:
        await database.dispose()
        raise
    except (OSError, Exception) as error:
        await database.dispose()
        raise StartupError(f"database unreachable: {type(error).__name__}: {error}") from error
    yield
    await database.dispose()


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    """Scheduled jobs run once the database is up, and stop before it closes."""
    scheduler = app[SCHEDULER]
    scheduler.start()
    log.info("scheduled: %s", scheduler.jobs())
    yield
    scheduler.shutdown()


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


def _whatsapp_channel(
    settings: Settings, dispatcher: Dispatcher, catalogs: Catalogs
) -> WhatsAppChannel:
    token, secret = settings.whatsapp_token, settings.whatsapp_app_secret
    verify, number = settings.whatsapp_verify_token, settings.whatsapp_phone_number_id
    assert token is not None and secret is not None and verify is not None and number
    client = GraphClient(settings.whatsapp_api_url, token.get_secret_value(), number)
    return WhatsAppChannel(
        client,
        dispatcher,
        ChannelBook(dispatcher.sessions, dispatcher.transactions),
        app_secret=secret.get_secret_value(),
        verify_token=verify.get_secret_value(),
        list_button=catalogs.text(settings.default_language, "wa.list_button"),
        templates=Templates(
            reminder=settings.whatsapp_template_reminder,
            approval=settings.whatsapp_template_approval,
            notice=settings.whatsapp_template_notice,
            language=settings.whatsapp_template_language,
        ),
    )


async def _whatsapp_lifecycle(app: web.Application) -> AsyncIterator[None]:
    """The Graph API session lives as long as the service; the webhook is registered by the
    operator in Meta's app dashboard (the verify handshake answers it)."""
    yield
    await app[WHATSAPP].close()


async def _telegram_lifecycle(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with run_telegram(
        app[TELEGRAM],
        COMMANDS,
        bot_setting="TELEGRAM_BOT_TOKEN",
        webhook_url=settings.telegram_webhook_url,
        webhook_secret=settings.telegram_webhook_secret,
        max_connections=settings.telegram_max_connections,
    ):
        yield


@contextlib.asynccontextmanager
async def run_telegram(
    telegram: TelegramChannel,
    commands: Mapping[str, Sequence[tuple[str, str]]],
    *,
    bot_setting: str,
    webhook_url: str | None,
    webhook_secret: SecretStr | None,
    max_connections: int | None = None,
) -> AsyncIterator[None]:
    """A bot's life in the service (the staff bot and the citizen bot): log in, publish the
    command menu, take updates by webhook (registered here) or by long polling; at the end stop
    polling, finish the updates in hand and close."""
    try:
        await telegram.bot.initialize()
        await telegram.set_commands(commands)
        if webhook_url:
            await telegram.bot.set_webhook(
                webhook_url,
                secret_token=webhook_secret.get_secret_value() if webhook_secret else None,
                allowed_updates=list(ALLOWED_UPDATES),
                max_connections=max_connections,  # None: Telegram's default
            )
        else:
            await telegram.bot.delete_webhook()
    except InvalidToken:
        await telegram.close()
        raise StartupError(f"{bot_setting} was rejected by the Bot API") from None
    except TelegramError as error:
        await telegram.close()
        raise StartupError(f"the Telegram Bot API is unreachable: {error}") from None
    poller = None if webhook_url else asyncio.create_task(telegram.poll())
    try:
        yield
    finally:
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        await telegram.drain()
        await telegram.close()


async def _outbox_lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Deliver queued pushes while the service runs; on shutdown, finish the sends in flight
    and leave the rest queued (before the channels and the database close)."""
    drainer = app[OUTBOX]
    await drainer.start()
    yield
    await drainer.stop()


async def _freeze_startup_objects(_app: web.Application) -> None:
    """Keep the garbage collector's full passes short once serving.

    Everything alive after start-up (modules, classes, catalogs, pools) lives as long as the
    process. Left in the collector's oldest generation, it is traversed by every full collection:
    about 150,000 objects, a pause of 80 ms or more for every request in flight, once every few
    thousand updates under load (measured). Frozen, they are skipped; what they reference is
    never freed early, only not traversed.
    """
    gc.collect()
    gc.freeze()


async def _healthz(_request: web.Request) -> web.Response:
    """The process is up; the header tells which of several workers answered."""
    return web.json_response({"status": "ok"}, headers={WORKER_HEADER: str(os.getpid())})


async def _to_chat(_request: web.Request) -> web.Response:
    raise web.HTTPFound("/chat")
