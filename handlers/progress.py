"""`/capaian`: progress against the SKP (text bars and a chart) and the month's minutes.

Realisation counts approved entries; what still waits for the atasan is shown beside it.
"""

from __future__ import annotations

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.events import Inbound
from bot.chat.replies import Button, Image, Markup, Reply, Text
from bot.chat.router import Access, Router
from bot.render.progress_chart import ChartLabels, progress_chart
from kinerja.people import MenuRole
from kinerja.progress import text_bar
from kinerja.services.progress import ProgressReport, chart_series, progress_of

router = Router("progress")
PROGRESS = Payload("pg")
CHART = Payload("pc")
SKP = Payload("sk")  # the SKP itself: handled by handlers.skp
router.menu_item("btn.progress", PROGRESS.pack(), *MenuRole, order=4)


@router.command("capaian", "progress", access=Access.REGISTERED)
@router.button(PROGRESS, access=Access.REGISTERED)
async def show_progress(ctx: ChatContext, _event: Inbound) -> Text:
    assert ctx.person is not None
    report = await progress_of(
        ctx.uow, ctx.person, ctx.now(), daily_minutes=ctx.policy.daily_minutes
    )
    lines = [ctx.t("progress.title", year=report.year, date=ctx.t.day(report.today))]
    if not report.rhk:
        lines.append(ctx.t("progress.no_skp", year=report.year))
    for item in report.rhk:
        lines.append(
            ctx.t(
                "progress.rhk_row",
                number=item.number,
                title=item.title,
                bar=item.bar,
                percent=ctx.t.number(item.percent),
                approved=ctx.t.number(item.approved),
                target=ctx.t.number(item.target),
                unit=item.unit,
            )
        )
        if item.pending:
            lines.append(
                ctx.t("progress.rhk_pending", pending=ctx.t.number(item.pending), unit=item.unit)
            )
    lines.append(_minutes_text(ctx, report))
    buttons: list[tuple[Button, ...]] = []
    if report.rhk:
        buttons.append(
            (
                Button(ctx.t("btn.chart"), CHART.pack()),
                Button(ctx.t("btn.skp"), SKP.pack()),
            )
        )
    return Text(text=Markup("\n\n".join(lines)), buttons=(*buttons, *ctx.back_to_menu()))


def _minutes_text(ctx: ChatContext, report: ProgressReport) -> Markup:
    month = report.month
    text = ctx.t(
        "progress.minutes",
        bar=text_bar(month.percent),
        percent=ctx.t.number(month.percent),
        achieved=ctx.t.number(month.achieved),
        required=ctx.t.number(month.required),
        days=month.working_days,
        daily=month.daily_minutes,
        approved=ctx.t.number(month.approved),
        to_date=ctx.t.number(month.required_to_date),
    )
    extra: list[str] = [text]
    if month.leave_days:
        extra.append(
            ctx.t(
                "progress.leave_credit",
                days=month.leave_days,
                minutes=ctx.t.number(month.credited),
            )
        )
    if month.pending:
        extra.append(ctx.t("progress.minutes_pending", minutes=ctx.t.number(month.pending)))
    return Markup("\n".join(extra))


@router.button(CHART, access=Access.REGISTERED)
async def show_chart(ctx: ChatContext, _event: Inbound) -> Reply:
    assert ctx.person is not None
    report = await progress_of(
        ctx.uow, ctx.person, ctx.now(), daily_minutes=ctx.policy.daily_minutes
    )
    if not report.rhk:
        return Text(text=ctx.t("progress.no_skp", year=report.year), buttons=ctx.back_to_menu())
    series = await chart_series(ctx.uow, ctx.person, report)
    labels = ChartLabels(
        title=str(ctx.t("progress.chart_title", year=report.year)),
        target_line=str(ctx.t("progress.chart_target")),
        y_axis=str(ctx.t("progress.chart_axis")),
        today=str(ctx.t("progress.chart_today")),
    )
    data = progress_chart(series, report.year, report.today, labels)
    return Image(
        data=data,
        caption=str(ctx.t("progress.chart_caption", year=report.year)),
        filename=f"capaian-{report.year}.png",
    )
