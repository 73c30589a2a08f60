"""Composition of the citizen channel, called from `bot.app.build_app` (kept apart so the
staff composition stays readable): the citizen gate (its own dispatcher and routers), its
Telegram bot, its web chat at `/layanan`, its outbox drainer and its jobs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from telegram import Bot

from bot.channels.citizen_web import CitizenWebChat
from bot.channels.citizen_whatsapp import CitizenWhatsApp, NumberRouter
from bot.channels.telegram import TelegramChannel, TelegramSender
from bot.channels.telegram_request import AiohttpRequest
from bot.channels.web import WebInbox
from bot.channels.whatsapp.channel import WhatsAppSender
from bot.channels.whatsapp.client import GraphClient
from bot.chat.citizen_gate import CITIZEN_CHANNEL, CitizenGate, CitizenSender
from bot.chat.delivery import Sender
from bot.chat.i18n import Catalogs
from bot.config import Settings
from handlers.citizen import CITIZEN_COMMANDS, CITIZEN_ROUTERS
from kinerja.services.citizen import CitizenPolicy
from scheduler.citizen_jobs import CitizenJobs
from scheduler.outbox import OutboxDrainer
from scheduler.runner import Scheduler, add_citizen_jobs
from storage.uow import SessionFactory

CITIZEN_GATE = web.AppKey("citizen_gate", CitizenGate)
CITIZEN_TELEGRAM = web.AppKey("citizen_telegram", TelegramChannel)
CITIZEN_OUTBOX = web.AppKey("citizen_outbox", OutboxDrainer)
CITIZEN_WEB_INBOX = web.AppKey("citizen_web_inbox", WebInbox)
CITIZEN_WHATSAPP = web.AppKey("citizen_whatsapp", CitizenWhatsApp)
CITIZEN_WEBHOOK_PATH = "/webhooks/citizen-telegram"
log = logging.getLogger(__name__)


def citizen_policy(settings: Settings) -> CitizenPolicy:
    return CitizenPolicy(
        response_days=settings.complaint_response_days,
        retention_days=settings.citizen_retention_days,
        burst_limit=settings.citizen_burst_limit,
        lapor_url=settings.citizen_lapor_url,
        agency=settings.citizen_agency,
    )


def add_citizen_channel(
    app: web.Application,
    settings: Settings,
    catalogs: Catalogs,
    sessions: SessionFactory,
    scheduler: Scheduler,
    *,
    transactions: int,
    demo: bool,
) -> None:
    """Wire the citizen channel when it is configured (a pseudonym secret and at least one of
    its transports); without them the service has no citizen channel at all."""
    secret = settings.citizen_secret
    web_on = settings.citizen_web_enabled or demo
    telegram_on = settings.citizen_telegram_bot_token is not None
    whatsapp_on = settings.citizen_whatsapp_phone_number_id is not None
    if not (web_on or telegram_on or whatsapp_on):
        return
    if secret is None:  # demo without a configured secret: a per-process one
        import secrets as random

        secret = random.token_bytes(32)
    policy = citizen_policy(settings)
    gate = CitizenGate(
        CITIZEN_ROUTERS,
        sessions,
        catalogs,
        secret=secret,
        policy=policy,
        default_language=settings.default_language,
        max_transactions=transactions,
        per_minute=settings.citizen_rate_per_minute,
    )
    app[CITIZEN_GATE] = gate
    senders: dict[str, Sender] = {}
    if telegram_on:
        channel = _telegram(settings, gate, catalogs)
        app[CITIZEN_TELEGRAM] = channel
        app.cleanup_ctx.append(_telegram_lifecycle)
        if settings.citizen_telegram_webhook_url:
            app.router.add_post(CITIZEN_WEBHOOK_PATH, channel.webhook)
        name = CITIZEN_CHANNEL["telegram"]
        senders[name] = CitizenSender(TelegramSender(channel), gate, name)
    if whatsapp_on:
        citizen_wa = _whatsapp(app, settings, gate)
        name = CITIZEN_CHANNEL["whatsapp"]
        senders[name] = CitizenSender(WhatsAppSender(citizen_wa), gate, name)
    if web_on:
        inbox = WebInbox()
        app[CITIZEN_WEB_INBOX] = inbox
        app.router.add_routes(CitizenWebChat(gate, catalogs, inbox).routes())
        name = CITIZEN_CHANNEL["web"]
        senders[name] = CitizenSender(inbox, gate, name)
    drainer = OutboxDrainer(
        gate,
        senders,
        rates={
            CITIZEN_CHANNEL["telegram"]: settings.telegram_rate,
            CITIZEN_CHANNEL["whatsapp"]: settings.whatsapp_rate,
        },
        chat_rates={CITIZEN_CHANNEL["telegram"]: settings.telegram_chat_rate},
        round_seconds=0.5,
        batch_size=200,
    )
    sessions.on_outbox_commit(drainer.notify)
    app[CITIZEN_OUTBOX] = drainer
    app.cleanup_ctx.append(_outbox_lifecycle)
    add_citizen_jobs(scheduler, CitizenJobs(sessions, policy), settings.digest_hour_minute)


def _whatsapp(app: web.Application, settings: Settings, gate: CitizenGate) -> CitizenWhatsApp:
    """The citizen number shares the app (token, secret, webhook URL) with the staff number;
    one router splits each webhook body by `phone_number_id`."""
    from bot.app import WHATSAPP, WHATSAPP_WEBHOOK_PATH

    staff = app[WHATSAPP]
    number = settings.citizen_whatsapp_phone_number_id
    token, secret = settings.whatsapp_token, settings.whatsapp_app_secret
    assert number and token is not None and secret is not None
    channel = CitizenWhatsApp(
        GraphClient(settings.whatsapp_api_url, token.get_secret_value(), number),
        gate,
        staff.book,  # required by the base class; the citizen channel never writes to it
        app_secret=secret.get_secret_value(),
        verify_token=staff._verify_token,
        list_button=staff.list_button,
    )
    app[CITIZEN_WHATSAPP] = channel
    app.cleanup_ctx.append(_whatsapp_lifecycle)
    router = NumberRouter(staff, channel, secret.get_secret_value())
    app.router.add_post(WHATSAPP_WEBHOOK_PATH, router.webhook)
    return channel


async def _whatsapp_lifecycle(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[CITIZEN_WHATSAPP].close()


def _telegram(settings: Settings, gate: CitizenGate, catalogs: Catalogs) -> TelegramChannel:
    token = settings.citizen_telegram_bot_token
    assert token is not None
    root = settings.telegram_api_url
    transports = (AiohttpRequest(), AiohttpRequest(connections=1))
    bot = Bot(
        token.get_secret_value(),
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        request=transports[0],
        get_updates_request=transports[1],
    )
    secret = settings.citizen_telegram_webhook_secret
    return TelegramChannel(
        bot,
        gate,
        catalogs,
        webhook_secret=secret.get_secret_value() if secret else None,
        transports=transports,
    )


async def _telegram_lifecycle(app: web.Application) -> AsyncIterator[None]:
    from bot.app import SETTINGS, run_telegram

    settings = app[SETTINGS]
    async with run_telegram(
        app[CITIZEN_TELEGRAM],
        CITIZEN_COMMANDS,
        bot_setting="CITIZEN_TELEGRAM_BOT_TOKEN",
        webhook_url=settings.citizen_telegram_webhook_url,
        webhook_secret=settings.citizen_telegram_webhook_secret,
    ):
        yield


async def _outbox_lifecycle(app: web.Application) -> AsyncIterator[None]:
    drainer = app[CITIZEN_OUTBOX]
    await drainer.start()
    yield
    await drainer.stop()
