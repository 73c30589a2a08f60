"""Progress arithmetic: percentages, bars, the month's minutes with holidays and cuti credit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import MappingProxyType

from kinerja.calendar import MON_FRI, WorkCalendar
from kinerja.progress import (
    RhkProgress,
    cumulative,
    month_bounds,
    month_minutes,
    percent,
    straight_line_target,
    text_bar,
)


def test_percent_rounds_half_up_and_survives_zero() -> None:
    assert percent(1, 3) == Decimal("33.3")
    assert percent(Decimal("2.5"), 12) == Decimal("20.8")
    assert percent(1, 8) == Decimal("12.5")
    assert percent(5, 0) == Decimal("0.0")


def test_bar_fills_by_tenths_and_caps_at_full() -> None:
    assert text_bar(Decimal(0)) == "░" * 10
    assert text_bar(Decimal("44.9")) == "▓" * 4 + "░" * 6
    assert text_bar(Decimal("45")) == "▓" * 5 + "░" * 5  # half a tenth rounds up
    assert text_bar(Decimal(250)) == "▓" * 10


def test_rhk_progress_counts_approved_only() -> None:
    item = RhkProgress(1, "Laporan", Decimal(12), "dokumen", Decimal(3), Decimal(2))
    assert item.percent == Decimal("25.0")
    assert item.bar == "▓" * 3 + "░" * 7  # 25 % rounds half up to three tenths


def test_month_with_holidays_and_cuti_credit() -> None:
    # November 2026 has 21 weekdays; two holidays (one on a weekend, which changes nothing).
    holidays = MappingProxyType({date(2026, 11, 10): "Libur A", date(2026, 11, 14): "Sabtu"})
    calendar = WorkCalendar(MON_FRI, holidays)
    leave = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 10), date(2026, 11, 21)]
    month = month_minutes(
        calendar,
        date(2026, 11, 25),
        date(2026, 11, 25),
        leave,
        daily_minutes=300,
        approved=4500,
        pending=600,
    )
    assert month.working_days == 20  # 21 weekdays minus the 10th
    assert month.working_days_to_date == 17  # 2-25 Nov: 18 weekdays minus the 10th
    assert month.leave_days == 2  # the 10th is a holiday, the 21st a Saturday
    assert month.required == 6000
    assert month.credited == 600
    assert month.achieved == 5100
    assert month.percent == Decimal("85.0")
    assert month.required_to_date == 5100
    assert month.pending == 600


def test_a_six_day_office_needs_more_days() -> None:
    six = WorkCalendar(frozenset(range(6)), MappingProxyType({}))
    month = month_minutes(
        six, date(2026, 11, 1), date(2026, 11, 30), [], daily_minutes=300, approved=0, pending=0
    )
    assert month.working_days == 25


def test_month_bounds_and_straight_line() -> None:
    assert month_bounds(date(2028, 2, 14)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert month_bounds(date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert straight_line_target(Decimal(365), date(2026, 1, 1)) == Decimal(1)
    assert straight_line_target(Decimal(12), date(2026, 12, 31)) == Decimal(12)


def test_cumulative_runs_from_first_to_last() -> None:
    points = cumulative(
        {date(2026, 3, 2): Decimal(1), date(2026, 6, 1): Decimal(4), date(2027, 1, 1): Decimal(9)},
        date(2026, 1, 1),
        date(2026, 11, 25),
    )
    assert points == [
        (date(2026, 1, 1), Decimal(0)),
        (date(2026, 3, 2), Decimal(1)),
        (date(2026, 6, 1), Decimal(5)),
        (date(2026, 11, 25), Decimal(5)),
    ]
