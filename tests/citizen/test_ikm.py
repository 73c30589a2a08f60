"""IKM arithmetic (PermenPANRB 14/2017, DESIGN.md section 3) on hand-checked cases."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kinerja.ikm import Grade, compute_ikm, grade_of, period_bounds, to_2dp

ALL = 9


@pytest.mark.parametrize(
    ("surveys", "converted", "grade"),
    [
        ([[4] * ALL], "100.00", Grade.A),
        ([[1] * ALL], "25.00", Grade.D),
        ([[3] * ALL], "75.00", Grade.C),
        # Two respondents, averages 3.5 everywhere: 3.5 x 25 = 87.50 -> B.
        ([[4] * ALL, [3] * ALL], "87.50", Grade.B),
        # Eight 4s and one 3: (35/9) x 25 = 97.222... -> 97.22, A.
        ([[4, 4, 4, 3, 4, 4, 4, 4, 4]], "97.22", Grade.A),
        # Three respondents with uneven answers (by hand: element sums 10,9,8,12,7,9,10,11,6
        # = 82; averages sum 82/3; x 1/9 x 25 = 2050/27 = 75.925... -> C).
        (
            [
                [4, 3, 2, 4, 2, 3, 4, 4, 2],
                [3, 3, 3, 4, 2, 3, 3, 4, 2],
                [3, 3, 3, 4, 3, 3, 3, 3, 2],
            ],
            "75.93",
            Grade.C,
        ),
    ],
)
def test_hand_checked_surveys(surveys: list[list[int]], converted: str, grade: Grade) -> None:
    ikm = compute_ikm(surveys)
    assert ikm.respondents == len(surveys)
    assert str(to_2dp(ikm.converted)) == converted
    assert ikm.grade is grade


def test_weights_are_exact_ninths() -> None:
    # One element at 1, eight at 4: 33/9 x 25 = 91.666...; a rounded 0.111 weight would
    # give 33 x 0.111 x 25 = 91.575 (the regulation's exact 1/9 is used).
    ikm = compute_ikm([[1, 4, 4, 4, 4, 4, 4, 4, 4]])
    assert ikm.value == Fraction(33, 9)
    assert ikm.converted == Fraction(275, 3)


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        ("100", Grade.A),
        ("88.31", Grade.A),
        ("88.30", Grade.B),
        ("88.305", Grade.B),  # between the published bands: >= the lower bound decides
        ("76.61", Grade.B),
        ("76.60", Grade.C),
        ("76.605", Grade.C),
        ("65.00", Grade.C),
        ("64.99", Grade.D),
        ("64.995", Grade.D),
        ("25", Grade.D),
    ],
)
def test_grade_boundaries(value: str, grade: Grade) -> None:
    assert grade_of(Fraction(value)) is grade


def test_no_complete_survey_has_no_grade() -> None:
    ikm = compute_ikm([])
    assert ikm.respondents == 0 and ikm.grade is None


@pytest.mark.parametrize("bad", [[4] * 8, [4] * 10, [0, 4, 4, 4, 4, 4, 4, 4, 4], [5] * 9])
def test_incomplete_or_out_of_range_surveys_are_refused(bad: list[int]) -> None:
    with pytest.raises(ValueError, match="scores of 1-4"):
        compute_ikm([bad])


def test_periods() -> None:
    assert (
        str(period_bounds("2026-q1")) == "(datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))"
    )
    for bad in ("2026-13", "26", "2026-Q5", "x"):
        with pytest.raises(ValueError):
            period_bounds(bad)
