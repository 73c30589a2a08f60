"""`/laporan`: the monthly recap in chat, and as XLSX or CSV, scoped to what the viewer may see.

Admins choose a unit (or all units); an atasan gets their own staff. The text and the files come
from the same `monthly_recap`, so their numbers agree.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from bot.chat.callbacks import Payload, PayloadError
from bot.chat.context import ChatContext
from bot.chat.events import ButtonPress, Inbound
from bot.chat.replies import Button, Document, Markup, Reply, Text, keyboard
from bot.chat.router import Access, Router
from bot.render.recap_file import recap_csv, recap_filename, recap_xlsx
from kinerja.evaluation import PeriodKind
from kinerja.people import MenuRole, Role, local_now
from kinerja.recap import Recap, parse_month
from kinerja.services.admin_scope import scope_of
from kinerja.services.recap import ALL_UNITS, UnknownUnit, recap_for

router = Router("report")
START = Payload("rs")
VIEW = Payload("rp", "u", "m")  # u: a unit code, "ALL", or "team"
FILE = Payload("rf", "u", "m", "f")  # f: xlsx or csv
TEAM = "team"
SHOWN_ROWS = 15
router.menu_item("btn.report", START.pack(), MenuRole.ADMIN, order=22)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.command("laporan", "report", access=Access.ATASAN)
@router.button(START, access=Access.ATASAN)
async def start(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    month = local_now(ctx.person, ctx.now()).date().replace(day=1)
    if ctx.person.role is not Role.ADMIN:
        return await _view(ctx, TEAM, month)
    units = await ctx.uow.performance.units()
    scope = await scope_of(ctx.uow, ctx.person)
    buttons = [
        *(
            (Button(ctx.t("btn.all_units"), VIEW.pack(u=ALL_UNITS, m=f"{month:%Y-%m}")),)
            if scope is None
            else ()
        ),
        *(
            Button(code[:20], VIEW.pack(u=code, m=f"{month:%Y-%m}"))
            for unit_id, code, _name in units
            if _fits(code) and (scope is None or scope.has_unit(unit_id))
        ),
    ]
    return Text(
        text=ctx.t("report.choose_unit"),
        buttons=(*keyboard(buttons, per_row=2), *ctx.back_to_menu()),
    )


@router.button(VIEW, access=Access.ATASAN)
async def view(ctx: ChatContext, event: ButtonPress) -> Reply:
    try:
        values = VIEW.unpack(event.payload)
        month = parse_month(values["m"])
    except (PayloadError, ValueError):
        return Text(text=ctx.t("report.unknown"), buttons=ctx.back_to_menu())
    return await _view(ctx, values["u"], month)


@router.button(FILE, access=Access.ATASAN)
async def download(ctx: ChatContext, event: ButtonPress) -> Reply:
    try:
        values = FILE.unpack(event.payload)
        month = parse_month(values["m"])
        kind = values["f"]
        if kind not in ("xlsx", "csv"):
            raise ValueError(kind)
    except (PayloadError, ValueError):
        return Text(text=ctx.t("report.unknown"), buttons=ctx.back_to_menu())
    recap = await _recap(ctx, values["u"], month)
    if recap is None:
        return Text(text=ctx.t("report.unknown"), buttons=ctx.back_to_menu())

    def header(key: str) -> str:
        return str(ctx.t(f"recap.column.{key}"))

    def predikat(value: str) -> str:
        return str(ctx.t(f"predikat.{value}"))

    if kind == "xlsx":
        data = recap_xlsx(recap, header, predikat, f"{recap.month:%Y-%m}")
        mime = XLSX_MIME
    else:
        data = recap_csv(recap, header, predikat)
        mime = "text/csv"
    return Document(
        data=data,
        filename=recap_filename(recap, kind),
        caption=str(_title(ctx, recap)),
        mime_type=mime,
    )


async def _recap(ctx: ChatContext, unit: str, month: date) -> Recap | None:
    """The recap the viewer may see: non-admins always get their own staff."""
    assert ctx.person is not None
    kind = PeriodKind(ctx.policy.evaluation_period)
    code = None if unit == TEAM else unit
    try:
        return await recap_for(ctx.uow, ctx.person, month, kind, code)
    except UnknownUnit:
        return None


async def _view(ctx: ChatContext, unit: str, month: date) -> Text:
    recap = await _recap(ctx, unit, month)
    if recap is None:
        return Text(text=ctx.t("report.unknown"), buttons=ctx.back_to_menu())
    lines = [str(_title(ctx, recap))]
    lines.append(
        ctx.t(
            "report.totals",
            people=len(recap.rows),
            logged=recap.logged,
            entries=recap.entries,
            minutes=ctx.t.number(recap.minutes),
            approved=_percent(ctx, recap.approved_pct),
            on_time=_percent(ctx, recap.on_time_pct),
            pending=recap.pending,
        )
    )
    if not recap.entries:
        lines.append(ctx.t("report.empty"))
    for number, row in enumerate(recap.rows[:SHOWN_ROWS], 1):
        lines.append(
            ctx.t(
                "report.row",
                number=number,
                name=row.name,
                days=row.days_logged,
                entries=row.entries,
                minutes=ctx.t.number(row.minutes),
                approved=_percent(ctx, row.approved_pct),
                on_time=_percent(ctx, row.on_time_pct),
                pending=row.pending,
                predikat=ctx.t(f"predikat.{row.predikat}") if row.predikat else "—",
            )
        )
    if len(recap.rows) > SHOWN_ROWS:
        lines.append(ctx.t("report.more", count=len(recap.rows) - SHOWN_ROWS))
    m = f"{month:%Y-%m}"
    previous = (month - timedelta(days=1)).replace(day=1)
    rows: list[tuple[Button, ...]] = [
        (
            Button(ctx.t("btn.xlsx"), FILE.pack(u=unit, m=m, f="xlsx")),
            Button(ctx.t("btn.csv"), FILE.pack(u=unit, m=m, f="csv")),
        ),
        (Button(ctx.t("btn.previous_month"), VIEW.pack(u=unit, m=f"{previous:%Y-%m}")),),
    ]
    return Text(text=Markup("\n".join(lines)), buttons=(*rows, *ctx.back_to_menu()))


def _percent(ctx: ChatContext, value: Decimal | None) -> str:
    """`25%`, or "—" for someone with no entries (no denominator), as in the files."""
    return "—" if value is None else f"{ctx.t.number(value)}%"


def _title(ctx: ChatContext, recap: Recap) -> Markup:
    month = ctx.t(f"period.month.{recap.month.month}", year=recap.month.year)
    if recap.scope == ALL_UNITS:
        scope = str(ctx.t("report.scope_all"))
    elif ctx.person is not None and recap.scope == ctx.person.nip:
        scope = str(ctx.t("report.scope_team"))
    else:
        scope = recap.scope
    return ctx.t("report.title", scope=scope, month=month)


def _fits(code: str) -> bool:
    try:
        VIEW.pack(u=code, m="2026-01")
        FILE.pack(u=code, m="2026-01", f="xlsx")
    except PayloadError:
        return False
    return True
