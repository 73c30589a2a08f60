"""The predikat matrix (all nine cells, DESIGN.md section 3), periods, who may rate or object."""

from __future__ import annotations

from datetime import date

import pytest

from kinerja.evaluation import (
    EvaluationError,
    Period,
    PeriodKind,
    Predikat,
    Rating,
    check_may_evaluate,
    check_may_object,
    clean_feedback,
    clean_objection,
    latest_ended,
    open_periods,
    parse_period,
    period_containing,
    predikat,
)

A, S, B = Rating.ABOVE, Rating.MEETS, Rating.BELOW


@pytest.mark.parametrize(
    ("hasil", "perilaku", "expected"),
    [
        (A, B, Predikat.KURANG),
        (A, S, Predikat.BAIK),
        (A, A, Predikat.SANGAT_BAIK),
        (S, B, Predikat.KURANG),
        (S, S, Predikat.BAIK),
        (S, A, Predikat.BAIK),
        (B, B, Predikat.SANGAT_KURANG),
        (B, S, Predikat.BUTUH_PERBAIKAN),
        (B, A, Predikat.BUTUH_PERBAIKAN),
    ],
)
def test_predikat_matrix(hasil: Rating, perilaku: Rating, expected: Predikat) -> None:
    assert predikat(hasil, perilaku) is expected


def test_periods_have_codes_and_bounds() -> None:
    q4 = period_containing(date(2026, 11, 25), PeriodKind.QUARTERLY)
    assert (q4.code, q4.first, q4.last) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    feb = period_containing(date(2028, 2, 10), PeriodKind.MONTHLY)
    assert (feb.code, feb.last) == ("2028-02", date(2028, 2, 29))
    year = Period(2026, PeriodKind.ANNUAL, 1)
    assert (year.code, year.first, year.last) == ("2026", date(2026, 1, 1), date(2026, 12, 31))
    for code in ("2026-11", "2026-Q4", "2026"):
        assert parse_period(code).code == code
    for bad in ("2026-13", "2026-Q5", "26", "x", ""):
        with pytest.raises(ValueError):
            parse_period(bad)
    assert latest_ended(date(2026, 11, 25), PeriodKind.QUARTERLY).code == "2026-Q3"
    assert latest_ended(date(2026, 1, 5), PeriodKind.MONTHLY).code == "2025-12"


def test_open_periods_from_the_last_day_through_the_window() -> None:
    quarterly = PeriodKind.QUARTERLY
    assert open_periods(date(2026, 9, 29), quarterly, 30) == []
    assert [p.code for p in open_periods(date(2026, 9, 30), quarterly, 30)] == ["2026-Q3"]
    assert [p.code for p in open_periods(date(2026, 10, 30), quarterly, 30)] == ["2026-Q3"]
    assert open_periods(date(2026, 10, 31), quarterly, 30) == []
    # The year's last quarter and the annual evaluation open together.
    assert [p.code for p in open_periods(date(2027, 1, 4), quarterly, 30)] == ["2026-Q4", "2026"]
    assert [p.code for p in open_periods(date(2026, 11, 3), PeriodKind.MONTHLY, 5)] == ["2026-10"]


def test_only_the_current_atasan_rates_once_while_open() -> None:
    q3 = parse_period("2026-Q3")
    check_may_evaluate(7, 7, q3, date(2026, 10, 5), 30, already_rated=False)
    cases = [
        ((8, 7, date(2026, 10, 5), False), "evaluation.not_your_staff"),
        ((7, None, date(2026, 10, 5), False), "evaluation.not_your_staff"),
        ((7, 7, date(2026, 9, 29), False), "evaluation.not_open"),
        ((7, 7, date(2026, 10, 31), False), "evaluation.closed"),
        ((7, 7, date(2026, 10, 5), True), "evaluation.already_rated"),
    ]
    for (evaluator, supervisor, today, rated), code in cases:
        with pytest.raises(EvaluationError) as caught:
            check_may_evaluate(evaluator, supervisor, q3, today, 30, already_rated=rated)
        assert caught.value.code == code


def test_only_the_employee_objects_once_while_open() -> None:
    q3 = parse_period("2026-Q3")
    check_may_object(5, 5, q3, date(2026, 10, 30), 30, objected=False)
    for args, code in [
        ((6, 5, date(2026, 10, 5), False), "evaluation.not_yours"),
        ((5, 5, date(2026, 10, 31), False), "evaluation.closed"),
        ((5, 5, date(2026, 10, 5), True), "evaluation.objection_exists"),
    ]:
        with pytest.raises(EvaluationError) as caught:
            employee, evaluated, today, objected = args
            check_may_object(employee, evaluated, q3, today, 30, objected=objected)
        assert caught.value.code == code


def test_feedback_and_reasons_are_trimmed_and_bounded() -> None:
    assert clean_feedback("  Kerja   baik  ") == "Kerja baik"
    with pytest.raises(EvaluationError, match="feedback_short"):
        clean_feedback(" a ")
    with pytest.raises(EvaluationError, match="feedback_long"):
        clean_feedback("x" * 1001)
    with pytest.raises(EvaluationError, match="objection_short"):
        clean_objection("singkat")
    assert clean_objection("Target triwulan  sudah tercapai") == "Target triwulan sudah tercapai"
