"""IKM (Indeks Kepuasan Masyarakat) from SKM answers, as PermenPANRB 14/2017 defines it.

Arithmetic is exact (fractions): the regulation's weight is 1/9 per element, and a rounded
0.111 weight moves results across grade boundaries. Only complete surveys (all nine elements
answered) count; the caller filters them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

ELEMENTS = 9
SCORES = (1, 2, 3, 4)
WEIGHT = Fraction(1, ELEMENTS)
CONVERSION = 25
# Element keys, in the regulation's order; the locale catalogs name them (citizen.unsur.*).
ELEMENT_KEYS = (
    "persyaratan",
    "prosedur",
    "waktu",
    "biaya",
    "produk",
    "kompetensi",
    "perilaku",
    "pengaduan",
    "sarana",
)


class Grade(StrEnum):
    """Mutu pelayanan by converted IKM."""

    A = "A"  # sangat baik
    B = "B"  # baik
    C = "C"  # kurang baik
    D = "D"  # tidak baik


# Lower bounds of the published bands (25.00-64.99 D, 65.00-76.60 C, 76.61-88.30 B,
# 88.31-100.00 A), compared with >= on the exact value so values between bands get a grade.
GRADE_BOUNDS = (
    (Fraction("88.31"), Grade.A),
    (Fraction("76.61"), Grade.B),
    (Fraction("65.00"), Grade.C),
)


def grade_of(converted: Fraction) -> Grade:
    for bound, grade in GRADE_BOUNDS:
        if converted >= bound:
            return grade
    return Grade.D


def valid_score(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in SCORES


@dataclass(frozen=True, slots=True)
class Ikm:
    """An IKM over `respondents` complete surveys; empty (no grade) when there are none."""

    respondents: int
    element_averages: tuple[Fraction, ...]
    value: Fraction  # Σ average × 1/9, 1..4
    converted: Fraction  # value × 25, 25..100
    grade: Grade | None

    @property
    def converted_2dp(self) -> Decimal:
        return to_2dp(self.converted)

    @property
    def value_3dp(self) -> Decimal:
        return Decimal(self.value.numerator) / Decimal(self.value.denominator)


def to_2dp(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def compute_ikm(surveys: Iterable[Sequence[int]]) -> Ikm:
    """IKM of complete surveys (each nine scores 1-4); raises ValueError on anything else."""
    totals = [0] * ELEMENTS
    respondents = 0
    for answers in surveys:
        if len(answers) != ELEMENTS or not all(valid_score(a) for a in answers):
            raise ValueError(f"a survey needs {ELEMENTS} scores of 1-4, got {answers!r}")
        respondents += 1
        for index, answer in enumerate(answers):
            totals[index] += answer
    if respondents == 0:
        zero = Fraction(0)
        return Ikm(0, tuple(zero for _ in range(ELEMENTS)), zero, zero, None)
    averages = tuple(Fraction(total, respondents) for total in totals)
    value = sum((average * WEIGHT for average in averages), Fraction(0))
    converted = value * CONVERSION
    return Ikm(respondents, averages, value, converted, grade_of(converted))


def period_bounds(code: str) -> tuple[date, date]:
    """`2026` (a year), `2026-11` (a month), `2026-Q4` (a quarter) → first and last day.

    Raises ValueError for anything else.
    """
    text = code.strip().upper()
    try:
        if len(text) == 4 and text.isdigit():
            year = int(text)
            return date(year, 1, 1), date(year, 12, 31)
        if len(text) == 7 and text[4] == "-" and text[5] == "Q" and text[6] in "1234":
            year, quarter = int(text[:4]), int(text[6])
            first = date(year, 3 * quarter - 2, 1)
            return first, _month_end(date(year, 3 * quarter, 1))
        if len(text) == 7 and text[4] == "-" and text[5:].isdigit():
            first = date(int(text[:4]), int(text[5:]), 1)
            return first, _month_end(first)
    except ValueError:
        pass
    raise ValueError(f"{code!r} is not a period like 2026, 2026-Q4 or 2026-11")


def _month_end(first: date) -> date:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return following - timedelta(days=1)
