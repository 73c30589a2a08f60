"""Rating a service: from a QR deep link or a list, a quick 1-4, then the optional nine-element
SKM (one question per element), then an optional comment.

One rating per citizen per service per day (a later one updates it). A survey left half-way
keeps its answers but is not complete, so it does not count in the IKM.
"""

from __future__ import annotations

from bot.chat.callbacks import PayloadError
from bot.chat.citizen_gate import citizen_turn
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Command, TextMessage
from bot.chat.replies import Button, Reply, Text, keyboard
from bot.chat.router import SKIP, Access, HandlerResult, Router
from handlers.citizen.common import (
    ANSWER,
    COMMENT,
    COMPLAIN,
    DONE,
    FLOW,
    LIST,
    PICK,
    QUICK,
    SURVEY,
    back,
    citizen_id,
    citizen_menu,
    quick_buttons,
    service_page,
)
from kinerja.citizen import MAX_COMMENT, BadLink, parse_quick_rating, parse_service_link
from kinerja.ikm import ELEMENT_KEYS, ELEMENTS
from kinerja.services import citizen as citizen_service
from kinerja.services.citizen import CounterRecord, ServiceRecord

router = Router("citizen_rating")


@router.command("start", "mulai", "menu", access=Access.PUBLIC)
async def start(ctx: ChatContext, event: Command) -> Reply:
    ctx.state.clear()
    if not event.args:
        return citizen_menu(ctx)
    try:
        link = parse_service_link(event.args)
    except BadLink:
        return await _service_list(ctx, ctx.t("citizen.link.bad"))
    service = await ctx.uow.citizen.service(link.service)
    if service is None or not service.active:
        return await _service_list(ctx, ctx.t("citizen.link.unknown", code=link.service))
    counter = None
    if link.counter is not None:
        counter = await ctx.uow.citizen.counter(service.id, link.counter)
        # An unknown counter still rates the service; only the attribution is lost.
    return await _ask_quick(ctx, service, counter)


@router.button(LIST, access=Access.PUBLIC)
async def service_list(ctx: ChatContext, event: ButtonPress) -> Reply:
    try:
        page = int(LIST.unpack(event.payload)["p"])
    except (PayloadError, ValueError):
        page = 0
    if ctx.state.step != "complaint_service":
        ctx.state.clear()
    return await service_page(ctx, page)


async def _service_list(ctx: ChatContext, lead: str | None) -> Text:
    ctx.state.clear()
    return await service_page(ctx, 0, lead)


@router.button(PICK, access=Access.PUBLIC)
async def pick(ctx: ChatContext, event: ButtonPress) -> Reply:
    service = await _service_from(ctx, PICK, event.payload)
    if service is None:
        return await _service_list(ctx, ctx.t("citizen.link.unknown", code="?"))
    return await _ask_quick(ctx, service, None)


async def _service_from(ctx: ChatContext, payload: object, data: str) -> ServiceRecord | None:
    try:
        values = payload.unpack(data)  # type: ignore[attr-defined]
        service_id = int(values["s"])
    except (PayloadError, ValueError):
        return None
    service = await ctx.uow.citizen.service_by_id(service_id)
    return service if service is not None and service.active else None


async def _ask_quick(
    ctx: ChatContext, service: ServiceRecord, counter: CounterRecord | None
) -> Text:
    ctx.state.enter(FLOW, "rate", service=service.id, counter=counter.id if counter else 0)
    where = ctx.t("citizen.counter", counter=counter.code) if counter else ""
    text: str = ctx.t(
        "citizen.ask_quick", service=service.name, unit=service.unit_name, where=where
    )
    if await citizen_turn().staff_unit(ctx.uow) == service.unit_id:
        text = f"{ctx.t('citizen.staff_own_unit')}\n\n{text}"
    cid = counter.id if counter else 0
    complain = Button(ctx.t("btn.citizen.complain"), COMPLAIN.pack(s=service.id))
    return Text(text=text, buttons=(*quick_buttons(ctx, service.id, cid), (complain,), *back(ctx)))


