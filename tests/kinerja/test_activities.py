import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kinerja import activity_text
from kinerja.activities import (
    ACTIVITY_ERROR_CODES,
    ActivityRuleError,
    check_entry,
    is_on_time,
    minutes_between,
    open_period_start,
)
from kinerja.activity_text import ActivityTextError
from kinerja.errors import RuleViolation

LOCALES = Path(__file__).resolve().parents[2] / "locales"
WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")
TODAY = date(2026, 11, 23)  # a Monday
NOW = datetime(2026, 11, 23, 14, 30, tzinfo=WIB)
YESTERDAY = TODAY - timedelta(days=1)
OPEN_FROM = date(2026, 11, 1)


def t(text: str) -> time:
    hour, minute = text.split(".")
    return time(int(hour), int(minute))


def span(text: str) -> tuple[time, time]:
    start, end = text.split("-")
    return t(start), t(end)


def check(
    work_date: date = TODAY,
    when: str | None = None,
    *,
    minutes: int | None = None,
    now: datetime = NOW,
    open_from: date = OPEN_FROM,
    same_day: Sequence[str] = (),
    untimed_minutes: int = 0,
) -> None:
    start, end = span(when) if when else (None, None)
    if minutes is None:
        assert start is not None and end is not None
        minutes = minutes_between(start, end)
    check_entry(
        work_date=work_date,
        start=start,
        end=end,
        minutes=minutes,
        now=now,
        open_from=open_from,
        same_day=[span(other) for other in same_day],
        untimed_minutes=untimed_minutes,
    )


def rule_error(**kwargs: object) -> tuple[str, dict[str, object]]:
    with pytest.raises(ActivityRuleError) as caught:
        check(**kwargs)  # type: ignore[arg-type]
    assert isinstance(caught.value, RuleViolation)
    return caught.value.code, dict(caught.value.params)


# --- arithmetic and periods --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (time(8), time(10, 30), 150),
        (time(8), time(8), 0),
        (time(0), time(23, 59), 1439),
        (time(10), time(8), -120),
        (time(8, 0, 59), time(9), 60),
        (time(13, 45), time(14, 5), 20),
    ],
)
def test_minutes_between(start: time, end: time, minutes: int) -> None:
    assert minutes_between(start, end) == minutes


@pytest.mark.parametrize(
    ("today", "cutoff_day", "expected"),
    [
        (date(2026, 12, 3), 5, date(2026, 11, 1)),
        (date(2026, 12, 1), 5, date(2026, 11, 1)),
        (date(2026, 12, 5), 5, date(2026, 11, 1)),
        (date(2026, 12, 6), 5, date(2026, 12, 1)),
        (date(2026, 12, 31), 5, date(2026, 12, 1)),
        (date(2027, 1, 5), 5, date(2026, 12, 1)),
        (date(2027, 1, 6), 5, date(2027, 1, 1)),
        (date(2026, 3, 1), 1, date(2026, 2, 1)),
        (date(2026, 3, 2), 1, date(2026, 3, 1)),
        (date(2026, 3, 28), 28, date(2026, 2, 1)),
        (date(2026, 3, 29), 28, date(2026, 3, 1)),
        (date(2028, 3, 10), 10, date(2028, 2, 1)),
    ],
)
def test_a_month_stays_open_until_the_cutoff_day_of_the_next(
    today: date, cutoff_day: int, expected: date
) -> None:
    assert open_period_start(today, cutoff_day) == expected


@pytest.mark.parametrize("cutoff_day", [0, -1, 29, 31])
def test_cutoff_day_must_exist_in_every_month(cutoff_day: int) -> None:
    with pytest.raises(ValueError, match="cutoff_day"):
        open_period_start(TODAY, cutoff_day)


