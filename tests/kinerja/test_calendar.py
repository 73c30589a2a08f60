"""The working-day calendar: weekends, national holidays and cuti bersama from the `holidays`
package, admins' corrections, six-day units; and punctuality across a holiday."""

from __future__ import annotations

from datetime import date

import pytest

from kinerja.activities import is_on_time
from kinerja.calendar import CalendarEntry, DayKind, build_calendar, official_days_off

CAL_2026 = build_calendar([2026], [])


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # a Monday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 8, 17), False),  # Hari Kemerdekaan, a Monday
        (date(2026, 12, 24), False),  # cuti bersama Natal, a Thursday
        (date(2026, 3, 23), False),  # cuti bersama Idul Fitri
        (date(2026, 3, 25), True),
    ],
)
def test_weekends_holidays_and_cuti_bersama(day: date, working: bool) -> None:
    assert CAL_2026.is_working_day(day) is working


def test_holidays_are_named_in_indonesian() -> None:
    assert official_days_off(2026)[date(2026, 8, 17)] == "Hari Kemerdekaan Republik Indonesia"
    assert CAL_2026.day_off_name(date(2026, 12, 24)) == "Cuti Bersama Hari Raya Natal"
    assert CAL_2026.day_off_name(date(2026, 11, 28)) is None  # a weekend has no name


def test_admins_add_a_day_off_and_correct_a_packaged_one() -> None:
    calendar = build_calendar(
        [2026],
        [
            CalendarEntry(date(2026, 11, 27), DayKind.DAY_OFF, "Hari jadi kabupaten"),
            CalendarEntry(date(2026, 12, 24), DayKind.WORKED, "Tetap masuk"),
        ],
    )
    assert not calendar.is_working_day(date(2026, 11, 27))
    assert calendar.day_off_name(date(2026, 11, 27)) == "Hari jadi kabupaten"
    assert calendar.is_working_day(date(2026, 12, 24))


def test_six_day_units_work_on_saturday() -> None:
    calendar = build_calendar([2026], [], six_day_week=True)
    assert calendar.is_working_day(date(2026, 11, 28))
    assert not calendar.is_working_day(date(2026, 11, 29))
    assert not calendar.is_working_day(date(2026, 8, 17))


def test_working_days_of_a_month_with_holidays() -> None:
    december = CAL_2026.working_days(date(2026, 12, 1), date(2026, 12, 31))
    # 23 weekdays minus cuti bersama (24th) and Natal (25th).
    assert len(december) == 21


def test_next_working_day_skips_lebaran() -> None:
    assert CAL_2026.next_working_day(date(2026, 3, 17)) == date(2026, 3, 25)


def test_punctuality_gives_slack_across_a_long_weekend() -> None:
    # Friday 14 Aug's work: Monday 17 Aug is a holiday, so Tuesday is still on time.
    assert is_on_time(date(2026, 8, 14), date(2026, 8, 18), CAL_2026.is_working_day)
    assert not is_on_time(date(2026, 8, 14), date(2026, 8, 19), CAL_2026.is_working_day)