@router.button(QUICK, access=Access.PUBLIC)
async def quick_pressed(ctx: ChatContext, event: ButtonPress) -> Reply:
    try:
        values = QUICK.unpack(event.payload)
        service_id, counter_id, score = int(values["s"]), int(values["c"]), int(values["v"])
    except (PayloadError, ValueError):
        return citizen_menu(ctx, ctx.t("citizen.stale"))
    if score not in (1, 2, 3, 4):
        return citizen_menu(ctx, ctx.t("citizen.stale"))
    return await _rate(ctx, service_id, counter_id, score)


@router.text(FLOW, access=Access.PUBLIC)
async def typed(ctx: ChatContext, event: TextMessage) -> HandlerResult:
    step = ctx.state.step
    if step == "rate":
        score = parse_quick_rating(event.text)
        if score is None:
            service = await ctx.uow.citizen.service_by_id(int(ctx.state.data["service"]))
            if service is None:
                return citizen_menu(ctx)
            counter_id = int(ctx.state.data.get("counter", 0))
            return Text(
                text=ctx.t("citizen.quick_invalid"),
                buttons=(*quick_buttons(ctx, service.id, counter_id), *back(ctx)),
            )
        return await _rate(
            ctx, int(ctx.state.data["service"]), int(ctx.state.data.get("counter", 0)), score
        )
    if step == "rated" and "service" in ctx.state.data:
        score = parse_quick_rating(event.text)
        if score is None:
            return SKIP
        # A second thought right after rating: the day's rating is updated.
        return await _rate(
            ctx, int(ctx.state.data["service"]), int(ctx.state.data.get("counter", 0)), score
        )
    if step == "survey":
        return Text(text=ctx.t("citizen.survey_use_buttons"), buttons=_survey_keyboard(ctx))
    if step == "comment":
        return await _comment(ctx, event.text)
    return SKIP


async def _rate(ctx: ChatContext, service_id: int, counter_id: int, score: int) -> Reply:
    service = await ctx.uow.citizen.service_by_id(service_id)
    if service is None or not service.active:
        return await _service_list(ctx, ctx.t("citizen.link.unknown", code="?"))
    turn = citizen_turn()
    if await turn.staff_unit(ctx.uow) == service.unit_id:
        ctx.state.clear()
        return citizen_menu(ctx, ctx.t("citizen.staff_refused"))
    counters = await ctx.uow.citizen.counters(service.id) if counter_id else []
    counter = next((c for c in counters if c.id == counter_id), None)
    rating_id = await citizen_service.rate(
        ctx.uow,
        citizen_id=await citizen_id(ctx),
        service=service,
        counter=counter,
        score=score,
        channel=turn.channel,
        now=ctx.now(),
        policy=turn.policy,
    )
    ctx.state.enter(
        FLOW, "rated", rating=rating_id, service=service.id, counter=counter.id if counter else 0
    )
    return Text(
        text=ctx.t("citizen.thanks_quick", service=service.name),
        buttons=(
            (Button(ctx.t("btn.citizen.survey"), SURVEY.pack(r=rating_id)),),
            (Button(ctx.t("btn.citizen.comment"), COMMENT.pack(r=rating_id)),),
            (Button(ctx.t("btn.citizen.done"), DONE.pack()),),
        ),
    )


@router.button(SURVEY, access=Access.PUBLIC)
async def survey_start(ctx: ChatContext, event: ButtonPress) -> Reply:
    rating_id = await _own_rating(ctx, SURVEY, event.payload)
    if rating_id is None:
        return citizen_menu(ctx, ctx.t("citizen.stale"))
    ctx.state.enter(FLOW, "survey", rating=rating_id, element=1)
    return _question(ctx, rating_id, 1)