# --- entry rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"when": "08.00-10.30"},
        {"when": "13.00-14.30"},  # ends exactly now
        {"when": "14.29-14.30", "now": NOW.replace(second=59)},
        {"work_date": YESTERDAY, "when": "00.00-23.59"},
        {"work_date": YESTERDAY, "when": "20.00-23.00"},  # later in the day, but a past day
        {"minutes": 8 * 60},
        {"minutes": 14 * 60 + 30},  # the whole day so far
        {"work_date": YESTERDAY, "minutes": 24 * 60},
        {"work_date": OPEN_FROM, "when": "08.00-09.00"},
        {"when": "09.00-10.00", "same_day": ["08.00-09.00"]},
        {"when": "09.00-10.00", "same_day": ["10.00-11.00"]},
        {"when": "09.00-10.00", "same_day": ["08.00-09.00", "10.00-11.00"]},
        {"when": "12.00-13.00", "same_day": ["08.00-09.00", "13.00-14.00"]},
        {"minutes": 60, "same_day": ["08.00-12.00"]},  # durations cannot overlap anything
        {"work_date": YESTERDAY, "minutes": 720, "same_day": ["00.00-12.00"]},
        {"work_date": YESTERDAY, "minutes": 60, "untimed_minutes": 1380},
        # 00.30 in WITA is still the 22nd in WIB: the unit's own wall clock decides.
        {"when": "00.00-00.30", "now": datetime(2026, 11, 23, 0, 30, tzinfo=WITA)},
        {"when": "07.00-08.00", "now": datetime(2026, 11, 23, 8, 0, tzinfo=WIT)},
    ],
)
def test_entries_that_fit(kwargs: dict[str, object]) -> None:
    check(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "code", "params"),
    [
        ({"work_date": TODAY + timedelta(days=1), "when": "08.00-09.00"}, "activity.future", {}),
        ({"work_date": date(2027, 1, 1), "minutes": 60}, "activity.future", {}),
        ({"when": "14.00-14.31"}, "activity.future", {}),
        ({"when": "15.00-16.00"}, "activity.future", {}),
        ({"when": "14.00-14.31", "now": NOW.replace(second=59)}, "activity.future", {}),
        ({"minutes": 14 * 60 + 31}, "activity.future", {}),
        (
            {"when": "07.00-08.00", "now": datetime(2026, 11, 23, 7, 59, tzinfo=WIT)},
            "activity.future",
            {},
        ),
        (
            {"work_date": date(2026, 10, 31), "when": "08.00-09.00"},
            "activity.closed_period",
            {"open_from": "01/11/2026"},
        ),
        (
            {"work_date": date(2025, 12, 31), "minutes": 60, "open_from": date(2026, 1, 1)},
            "activity.closed_period",
            {"open_from": "01/01/2026"},
        ),
        (
            {"when": "09.00-11.00", "same_day": ["08.00-10.00"]},
            "activity.overlap",
            {"start": "08.00", "end": "10.00"},
        ),
        (
            {"when": "07.00-09.00", "same_day": ["08.00-10.00"]},
            "activity.overlap",
            {"start": "08.00", "end": "10.00"},
        ),
        (
            {"when": "07.00-12.00", "same_day": ["08.00-10.00"]},
            "activity.overlap",
            {"start": "08.00", "end": "10.00"},
        ),
        (
            {"when": "08.30-09.30", "same_day": ["08.00-10.00"]},
            "activity.overlap",
            {"start": "08.00", "end": "10.00"},
        ),
        (
            {"when": "08.00-10.00", "same_day": ["08.00-10.00"]},
            "activity.overlap",
            {"start": "08.00", "end": "10.00"},
        ),
        (
            {"when": "09.59-10.01", "same_day": ["10.00-11.00"]},
            "activity.overlap",
            {"start": "10.00", "end": "11.00"},
        ),
        (
            {"when": "09.30-13.30", "same_day": ["13.00-14.00", "09.00-10.00"]},
            "activity.overlap",
            {"start": "09.00", "end": "10.00"},
        ),
        ({"when": "10.00-08.00", "minutes": 0}, "activity.end_before_start", {}),
        ({"when": "08.00-08.00"}, "activity.end_before_start", {}),
        ({"minutes": 0}, "activity.duration", {}),
        ({"minutes": -30}, "activity.duration", {}),
        (
            {"work_date": YESTERDAY, "minutes": 24 * 60 + 1},
            "activity.duration_too_long",
            {"max_hours": 24},
        ),
        (
            {"work_date": YESTERDAY, "minutes": 300, "same_day": ["00.00-20.00"]},
            "activity.day_full",
            {"max_hours": 24, "remaining": 240},
        ),
        (
            {"work_date": YESTERDAY, "minutes": 60, "untimed_minutes": 1400},
            "activity.day_full",
            {"max_hours": 24, "remaining": 40},
        ),
        (
            {"work_date": YESTERDAY, "when": "08.00-09.00", "untimed_minutes": 1440},
            "activity.day_full",
            {"max_hours": 24, "remaining": 0},
        ),
        (
            {
                "work_date": YESTERDAY,
                "when": "20.00-21.00",
                "same_day": ["00.00-08.00"],
                "untimed_minutes": 930,
            },
            "activity.day_full",
            {"max_hours": 24, "remaining": 30},
        ),
        # When several rules fail, the user hears about the entry itself first.
        ({"when": "15.00-16.00", "same_day": ["15.00-16.00"]}, "activity.future", {}),
        (
            {"work_date": date(2026, 10, 31), "when": "08.00-09.00", "same_day": ["08.00-09.00"]},
            "activity.closed_period",
            {"open_from": "01/11/2026"},
        ),
        (
            {"work_date": YESTERDAY, "when": "08.00-09.00", "same_day": ["08.30-23.59"]},
            "activity.overlap",
            {"start": "08.30", "end": "23.59"},
        ),
    ],
)
def test_entries_that_break_a_rule(
    kwargs: dict[str, object], code: str, params: dict[str, object]
) -> None:
    assert rule_error(**kwargs) == (code, params)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"when": "08.00-09.00", "now": datetime(2026, 11, 23, 14, 30)}, "timezone-aware"),
        ({"when": "08.00-09.00", "minutes": 90}, "disagree"),
    ],
)
def test_programming_mistakes_are_not_user_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check(**kwargs)  # type: ignore[arg-type]


