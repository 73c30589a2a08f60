"""The progress chart: cumulative realisation per RHK against the straight-line yearly target.

A PNG sized for a phone (1080 x 1080 px, large type). matplotlib is imported on first use, with
the Agg backend (no display), so the service starts fast and idles small until someone asks.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from kinerja.progress import ChartSeries

WIDTH_PX = 1080
HEIGHT_PX = 1080
DPI = 150
MAX_SERIES = 8


@dataclass(frozen=True, slots=True)
class ChartLabels:
    title: str
    target_line: str
    y_axis: str
    today: str


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot

    return pyplot


def progress_chart(
    series: Sequence[ChartSeries], year: int, today: date, labels: ChartLabels
) -> bytes:
    """PNG bytes, `WIDTH_PX` x `HEIGHT_PX`."""
    plt = _pyplot()
    from matplotlib.dates import DateFormatter, MonthLocator

    figure = plt.figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    try:
        axes = figure.add_subplot(1, 1, 1)
        start, end = date(year, 1, 1), date(year, 12, 31)
        axes.plot(
            [start, end], [0, 100], linestyle="--", color="#888888", label=labels.target_line
        )
        top = 100.0
        for item in list(series)[:MAX_SERIES]:
            days = [day for day, _ in item.points]
            values = [value for _, value in item.points]
            top = max(top, *values)
            title = item.title if len(item.title) <= 28 else item.title[:27] + "…"
            axes.step(days, values, where="post", linewidth=2.5, label=f"#{item.number} {title}")
        axes.axvline(today, color="#cc3333", linewidth=1, linestyle=":")
        axes.text(today, top * 1.02, labels.today, color="#cc3333", fontsize=9, ha="center")
        axes.set_xlim(start, end)
        axes.set_ylim(0, top * 1.1)
        axes.set_ylabel(labels.y_axis, fontsize=11)
        axes.set_title(labels.title, fontsize=13, fontweight="bold")
        axes.xaxis.set_major_locator(MonthLocator())  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_formatter(DateFormatter("%m"))  # type: ignore[no-untyped-call]
        axes.grid(True, alpha=0.3)
        axes.legend(loc="upper left", fontsize=8, framealpha=0.9)
        figure.subplots_adjust(left=0.11, right=0.97, top=0.92, bottom=0.07)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()
    finally:
        plt.close(figure)
