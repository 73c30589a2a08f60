"""`/start` and registration: link this chat account to the roster, then show the menu.

On Telegram the user shares their own phone number (a contact whose `user_id` is theirs, never a
forwarded one); where the platform vouches for the sender's number (WhatsApp), any first message
matches it against the roster; anywhere, an invite code from an admin (`/start inv_…`, the deep
link, or the bare code typed) links them.
"""

from __future__ import annotations

from bot.chat.context import ChatContext
from bot.chat.events import Command, ContactShared, Inbound, TextMessage
from bot.chat.replies import Text
from bot.chat.router import SKIP, Access, Router, Skip
from handlers.menu import greeting, main_menu
from kinerja.services.registration import (
    Linked,
    Problem,
    looks_like_invite,
    redeem_invite,
    register_by_phone,
)

router = Router("start")


@router.command("start", access=Access.PUBLIC)
async def start(ctx: ChatContext, event: Command) -> Text:
    ctx.state.clear()
    code = event.args.strip()
    if code:
        return await _redeem(ctx, event, code)
    if ctx.person is not None:
        return main_menu(ctx, lead=greeting(ctx) if ctx.person.active else None)
    if event.sender_phone:
        return await _by_sender_phone(ctx, event, event.sender_phone)
    return _ask_to_register(ctx)


@router.contact(access=Access.PUBLIC)
async def contact(ctx: ChatContext, event: ContactShared) -> Text:
    if ctx.person is not None and ctx.person.active:
        return main_menu(ctx, lead=ctx.t("register.already", name=ctx.person.name))
    if not event.is_own and event.sender_phone:
        # A contact card proves nothing, but this platform vouches for the sender's own number.
        return await _by_sender_phone(ctx, event, event.sender_phone)
    if not event.is_own:
        return Text(
            text=ctx.t("register.not_own_contact"), request_contact=ctx.t("btn.share_contact")
        )
    result = await register_by_phone(ctx.uow, event.channel, event.user_id, event.phone)
    return _outcome(ctx, result)


@router.any(access=Access.PUBLIC)
async def verified_sender(ctx: ChatContext, event: Inbound) -> Text | Skip:
    """A stranger whose platform vouches for their number (WhatsApp): whatever they send, match
    the number against the roster, or take a typed invite code."""
    if ctx.person is not None or not event.sender_phone:
        return SKIP
    if isinstance(event, TextMessage) and looks_like_invite(event.text.strip()):
        return await _redeem(ctx, event, event.text.strip())
    return await _by_sender_phone(ctx, event, event.sender_phone)


async def _by_sender_phone(ctx: ChatContext, event: Inbound, phone: str) -> Text:
    ctx.state.clear()
    result = await register_by_phone(ctx.uow, event.channel, event.user_id, phone)
    if isinstance(result, Problem):
        return Text(text=ctx.t("register.phone_unknown", phone=f"+{phone.lstrip('+')}"))
    return _outcome(ctx, result)


async def _redeem(ctx: ChatContext, event: Inbound, code: str) -> Text:
    if ctx.person is not None and ctx.person.active:
        return main_menu(ctx, lead=ctx.t("register.already", name=ctx.person.name))
    if not looks_like_invite(code):
        # Other deep-link payloads (e.g. a citizen's service code) are not registration.
        return _ask_to_register(ctx)
    now = ctx.now()
    result = await redeem_invite(ctx.uow, event.channel, event.user_id, code, now=now)
    return _outcome(ctx, result)


def _outcome(ctx: ChatContext, result: Linked | Problem) -> Text:
    if isinstance(result, Problem):
        return Text(text=ctx.t(f"register.{result.value}"))
    ctx.became(result.person)
    lead = ctx.t("register.linked") + "\n\n" + greeting(ctx)
    return main_menu(ctx, lead=lead)


def _ask_to_register(ctx: ChatContext) -> Text:
    if ctx.caps.contact_request:
        return Text(text=ctx.t("register.ask_contact"), request_contact=ctx.t("btn.share_contact"))
    return Text(text=ctx.t("register.ask_invite"))