def test_start_without_end_is_a_programming_mistake() -> None:
    with pytest.raises(ValueError, match="together"):
        check_entry(
            work_date=TODAY,
            start=time(8),
            end=None,
            minutes=60,
            now=NOW,
            open_from=OPEN_FROM,
            same_day=[],
        )


# --- on time -----------------------------------------------------------------------------------

HOLIDAYS = frozenset(
    {
        date(2026, 11, 30),  # a Monday
        date(2026, 12, 25),  # a Friday
        *(date(2027, 3, 19) + timedelta(days=n) for n in range(7)),  # cuti bersama, Fri-Thu
    }
)


def working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS


@pytest.mark.parametrize(
    ("work_date", "submitted", "on_time"),
    [
        (date(2026, 11, 23), date(2026, 11, 23), True),  # same day
        (date(2026, 11, 23), date(2026, 11, 22), True),  # logged ahead (a plan)
        (date(2026, 11, 23), date(2026, 11, 24), True),  # Monday's work on Tuesday
        (date(2026, 11, 23), date(2026, 11, 25), False),
        (date(2026, 11, 19), date(2026, 11, 20), True),  # Thursday's work on Friday
        (date(2026, 11, 19), date(2026, 11, 23), False),
        (date(2026, 11, 13), date(2026, 11, 14), True),  # Friday's work on Saturday
        (date(2026, 11, 13), date(2026, 11, 16), True),  # ... or Monday
        (date(2026, 11, 13), date(2026, 11, 17), False),
        (date(2026, 11, 27), date(2026, 12, 1), True),  # Monday 30 Nov is a holiday
        (date(2026, 11, 27), date(2026, 12, 2), False),
        (date(2026, 11, 28), date(2026, 12, 1), True),  # Saturday work, same slack
        (date(2026, 11, 29), date(2026, 12, 1), True),  # Sunday work
        (date(2026, 11, 30), date(2026, 12, 1), True),  # work on the holiday itself
        (date(2026, 12, 24), date(2026, 12, 28), True),  # Friday 25 Dec is a holiday
        (date(2026, 12, 24), date(2026, 12, 29), False),
        (date(2026, 12, 31), date(2027, 1, 1), True),  # across the year
        (date(2027, 3, 18), date(2027, 3, 26), True),  # Lebaran leave, Fri 19 to Thu 25
        (date(2027, 3, 18), date(2027, 3, 29), False),
    ],
)
def test_on_time_means_by_the_next_working_day(
    work_date: date, submitted: date, on_time: bool
) -> None:
    assert is_on_time(work_date, submitted, working_day) is on_time