async def _own_rating(ctx: ChatContext, payload: object, data: str) -> int | None:
    try:
        rating_id = int(payload.unpack(data)["r"])  # type: ignore[attr-defined]
    except (PayloadError, ValueError):
        return None
    owner = await ctx.uow.citizen.rating_owner(rating_id)
    return rating_id if owner is not None and owner == await citizen_id(ctx) else None


def _question(ctx: ChatContext, rating_id: int, element: int) -> Text:
    key = ELEMENT_KEYS[element - 1]
    text = ctx.t(
        "citizen.survey_question",
        n=element,
        total=ELEMENTS,
        question=ctx.t(f"citizen.unsur.{key}.question"),
    )
    buttons = [
        Button(ctx.t(f"citizen.unsur.{key}.{score}"), ANSWER.pack(r=rating_id, e=element, v=score))
        for score in (4, 3, 2, 1)
    ]
    return Text(text=text, buttons=(*keyboard(buttons, per_row=2), *back(ctx)))


def _survey_keyboard(ctx: ChatContext) -> tuple[tuple[Button, ...], ...]:
    rating_id = int(ctx.state.data.get("rating", 0))
    element = int(ctx.state.data.get("element", 1))
    return _question(ctx, rating_id, element).buttons


@router.button(ANSWER, access=Access.PUBLIC)
async def survey_answer(ctx: ChatContext, event: ButtonPress) -> Reply:
    try:
        values = ANSWER.unpack(event.payload)
        rating_id, element, score = int(values["r"]), int(values["e"]), int(values["v"])
    except (PayloadError, ValueError):
        return citizen_menu(ctx, ctx.t("citizen.stale"))
    complete = await citizen_service.answer_element(
        ctx.uow, ctx.identity.external_id, rating_id, element, score, ctx.now()
    )
    if complete is None:
        return citizen_menu(ctx, ctx.t("citizen.stale"))
    if element < ELEMENTS:
        ctx.state.enter(FLOW, "survey", rating=rating_id, element=element + 1)
        return _question(ctx, rating_id, element + 1)
    if not complete:  # an earlier question was skipped (an old message pressed): ask it
        ctx.state.enter(FLOW, "survey", rating=rating_id, element=1)
        return _question(ctx, rating_id, 1)
    ctx.state.enter(FLOW, "rated", rating=rating_id)
    return Text(
        text=ctx.t("citizen.survey_done"),
        buttons=(
            (Button(ctx.t("btn.citizen.comment"), COMMENT.pack(r=rating_id)),),
            (Button(ctx.t("btn.citizen.done"), DONE.pack()),),
        ),
    )


@router.button(COMMENT, access=Access.PUBLIC)
async def comment_start(ctx: ChatContext, event: ButtonPress) -> Reply:
    rating_id = await _own_rating(ctx, COMMENT, event.payload)
    if rating_id is None:
        return citizen_menu(ctx, ctx.t("citizen.stale"))
    ctx.state.enter(FLOW, "comment", rating=rating_id)
    return Text(text=ctx.t("citizen.ask_comment", max=MAX_COMMENT), buttons=back(ctx))


async def _comment(ctx: ChatContext, text: str) -> Reply:
    cleaned = text.strip()
    if len(cleaned) > MAX_COMMENT:
        return Text(
            text=ctx.t("citizen.comment_too_long", max=MAX_COMMENT, length=len(cleaned)),
            buttons=back(ctx),
        )
    if len(cleaned) < 2:
        return Text(text=ctx.t("citizen.ask_comment", max=MAX_COMMENT), buttons=back(ctx))
    await ctx.uow.citizen.set_comment(int(ctx.state.data["rating"]), cleaned, ctx.now())
    ctx.state.clear()
    return citizen_menu(ctx, ctx.t("citizen.comment_saved"))


@router.button(DONE, access=Access.PUBLIC)
async def done(ctx: ChatContext, _event: ButtonPress) -> Reply:
    ctx.state.clear()
    return citizen_menu(ctx, ctx.t("citizen.goodbye"))
