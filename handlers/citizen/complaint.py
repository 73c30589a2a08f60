"""Filing a complaint (pengaduan) and following it: text (+ optional photo), consent to hear
back here, optional name and phone, then a ticket; `/tiket` shows the citizen's own tickets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.chat.callbacks import PayloadError
from bot.chat.citizen_gate import citizen_turn
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Command, PhotoMessage, TextMessage
from bot.chat.replies import Button, Reply, Text
from bot.chat.router import SKIP, Access, HandlerResult, Router
from handlers.citizen.common import (
    COMPLAIN,
    CONSENT,
    FLOW,
    MENU,
    PICK,
    SKIP_CONTACT,
    TICKETS,
    back,
    citizen_id,
    citizen_menu,
    service_page,
)
from kinerja.citizen import MAX_COMPLAINT, MIN_COMPLAINT
from kinerja.phone import PhoneError, normalize_phone
from kinerja.services import complaints
from kinerja.services.citizen import ComplaintRecord

router = Router("citizen_complaint")


@router.command("batal", "cancel", access=Access.PUBLIC)
@router.button(MENU, access=Access.PUBLIC)
async def to_menu(ctx: ChatContext, _event: object) -> Reply:
    ctx.state.clear()
    return citizen_menu(ctx)


@router.command("pengaduan", "complaint", access=Access.PUBLIC)
@router.button(COMPLAIN, access=Access.PUBLIC)
async def start(ctx: ChatContext, event: ButtonPress | Command) -> Reply:
    service_id = 0
    if isinstance(event, ButtonPress):
        try:
            service_id = int(COMPLAIN.unpack(event.payload)["s"])
        except (PayloadError, ValueError):
            service_id = 0
    if not service_id and ctx.state.flow == FLOW:
        service_id = int(ctx.state.data.get("service", 0))
    if service_id:
        service = await ctx.uow.citizen.service_by_id(service_id)
        if service is not None and service.active:
            ctx.state.enter(FLOW, "complaint_text", service=service.id)
            return Text(
                text=ctx.t("citizen.complaint.ask_text", service=service.name, min=MIN_COMPLAINT),
                buttons=back(ctx),
            )
    return await _pick_service(ctx, None)


async def _pick_service(ctx: ChatContext, lead: str | None) -> Text:
    ctx.state.enter(FLOW, "complaint_service")
    return await service_page(ctx, 0, lead)


def _consent_question(ctx: ChatContext, lead: str | None = None) -> Text:
    text: str = ctx.t("citizen.complaint.ask_consent")
    return Text(
        text=f"{lead}\n\n{text}" if lead else text,
        buttons=(
            (Button(ctx.t("btn.citizen.consent_yes"), CONSENT.pack(v="y")),),
            (Button(ctx.t("btn.citizen.consent_no"), CONSENT.pack(v="n")),),
        ),
    )


@router.button(PICK, access=Access.PUBLIC)
async def picked(ctx: ChatContext, event: ButtonPress) -> HandlerResult:
    """A service picked for a complaint (the rating feature answers picks otherwise)."""
    if ctx.state.step != "complaint_service":
        return SKIP
    try:
        service_id = int(PICK.unpack(event.payload)["s"])
    except (PayloadError, ValueError):
        return SKIP
    service = await ctx.uow.citizen.service_by_id(service_id)
    if service is None or not service.active:
        return SKIP
    ctx.state.enter(FLOW, "complaint_text", service=service.id)
    return Text(
        text=ctx.t("citizen.complaint.ask_text", service=service.name, min=MIN_COMPLAINT),
        buttons=back(ctx),
    )


@router.photo(FLOW, access=Access.PUBLIC)
async def photo(ctx: ChatContext, event: PhotoMessage) -> HandlerResult:
    if ctx.state.step != "complaint_text":
        return Text(text=ctx.t("citizen.photo_only_complaint"), buttons=back(ctx))
    if event.caption.strip():
        ctx.state.data["photo"] = event.file_ref
        return _text_given(ctx, event.caption)
    ctx.state.data["photo"] = event.file_ref
    return Text(text=ctx.t("citizen.complaint.photo_kept"), buttons=back(ctx))


@router.text(FLOW, access=Access.PUBLIC)
async def typed(ctx: ChatContext, event: TextMessage) -> HandlerResult:
    if ctx.state.step == "complaint_text":
        return _text_given(ctx, event.text)
    if ctx.state.step == "complaint_contact":
        return await _contact_given(ctx, event.text)
    if ctx.state.step == "complaint_service":
        return await _pick_service(ctx, ctx.t("citizen.use_buttons"))
    if ctx.state.step == "complaint_consent":
        return _consent_question(ctx, ctx.t("citizen.use_buttons"))
    return SKIP


def _text_given(ctx: ChatContext, text: str) -> Reply:
    cleaned = text.strip()
    if len(cleaned) > MAX_COMPLAINT:
        return Text(
            text=ctx.t("citizen.complaint.too_long", max=MAX_COMPLAINT, length=len(cleaned)),
            buttons=back(ctx),
        )
    if len(cleaned) < MIN_COMPLAINT:
        return Text(
            text=ctx.t("citizen.complaint.too_short", min=MIN_COMPLAINT), buttons=back(ctx)
        )
    ctx.state.data["text"] = cleaned
    ctx.state.step = "complaint_consent"
    return _consent_question(ctx)


@router.button(CONSENT, access=Access.PUBLIC)
async def consent(ctx: ChatContext, event: ButtonPress) -> Reply:
    if ctx.state.step != "complaint_consent" or "text" not in ctx.state.data:
        return citizen_menu(ctx, ctx.t("citizen.stale"))
    agreed = event.payload == CONSENT.pack(v="y")
    if not agreed:
        return await _file(ctx, consent=False, name=None, phone=None)
    ctx.state.data["consent"] = True
    ctx.state.step = "complaint_contact"
    return Text(
        text=ctx.t("citizen.complaint.ask_contact"),
        buttons=((Button(ctx.t("btn.citizen.skip"), SKIP_CONTACT.pack()),),),
    )


@router.button(SKIP_CONTACT, access=Access.PUBLIC)
async def skip_contact(ctx: ChatContext, _event: ButtonPress) -> Reply:
    if ctx.state.step != "complaint_contact":
        return citizen_menu(ctx, ctx.t("citizen.stale"))
    return await _file(ctx, consent=True, name=None, phone=None)


async def _contact_given(ctx: ChatContext, text: str) -> Reply:
    """`Name, 08123456789`: both optional parts, given only by a complainant who agreed."""
    name, _, phone_text = text.partition(",")
    name = " ".join(name.split())[:200]
    phone = None
    if phone_text.strip():
        try:
            phone = normalize_phone(phone_text.strip())
        except PhoneError:
            return Text(
                text=ctx.t("citizen.complaint.bad_phone"),
                buttons=((Button(ctx.t("btn.citizen.skip"), SKIP_CONTACT.pack()),),),
            )
    if len(name) < 2:
        return Text(
            text=ctx.t("citizen.complaint.ask_contact"),
            buttons=((Button(ctx.t("btn.citizen.skip"), SKIP_CONTACT.pack()),),),
        )
    return await _file(ctx, consent=True, name=name, phone=phone)


async def _file(ctx: ChatContext, *, consent: bool, name: str | None, phone: str | None) -> Reply:
    service = await ctx.uow.citizen.service_by_id(int(ctx.state.data.get("service", 0)))
    if service is None:
        return citizen_menu(ctx, ctx.t("citizen.stale"))
    turn = citizen_turn()
    complaint = await complaints.file_complaint(
        ctx.uow,
        citizen_id=await citizen_id(ctx),
        service=service,
        text=str(ctx.state.data["text"]),
        photo_ref=ctx.state.data.get("photo") if turn.raw_channel == "telegram" else None,
        reply_channel=turn.channel,
        reply_to=turn.sealed_address() if consent else None,
        contact_name=name if consent else None,
        contact_phone=phone if consent else None,
        now=ctx.now(),
        policy=turn.policy,
    )
    ctx.state.clear()
    key = "citizen.complaint.filed" if consent else "citizen.complaint.filed_no_contact"
    return Text(
        text=ctx.t(
            key,
            ticket=complaint.ticket,
            service=service.name,
            due=ctx.t.day(complaint.due_on),
            lapor=turn.policy.lapor_url,
        ),
        buttons=back(ctx),
    )


@router.command("tiket", "ticket", access=Access.PUBLIC)
@router.button(TICKETS, access=Access.PUBLIC)
async def tickets(ctx: ChatContext, event: ButtonPress | Command) -> Reply:
    own = await ctx.uow.citizen.complaints_of_citizen(await citizen_id(ctx))
    wanted = event.args.strip().upper() if isinstance(event, Command) else ""
    if wanted:
        own = [c for c in own if c.ticket == wanted]
        if not own:
            return Text(text=ctx.t("citizen.ticket.unknown", ticket=wanted), buttons=back(ctx))
    if not own:
        return Text(text=ctx.t("citizen.ticket.none"), buttons=back(ctx))
    lines = [_ticket_line(ctx, c) for c in own]
    return Text(text="\n\n".join([ctx.t("citizen.ticket.title"), *lines]), buttons=back(ctx))


def _ticket_line(ctx: ChatContext, complaint: ComplaintRecord) -> str:
    line: str = ctx.t(
        "citizen.ticket.line",
        ticket=complaint.ticket,
        service=complaint.service_name,
        status=ctx.t(f"citizen.status.{complaint.status}"),
        due=ctx.t.day(complaint.due_on),
    )
    if complaint.answer:
        line += "\n" + ctx.t("citizen.ticket.answer", answer=complaint.answer)
    return line


@router.push(complaints.STATUS)
async def status_push(ctx: ChatContext, payload: Mapping[str, Any]) -> list[Reply]:
    """The complainant hears of each change, rendered from the complaint as it is now."""
    complaint = await ctx.uow.citizen.complaint(int(payload["complaint"]))
    if complaint is None:
        return []
    status = str(payload.get("status", complaint.status)).split(":")[0]
    text: str
    if status == "late":
        text = ctx.t("citizen.push.late", ticket=complaint.ticket, lapor=_lapor_url(ctx))
    else:
        text = ctx.t(
            "citizen.push.status",
            ticket=complaint.ticket,
            status=ctx.t(f"citizen.status.{status}"),
        )
        if status == complaints.ANSWERED and complaint.answer:
            text += "\n\n" + ctx.t("citizen.ticket.answer", answer=complaint.answer)
        if status == complaints.RESOLVED:
            text += "\n\n" + ctx.t("citizen.push.resolved_hint", lapor=_lapor_url(ctx))
    return [Text(text=text)]


def _lapor_url(_ctx: ChatContext) -> str:
    try:
        return citizen_turn().policy.lapor_url
    except RuntimeError:
        return "https://www.lapor.go.id"