def test_a_calendar_without_working_days_is_refused() -> None:
    def never(_day: date) -> bool:
        return False

    with pytest.raises(ValueError, match="no working day"):
        is_on_time(TODAY, TODAY + timedelta(days=3), never)


# --- catalogs ----------------------------------------------------------------------------------


def _catalog(language: str) -> dict[str, str]:
    with (LOCALES / language / "LC_MESSAGES" / "activity.po").open("rb") as file:
        catalog = read_po(file, locale=language)
    return {str(message.id): str(message.string) for message in catalog if message.id}


def _key(code: str) -> str:
    return "activity.error." + code.removeprefix("activity.")


def test_every_code_has_a_message_in_both_languages() -> None:
    expected = {_key(code) for code in ACTIVITY_ERROR_CODES}
    indonesian, english = _catalog("id"), _catalog("en")

    assert indonesian.keys() == expected
    assert english.keys() == expected
    for key, text in indonesian.items():
        assert text and english[key], key
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", english[key]))
        assert "Contoh" in text or "contoh" in text, key
        assert "example" in english[key], key


def _raised(call: Callable[[], object]) -> tuple[str, dict[str, object]]:
    with pytest.raises((ActivityTextError, ActivityRuleError)) as caught:
        call()
    assert isinstance(caught.value, RuleViolation)
    return caught.value.code, dict(caught.value.params)


def test_raised_errors_fill_their_messages_in_both_languages() -> None:
    """Raise every code for real, so a placeholder the code never fills fails here."""
    triggers: list[Callable[[], object]] = [
        lambda: activity_text.parse_time("25.00"),
        lambda: activity_text.parse_time_range("08.00"),
        lambda: activity_text.parse_time_range("10.00-08.00"),
        lambda: activity_text.parse_duration("45"),
        lambda: activity_text.parse_duration("25 jam"),
        lambda: activity_text.parse_quantity("0"),
        lambda: activity_text.parse_work_date("31/02", today=TODAY),
        lambda: activity_text.parse_quick_entry("08.00-09.00 Rapat #0", today=TODAY),
        lambda: activity_text.check_description("ab"),
        lambda: activity_text.check_description("x" * 1001),
        lambda: check(TODAY + timedelta(days=1), "08.00-09.00"),
        lambda: check(date(2026, 10, 31), "08.00-09.00"),
        lambda: check(when="08.00-09.00", same_day=["08.30-09.30"]),
        lambda: check(when="09.00-08.00", minutes=0),
        lambda: check(minutes=0),
        lambda: check(YESTERDAY, minutes=24 * 60 + 1),
        lambda: check(YESTERDAY, minutes=60, untimed_minutes=1400),
    ]
    errors = [_raised(trigger) for trigger in triggers]

    assert {code for code, _ in errors} == set(ACTIVITY_ERROR_CODES)
    for language in ("id", "en"):
        catalog = _catalog(language)
        for code, params in errors:
            template = catalog[_key(code)]
            assert set(re.findall(r"{(\w+)}", template)) <= params.keys(), (language, code)
            assert "{" not in template.format(**params), (language, code)
