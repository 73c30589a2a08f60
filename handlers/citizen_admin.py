"""The staff side of the citizen channel: IKM with chart and XLSX (unit admins and atasan),
complaints to answer or resolve (unit admins), the service catalog and abuse flags (admins).

Scope is checked on the server for every view and every press: an instansi admin sees every
unit, a unit admin their unit and its sub-units, an atasan their own unit's IKM (without
citizens' comments, which only the unit's admins read).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.chat.callbacks import Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Command, Inbound, TextMessage
from bot.chat.replies import Button, Document, Image, Reply, Text, keyboard
from bot.chat.router import SKIP, Access, HandlerResult, Router
from bot.render.ikm_chart import IkmLabels, IkmSheet, ikm_chart, ikm_xlsx
from kinerja.ikm import ELEMENT_KEYS, Ikm, period_bounds, to_2dp
from kinerja.people import MenuRole, Role, local_now
from kinerja.services import complaints
from kinerja.services.citizen import (
    CatalogError,
    ComplaintRecord,
    add_counter,
    add_service,
    scope_of,
)
from kinerja.services.ikm import UnitIkm, ikm_per_unit

router = Router("citizen_admin")
IKM = Payload("ik")
IKM_VIEW = Payload("iv", "u", "p")  # unit id, period code
IKM_FILE = Payload("ix", "u", "p")
COMPLAINTS = Payload("ql")
COMPLAINT = Payload("qv", "c")
ANSWER = Payload("qa", "c")
RESOLVE = Payload("qr", "c")
FLOW = "citizen_admin"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ANSWER = 2000
router.menu_item("btn.ikm", IKM.pack(), MenuRole.ADMIN, order=23)
router.menu_item("btn.complaints", COMPLAINTS.pack(), MenuRole.ADMIN, order=24)


# --- IKM --------------------------------------------------------------------------------------


@router.command("ikm", access=Access.ATASAN)
@router.button(IKM, access=Access.ATASAN)
async def ikm_start(ctx: ChatContext, event: Inbound) -> Reply | list[Reply]:
    assert ctx.person is not None
    scope = await scope_of(ctx.uow, ctx.person)
    services = await ctx.uow.citizen.services(scope)
    unit_ids = sorted({s.unit_id for s in services})
    if not unit_ids:
        return Text(text=ctx.t("ikm.no_services"), buttons=ctx.back_to_menu())
    today = local_now(ctx.person, ctx.now()).date()
    period = _period_arg(event, today)
    if period is None:
        return Text(text=ctx.t("ikm.bad_period"), buttons=ctx.back_to_menu())
    if len(unit_ids) == 1:
        return await _ikm_view(ctx, unit_ids[0], period)
    names = {s.unit_id: s.unit_code for s in services}
    buttons = [Button(names[u][:20], IKM_VIEW.pack(u=u, p=period)) for u in unit_ids[:30]]
    return Text(
        text=ctx.t("ikm.choose_unit", period=period),
        buttons=(*keyboard(buttons, per_row=2), *ctx.back_to_menu()),
    )


def _period_arg(event: Inbound, today: Any) -> str | None:
    wanted = event.args.strip() if isinstance(event, Command) else ""
    if not wanted:
        return f"{today:%Y}"
    try:
        period_bounds(wanted)
    except ValueError:
        return None
    return wanted.upper()


@router.button(IKM_VIEW, access=Access.ATASAN)
async def ikm_view(ctx: ChatContext, event: ButtonPress) -> Reply | list[Reply]:
    try:
        values = IKM_VIEW.unpack(event.payload)
        unit_id, period = int(values["u"]), values["p"]
        period_bounds(period)
    except (PayloadError, ValueError):
        return Text(text=ctx.t("citizen.admin.stale"), buttons=ctx.back_to_menu())
    return await _ikm_view(ctx, unit_id, period)


async def _allowed_unit(ctx: ChatContext, unit_id: int) -> bool:
    assert ctx.person is not None
    scope = await scope_of(ctx.uow, ctx.person)
    return scope is None or unit_id in scope


async def _ikm_view(ctx: ChatContext, unit_id: int, period: str) -> list[Reply]:
    assert ctx.person is not None
    if not await _allowed_unit(ctx, unit_id):
        return [Text(text=ctx.t("auth.forbidden"), buttons=ctx.back_to_menu())]
    first, last = period_bounds(period)
    result = await ikm_per_unit(ctx.uow, unit_id, first, last)
    if result is None:
        return [Text(text=ctx.t("citizen.admin.stale"), buttons=ctx.back_to_menu())]
    lines: list[str] = [ctx.t("ikm.title", unit=result.unit_name, period=period)]
    lines.append(_ikm_line(ctx, ctx.t("ikm.unit_total"), result.ikm, result.ratings))
    for row in result.services:
        lines.append(
            _ikm_line(ctx, f"{row.service.code} {row.service.name}", row.ikm, row.ratings)
        )
    is_admin = ctx.person.role is Role.ADMIN
    if is_admin:
        ids = [s.service.id for s in result.services]
        comments = await ctx.uow.citizen.comments(ids, first, last, limit=5)
        if comments:
            lines.append(ctx.t("ikm.comments"))
            lines.extend(
                ctx.t(
                    "ikm.comment_line",
                    service=c.service_code,
                    day=ctx.t.short_day(c.day),
                    quick=c.quick,
                    comment=c.comment,
                )
                for c in comments
            )
        flags = await ctx.uow.citizen.flags([unit_id], ctx.now() - timedelta(days=30))
        lines.extend(
            ctx.t(
                "ikm.flag_line",
                service=f.service_code,
                count=f.count,
                when=ctx.t.short_day(f.window_start.date()),
            )
            for f in flags
        )
    buttons = (
        (Button(ctx.t("btn.ikm_xlsx"), IKM_FILE.pack(u=unit_id, p=period)),),
        *_period_buttons(ctx, unit_id),
        *ctx.back_to_menu(),
    )
    replies: list[Reply] = []
    if result.ikm.respondents:
        replies.append(
            Image(
                data=_chart(ctx, result, period),
                caption=ctx.t("ikm.chart_caption"),
                filename=f"ikm-{result.unit_code}-{period}.png",
            )
        )
    replies.append(Text(text="\n".join(lines), buttons=buttons))
    return replies


def _period_buttons(ctx: ChatContext, unit_id: int) -> tuple[tuple[Button, ...], ...]:
    assert ctx.person is not None
    today = local_now(ctx.person, ctx.now()).date()
    quarter = (today.month - 1) // 3 + 1
    choices = [
        (ctx.t("btn.ikm_month"), f"{today:%Y-%m}"),
        (ctx.t("btn.ikm_quarter"), f"{today:%Y}-Q{quarter}"),
        (ctx.t("btn.ikm_year"), f"{today:%Y}"),
    ]
    return (tuple(Button(label, IKM_VIEW.pack(u=unit_id, p=code)) for label, code in choices),)


def _ikm_line(ctx: ChatContext, name: str, ikm: Ikm, ratings: int) -> str:
    if not ikm.respondents or ikm.grade is None:
        return ctx.t("ikm.line_empty", name=name, ratings=ratings)
    return ctx.t(
        "ikm.line",
        name=name,
        value=ctx.t.fixed(to_2dp(ikm.converted)),
        grade=ikm.grade.value,
        quality=ctx.t(f"ikm.grade.{ikm.grade.value}"),
        respondents=ikm.respondents,
        ratings=ratings,
    )


def _chart(ctx: ChatContext, result: UnitIkm, period: str) -> bytes:
    ikm = result.ikm
    assert ikm.grade is not None
    plain = html.unescape  # the chart draws plain text, not mini HTML
    return ikm_chart(
        ikm,
        IkmLabels(
            title=plain(ctx.t("ikm.chart_title", unit=result.unit_name, period=period)),
            elements=[plain(ctx.t(f"citizen.unsur.{key}.name")) for key in ELEMENT_KEYS],
            y_axis=plain(ctx.t("ikm.chart_axis")),
            footer=plain(
                ctx.t(
                    "ikm.chart_footer",
                    value=ctx.t.fixed(to_2dp(ikm.converted)),
                    grade=ikm.grade.value,
                    respondents=ikm.respondents,
                )
            ),
        ),
    )


@router.button(IKM_FILE, access=Access.ATASAN)
async def ikm_file(ctx: ChatContext, event: ButtonPress) -> Reply:
    try:
        values = IKM_FILE.unpack(event.payload)
        unit_id, period = int(values["u"]), values["p"]
        first, last = period_bounds(period)
    except (PayloadError, ValueError):
        return Text(text=ctx.t("citizen.admin.stale"), buttons=ctx.back_to_menu())
    if not await _allowed_unit(ctx, unit_id):
        return Text(text=ctx.t("auth.forbidden"), buttons=ctx.back_to_menu())
    result = await ikm_per_unit(ctx.uow, unit_id, first, last)
    if result is None:
        return Text(text=ctx.t("citizen.admin.stale"), buttons=ctx.back_to_menu())
    return Document(
        data=ikm_workbook(ctx.t, result, period),
        filename=f"ikm-{result.unit_code.lower()}-{period.lower()}.xlsx",
        mime_type=XLSX_MIME,
        caption=ctx.t("ikm.file_caption", unit=result.unit_name, period=period),
    )


def ikm_workbook(translate: Any, result: UnitIkm, period: str) -> bytes:
    """The XLSX export, shared by chat and `kinerja report ikm`."""

    def t(key: str, **params: object) -> str:  # cells are plain text, not mini HTML
        return html.unescape(str(translate(key, **params)))

    blocks = [
        IkmSheet(f"{r.service.code} {r.service.name}", r.ikm, r.ratings) for r in result.services
    ]
    blocks.append(IkmSheet(str(t("ikm.unit_total")), result.ikm, result.ratings))
    return ikm_xlsx(
        str(t("ikm.chart_title", unit=result.unit_name, period=period)),
        [str(t(f"citizen.unsur.{key}.name")) for key in ELEMENT_KEYS],
        blocks,
        [
            str(t(f"ikm.col.{c}"))
            for c in ("name", "respondents", "ratings", "value", "converted", "grade", "quality")
        ],
        {g: str(t(f"ikm.grade.{g}")) for g in "ABCD"},
    )


# --- complaints -------------------------------------------------------------------------------


@router.command("pengaduan", "complaints", access=Access.ADMIN)
@router.button(COMPLAINTS, access=Access.ADMIN)
async def complaint_list(ctx: ChatContext, _event: Inbound) -> Reply:
    assert ctx.person is not None
    scope = await scope_of(ctx.uow, ctx.person)
    active = await ctx.uow.citizen.complaints(scope, complaints.ACTIVE)
    if not active:
        return Text(text=ctx.t("complaints.none"), buttons=ctx.back_to_menu())
    buttons = [Button(c.ticket, COMPLAINT.pack(c=c.id)) for c in active]
    lines = [ctx.t("complaints.title", count=len(active))]
    lines.extend(
        ctx.t(
            "complaints.line",
            ticket=c.ticket,
            service=c.service_name,
            status=ctx.t(f"citizen.status.{c.status}"),
            due=ctx.t.short_day(c.due_on),
        )
        for c in active
    )
    return Text(
        text="\n".join(lines), buttons=(*keyboard(buttons, per_row=2), *ctx.back_to_menu())
    )


def _card(ctx: ChatContext, complaint: ComplaintRecord, lead: str | None = None) -> Text:
    lines = [lead] if lead else []
    lines.append(
        ctx.t(
            "complaints.card",
            ticket=complaint.ticket,
            service=complaint.service_name,
            status=ctx.t(f"citizen.status.{complaint.status}"),
            due=ctx.t.day(complaint.due_on),
            text=complaint.text,
        )
    )
    if complaint.contact_name or complaint.contact_phone:
        lines.append(
            ctx.t(
                "complaints.contact",
                name=complaint.contact_name or "—",
                phone=complaint.contact_phone or "—",
            )
        )
    if complaint.photo_ref:
        lines.append(ctx.t("complaints.photo"))
    if complaint.reply_to is None:
        lines.append(ctx.t("complaints.no_reply_channel"))
    if complaint.answer:
        lines.append(ctx.t("citizen.ticket.answer", answer=complaint.answer))
    buttons: list[tuple[Button, ...]] = []
    if complaint.status != complaints.RESOLVED:
        buttons.append(
            (
                Button(ctx.t("btn.complaint_answer"), ANSWER.pack(c=complaint.id)),
                Button(ctx.t("btn.complaint_resolve"), RESOLVE.pack(c=complaint.id)),
            )
        )
    return Text(text="\n\n".join(lines), buttons=(*buttons, *ctx.back_to_menu()))


async def _complaint_of(ctx: ChatContext, payload: Payload, data: str) -> ComplaintRecord | Text:
    assert ctx.person is not None
    try:
        complaint_id = int(payload.unpack(data)["c"])
    except (PayloadError, ValueError):
        return Text(text=ctx.t("citizen.admin.stale"), buttons=ctx.back_to_menu())
    try:
        return await complaints.visible_complaint(ctx.uow, ctx.person, complaint_id)
    except complaints.ComplaintRefused as refused:
        return Text(text=ctx.t(refused.key), buttons=ctx.back_to_menu())


@router.button(COMPLAINT, access=Access.ADMIN)
async def complaint_card(ctx: ChatContext, event: ButtonPress) -> Reply:
    found = await _complaint_of(ctx, COMPLAINT, event.payload)
    return found if isinstance(found, Text) else _card(ctx, found)


@router.button(ANSWER, access=Access.ADMIN)
async def answer_start(ctx: ChatContext, event: ButtonPress) -> Reply:
    found = await _complaint_of(ctx, ANSWER, event.payload)
    if isinstance(found, Text):
        return found
    if found.status == complaints.RESOLVED:
        return _card(ctx, found, ctx.t("citizen.complaint.closed"))
    ctx.state.enter(FLOW, "answer", complaint=found.id)
    return Text(text=ctx.t("complaints.ask_answer", ticket=found.ticket, max=MAX_ANSWER))


@router.text(FLOW, access=Access.ADMIN)
async def answer_typed(ctx: ChatContext, event: TextMessage) -> HandlerResult:
    assert ctx.person is not None
    if ctx.state.step != "answer":
        return SKIP
    text = event.text.strip()
    if not 3 <= len(text) <= MAX_ANSWER:
        return Text(text=ctx.t("complaints.answer_length", max=MAX_ANSWER, length=len(text)))
    try:
        updated = await complaints.answer(
            ctx.uow, ctx.person, int(ctx.state.data["complaint"]), text, ctx.now()
        )
    except complaints.ComplaintRefused as refused:
        ctx.state.clear()
        return Text(text=ctx.t(refused.key), buttons=ctx.back_to_menu())
    ctx.state.clear()
    return _card(ctx, updated, ctx.t("complaints.answered", ticket=updated.ticket))


@router.button(RESOLVE, access=Access.ADMIN)
async def resolve(ctx: ChatContext, event: ButtonPress) -> Reply:
    assert ctx.person is not None
    found = await _complaint_of(ctx, RESOLVE, event.payload)
    if isinstance(found, Text):
        return found
    try:
        updated = await complaints.resolve(ctx.uow, ctx.person, found.id, ctx.now())
    except complaints.ComplaintRefused as refused:
        return _card(ctx, found, ctx.t(refused.key))
    return _card(ctx, updated, ctx.t("complaints.resolved", ticket=updated.ticket))


async def _push_card(ctx: ChatContext, payload: Mapping[str, Any], lead_key: str) -> list[Reply]:
    if ctx.person is None:
        return []
    try:
        complaint = await complaints.visible_complaint(
            ctx.uow, ctx.person, int(payload["complaint"])
        )
    except complaints.ComplaintRefused:
        return []
    if lead_key != "complaints.push_new" and complaint.status != complaints.OPEN:
        return []  # answered meanwhile: no reminder, no escalation notice
    return [_card(ctx, complaint, ctx.t(lead_key, ticket=complaint.ticket))]


@router.push(complaints.NEW)
async def push_new(ctx: ChatContext, payload: Mapping[str, Any]) -> list[Reply]:
    return await _push_card(ctx, payload, "complaints.push_new")


@router.push(complaints.DUE)
async def push_due(ctx: ChatContext, payload: Mapping[str, Any]) -> list[Reply]:
    return await _push_card(ctx, payload, "complaints.push_due")


@router.push(complaints.ESCALATED)
async def push_late(ctx: ChatContext, payload: Mapping[str, Any]) -> list[Reply]:
    return await _push_card(ctx, payload, "complaints.push_late")


# --- catalog ----------------------------------------------------------------------------------


@router.command("layanan", "services", access=Access.ADMIN)
async def services(ctx: ChatContext, event: Command) -> Reply:
    """`/layanan` lists; `/layanan tambah KODE UNIT Nama` adds; `/layanan loket KODE LOKET [NIP]`
    adds a counter (with its officer)."""
    assert ctx.person is not None
    scope = await scope_of(ctx.uow, ctx.person)
    words = event.args.split()
    try:
        if words and words[0].lower() in ("tambah", "add") and len(words) >= 4:
            unit_id = await ctx.uow.citizen.unit_id_by_code(words[2])
            if unit_id is not None and scope is not None and unit_id not in scope:
                return Text(text=ctx.t("auth.forbidden"), buttons=ctx.back_to_menu())
            added = await add_service(ctx.uow, words[1], " ".join(words[3:]), words[2])
            return Text(
                text=ctx.t("services.added", code=added.code, name=added.name),
                buttons=ctx.back_to_menu(),
            )
        if words and words[0].lower() in ("loket", "counter") and len(words) in (3, 4):
            service = await ctx.uow.citizen.service(words[1].upper())
            if service is not None and scope is not None and service.unit_id not in scope:
                return Text(text=ctx.t("auth.forbidden"), buttons=ctx.back_to_menu())
            counter = await add_counter(
                ctx.uow, words[1], words[2], words[3] if len(words) == 4 else None
            )
            return Text(
                text=ctx.t("services.counter_added", code=words[1].upper(), counter=counter.code),
                buttons=ctx.back_to_menu(),
            )
    except CatalogError as error:
        return Text(text=ctx.t(error.key, **error.values), buttons=ctx.back_to_menu())
    if words:
        return Text(text=ctx.t("services.usage"), buttons=ctx.back_to_menu())
    listed = await ctx.uow.citizen.services(scope)
    if not listed:
        return Text(
            text=ctx.t("services.none") + "\n\n" + ctx.t("services.usage"),
            buttons=ctx.back_to_menu(),
        )
    lines = [ctx.t("services.title")]
    for service in listed:
        counters = ", ".join(c.code for c in await ctx.uow.citizen.counters(service.id))
        lines.append(
            ctx.t(
                "services.line",
                code=service.code,
                name=service.name,
                unit=service.unit_code,
                counters=counters or "—",
            )
        )
    lines.append(ctx.t("services.usage"))
    return Text(text="\n".join(lines), buttons=ctx.back_to_menu())


# --- attribution --------------------------------------------------------------------------------


@router.command("nilai_warga", "citizen_ratings", access=Access.REGISTERED)
async def my_ratings(ctx: ChatContext, _event: Command) -> Reply:
    """Citizens' quick ratings attributed to this ASN (as a counter's or service's officer),
    this month and this year; an atasan sees each staff member's too."""
    assert ctx.person is not None
    today = local_now(ctx.person, ctx.now()).date()
    month, year = period_bounds(f"{today:%Y-%m}"), period_bounds(f"{today:%Y}")
    lines = [ctx.t("attribution.title")]
    people = [(ctx.person.id, ctx.person.name)]
    people += [(sid, name) for sid, name in await ctx.uow.employees.staff_ids(ctx.person.id)]
    for employee_id, name in people:
        in_month = await ctx.uow.citizen.officer_ratings(employee_id, *month)
        in_year = await ctx.uow.citizen.officer_ratings(employee_id, *year)
        lines.append(
            ctx.t(
                "attribution.line",
                name=name,
                month=in_month[0],
                month_avg=_average(ctx, in_month),
                year=in_year[0],
                year_avg=_average(ctx, in_year),
            )
        )
    return Text(text="\n".join(lines), buttons=ctx.back_to_menu())


def _average(ctx: ChatContext, counted: tuple[int, float]) -> str:
    count, average = counted
    if not count:
        return "—"
    return ctx.t.number(Decimal(str(round(average, 2))))
