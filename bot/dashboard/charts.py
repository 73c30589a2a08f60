"""Charts drawn as inline SVG on the server: no script, no image files, readable by screen
readers (a title and a description) and backed by the same numbers in a table next to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Drawn at about a phone's width, so its 14-unit text stays readable when scaled to fit.
WIDTH = 480
LABEL_WIDTH = 120
VALUE_WIDTH = 100
ROW = 30
BAR = 20


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    text: str  # the value as the reader writes it ("1.234 menit")


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """A horizontal bar chart, bars scaled to the largest value."""
    height = max(len(bars), 1) * ROW + 8
    top = max((bar.value for bar in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = 4 + index * ROW
        width = round(span * max(bar.value, 0) / top, 1)
        label = bar.label if len(bar.label) <= 14 else bar.label[:13] + "…"
        parts.append(
            f'<g class="bar"><text x="{LABEL_WIDTH - 8}" y="{y + BAR - 4}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR}" rx="3">'
            f"<title>{escape(bar.label)}: {escape(bar.text)}</title></rect>"
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + BAR - 4}">{escape(bar.text)}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text and attribute above is escaped
