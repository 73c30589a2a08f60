"""IKM renderings: a per-element bar chart (PNG) and the XLSX export (per-element table with
respondent counts, per service and for the unit).

Both take plain labels so the caller chooses the language; matplotlib and openpyxl are only
touched when someone asks.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kinerja.ikm import Ikm, to_2dp

DPI = 150


@dataclass(frozen=True, slots=True)
class IkmLabels:
    title: str
    elements: Sequence[str]  # nine short element names
    y_axis: str
    footer: str  # e.g. "IKM 82,50 (B) · 40 responden"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot

    return pyplot


def _avg(value: Fraction) -> float:
    return float(value)


def ikm_chart(ikm: Ikm, labels: IkmLabels) -> bytes:
    """Horizontal bars of each element's average (1-4) with the value printed on each."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(1080 / DPI, 1080 / DPI), dpi=DPI)
    try:
        values = [_avg(v) for v in ikm.element_averages]
        positions = list(range(len(values)))[::-1]
        colours = [
            "#2e7d32"
            if v >= 3.5
            else "#1565c0"
            if v >= 3.0
            else "#ef6c00"
            if v >= 2.6
            else "#c62828"
            for v in values
        ]
        axes.barh(positions, values, color=colours)
        axes.set_yticks(positions, labels=list(labels.elements), fontsize=8)
        axes.set_xlim(0, 4)
        axes.set_xticks([0, 1, 2, 3, 4])
        axes.set_xlabel(labels.y_axis, fontsize=8)
        for position, value in zip(positions, values, strict=True):
            axes.text(min(value + 0.05, 3.7), position, f"{value:.2f}", va="center", fontsize=7)
        axes.set_title(labels.title, fontsize=10)
        figure.text(0.5, 0.02, labels.footer, ha="center", fontsize=9)
        figure.tight_layout(rect=(0, 0.05, 1, 1))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        pyplot.close(figure)


@dataclass(frozen=True, slots=True)
class IkmSheet:
    """One block of the export: a service or the whole unit."""

    name: str
    ikm: Ikm
    ratings: int


def ikm_xlsx(
    title: str,
    element_names: Sequence[str],
    blocks: Sequence[IkmSheet],
    headers: Sequence[str],
    grade_names: dict[str, str],
) -> bytes:
    """One sheet: per block, a row with respondents, each element's average (3 decimals),
    the IKM value (1-4), the converted IKM (x25, 2 decimals) and the grade.

    `headers`: (name, respondents, quick ratings, IKM, IKM x25, grade, mutu)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "IKM"
    sheet.append([title])
    name, respondents, ratings, value, converted, grade, quality = headers
    sheet.append([name, respondents, ratings, *element_names, value, converted, grade, quality])
    for block in blocks:
        ikm = block.ikm
        averages = [_3dp(v) if ikm.respondents else None for v in ikm.element_averages]
        sheet.append(
            [
                block.name,
                ikm.respondents,
                block.ratings,
                *averages,
                _3dp(ikm.value) if ikm.respondents else None,
                float(to_2dp(ikm.converted)) if ikm.respondents else None,
                ikm.grade.value if ikm.grade else "—",
                grade_names.get(ikm.grade.value, "") if ikm.grade else "",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _3dp(value: Fraction) -> float:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.001")))
