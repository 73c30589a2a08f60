"""A printable A5 QR poster for a service counter, as PNG (300 dpi) and PDF.

The QR code is drawn from segno's module matrix as an image (sharp edges at any scale), with a
quiet zone of four modules as the standard asks, so phone cameras read it from a printed sheet.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

A5_INCHES = (148 / 25.4, 210 / 25.4)
PNG_DPI = 300


@dataclass(frozen=True, slots=True)
class PosterText:
    agency: str
    service: str
    unit: str
    counter: str  # "" without a counter
    heading: str  # "Bagaimana pelayanan kami?"
    steps: tuple[str, ...]  # short instructions, one line each
    link: str  # the deep link, printed under the code for those who cannot scan


@dataclass(frozen=True, slots=True)
class Poster:
    png: bytes
    pdf: bytes


def qr_matrix(data: str) -> list[list[int]]:
    """The QR code's modules (1 dark) including the quiet zone; error correction M."""
    import segno

    code = segno.make_qr(data, error="m")
    return [[1 if module else 0 for module in row] for row in code.matrix_iter(border=4)]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot

    return pyplot


def qr_poster(text: PosterText) -> Poster:
    pyplot = _pyplot()
    figure = pyplot.figure(figsize=A5_INCHES)
    try:
        figure.text(0.5, 0.95, text.agency, ha="center", va="top", fontsize=13, wrap=True)
        figure.text(
            0.5,
            0.90,
            text.service,
            ha="center",
            va="top",
            fontsize=20,
            fontweight="bold",
            wrap=True,
        )
        subtitle = text.unit + (f" · {text.counter}" if text.counter else "")
        figure.text(0.5, 0.84, subtitle, ha="center", va="top", fontsize=11, color="#444444")
        figure.text(0.5, 0.79, text.heading, ha="center", va="top", fontsize=15)
        axes = figure.add_axes((0.2, 0.33, 0.6, 0.6 * A5_INCHES[0] / A5_INCHES[1] * 1.0))
        matrix = qr_matrix(text.link)
        axes.imshow(matrix, cmap="binary", interpolation="nearest", vmin=0, vmax=1)
        axes.set_axis_off()
        axes.set_aspect("equal")
        # The square axes sized in figure fractions: width 0.6 of 148 mm, same height in mm.
        side = 0.6 * A5_INCHES[0]
        axes.set_position((0.2, 0.30, 0.6, side / A5_INCHES[1]))
        for index, step in enumerate(text.steps):
            figure.text(0.1, 0.24 - index * 0.035, step, ha="left", va="top", fontsize=10)
        figure.text(0.5, 0.04, text.link, ha="center", va="bottom", fontsize=8, color="#333333")
        png, pdf = io.BytesIO(), io.BytesIO()
        figure.savefig(png, format="png", dpi=PNG_DPI)
        figure.savefig(pdf, format="pdf")
        return Poster(png.getvalue(), pdf.getvalue())
    finally:
        pyplot.close(figure)
