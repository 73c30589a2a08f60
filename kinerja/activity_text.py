"""Activity entries as people type them in a chat.

Indonesian writing uses a period for thousands and a comma for decimals, a period between hours
and minutes (``08.30``) and day-first dates; users also mix in colons and English habits. The
parsers accept those forms and reject anything ambiguous with a code whose message shows an
example, because guessing wrong here silently corrupts a performance record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from kinerja.activities import MAX_ENTRY_MINUTES, minutes_between
from kinerja.errors import RuleViolation

DESCRIPTION_MIN = 3
DESCRIPTION_MAX = 1000
MAX_QUANTITY = Decimal(1_000_000)
# activities.quantity is NUMERIC(12, 2) and activities.quantity_unit VARCHAR(64): refuse what
# the database would round or truncate rather than store something the user did not write.
QUANTITY_DECIMALS = 2
MAX_UNIT_LENGTH = 64
# RHK are numbered in the order they appear in the SKP; nobody has anywhere near this many.
MAX_RHK_NUMBER = 99
# A 29/02 typed without a year may have to look back this far to find a leap year.
_LEAP_LOOKBACK_YEARS = 8

_FLAGS = re.IGNORECASE
# "1.000" and "12.500,5" group thousands with periods; otherwise "." or "," is a decimal mark.
_THOUSANDS = r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?"
_NUMBER = rf"(?:{_THOUSANDS}|\d+(?:[.,]\d+)?)"
_CLOCK_PREFIX = r"(?:(?:jam|pukul|pkl\.?)\s*)?"
# Deliberately looser than a valid clock, so "0800-1000" or "8:5-10" is reported as a bad time
# instead of not being recognised at all.
_LOOSE_CLOCK = r"\d{1,4}(?:[.:]\d{1,2})?"
_RANGE_SEPARATOR = r"\s*(?:-|–|—|s\.\s?d\.?|s/d|sd|sampai\s+dengan|sampai|hingga)\s*"
_RANGE = rf"{_CLOCK_PREFIX}(?P<start>{_LOOSE_CLOCK}){_RANGE_SEPARATOR}(?P<end>{_LOOSE_CLOCK})"
_NOT_A_LETTER = r"(?![^\W\d_])"
_HOURS = r"(?:jam|jm|j|hours?|hrs?|h)"
_MINUTES = r"(?:menit|mnt|minutes?|mins?|m)"
_DURATION = (
    rf"(?:(?P<hours>{_NUMBER})\s*{_HOURS}{_NOT_A_LETTER}"
    rf"(?:\s*(?P<extra>{_NUMBER})\s*{_MINUTES}{_NOT_A_LETTER})?"
    rf"|(?P<minutes>{_NUMBER})\s*{_MINUTES}{_NOT_A_LETTER})"
)
_DATE = (
    r"(?:(?:tgl\.?|tanggal)\s*)?(?P<date>"
    r"(?P<word>hari\s+ini|kemarin\s+lusa|kemarin|kmrn|today|yesterday)"
    r"|(?P<iso_year>\d{4})-(?P<iso_month>\d{1,2})-(?P<iso_day>\d{1,2})"
    r"|(?P<day>\d{1,2})(?P<sep>[/-])(?P<month>\d{1,2})(?:(?P=sep)(?P<year>\d{4}|\d{2}))?"
    r")"
)
# What may follow a leading date, time range or duration in a one-message entry.
_BOUNDARY = r"(?=$|[\s,;:|])"

_CLOCK_RE = re.compile(r"(\d{1,2})(?:[.:](\d{2}))?")
_TIME_RE = re.compile(rf"{_CLOCK_PREFIX}(?P<clock>{_LOOSE_CLOCK})", _FLAGS)
_RANGE_RE = re.compile(_RANGE, _FLAGS)
_DURATION_RE = re.compile(_DURATION, _FLAGS)
_THOUSANDS_RE = re.compile(_THOUSANDS)
_QUANTITY_RE = re.compile(rf"(?P<number>{_NUMBER})(?:\s*(?P<unit>(?:%|[^\W\d_]).*))?")
_DATE_RE = re.compile(_DATE, _FLAGS)
_LEADING_DATE_RE = re.compile(_DATE + _BOUNDARY, _FLAGS)
_LEADING_RANGE_RE = re.compile(_RANGE + _BOUNDARY, _FLAGS)
_LEADING_DURATION_RE = re.compile(_DURATION + _BOUNDARY, _FLAGS)
_LEADING_CLOCK_RE = re.compile(rf"{_CLOCK_PREFIX}\d{{1,2}}[.:]\d{{2}}(?!\d)", _FLAGS)
_RHK_RE = re.compile(r"#(\d+)")
_DESCRIPTION_LEAD = " ,;:|-–—"

_DAYS_AGO = {
    "hari ini": 0,
    "today": 0,
    "kemarin": 1,
    "kmrn": 1,
    "yesterday": 1,
    "kemarin lusa": 2,
}


class ActivityTextError(RuleViolation):
    """Text meant as (part of) an activity entry that cannot be read unambiguously."""


@dataclass(frozen=True)
class QuickEntry:
    """One activity typed as a single chat message, before the rules of the day are checked."""

    work_date: date
    start: time | None
    end: time | None
    minutes: int
    description: str
    rhk_number: int | None
    quantity: Decimal | None
    quantity_unit: str | None


def parse_time(text: str) -> time:
    """Read ``08.00``, ``8.30``, ``08:00``, ``8`` or ``jam 8`` as a wall-clock time.

    Minutes need two digits, so ``8.5`` is refused instead of being read as 08.05 or 08.50;
    ``24.00`` is refused because an entry that ends at midnight ends at ``23.59``.
    """
    match = _TIME_RE.fullmatch(_squash(text))
    if match is None:
        raise ActivityTextError("activity.time")
    return _clock(match["clock"])


def parse_time_range(text: str) -> tuple[time, time]:
    """Read ``08.00-10.30``, ``8-10``, ``08.00 s.d. 10.30`` or ``08.00 sampai 10.30``.

    The end must come after the start on the same day: work past midnight is two entries, one
    per work date, so daily totals stay per day.
    """
    match = _RANGE_RE.fullmatch(_squash(text))
    if match is None:
        raise ActivityTextError("activity.time_range")
    return _time_range(match)


def parse_duration(text: str) -> int:
    """Minutes in ``90 menit``, ``1,5 jam``, ``1 jam 30 menit`` or ``2j 15m``.

    A bare number is refused: "45" could be minutes or hours, and either guess is wrong often
    enough to matter on a performance record.
    """
    match = _DURATION_RE.fullmatch(_squash(text))
    if match is None:
        raise ActivityTextError("activity.duration")
    return _duration_minutes(match)


def parse_quantity(text: str) -> tuple[Decimal, str | None]:
    """An output amount and its unit: ``3 dokumen``, ``2,5 km``, ``1.000 lembar``.

    A period followed by exactly three digits groups thousands (``1.000`` is one thousand) while
    ``1.5`` stays one and a half. More than two decimals is refused rather than rounded, which
    also catches ``1,000`` written the English way.
    """
    match = _QUANTITY_RE.fullmatch(_squash(text))
    if match is None:
        raise ActivityTextError("activity.quantity")
    amount = _decimal(match["number"])
    exponent = amount.as_tuple().exponent
    if (
        amount <= 0
        or amount > MAX_QUANTITY
        or not isinstance(exponent, int)
        or exponent < -QUANTITY_DECIMALS
    ):
        raise ActivityTextError("activity.quantity")
    unit = match["unit"]
    if unit is not None and len(unit) > MAX_UNIT_LENGTH:
        raise ActivityTextError("activity.quantity")
    return amount, unit


def parse_work_date(text: str, *, today: date) -> date | None:
    """The work date in ``hari ini``, ``kemarin``, ``21/11``, ``21-11-2026`` or ``2026-11-21``.

    Returns None for text that is not shaped like a date. A day and month without a year mean
    the latest such date up to today, because people log past work: ``31/12`` typed on 2 January
    is last year's. A future date with an explicit year is returned as written; refusing it is a
    rule for ``check_entry``, whose message says so.
    """
    match = _DATE_RE.fullmatch(_squash(text))
    if match is None:
        return None
    return _work_date(match, today)


def check_description(text: str) -> str:
    """The description with whitespace collapsed, so pasted line breaks do not count as text."""
    description = _squash(text)
    if len(description) < DESCRIPTION_MIN:
        raise ActivityTextError("activity.description_short", {"min": DESCRIPTION_MIN})
    if len(description) > DESCRIPTION_MAX:
        raise ActivityTextError("activity.description_long", {"max": DESCRIPTION_MAX})
    return description


def parse_quick_entry(text: str, *, today: date) -> QuickEntry | None:
    """Read a whole activity from one message, or None when the message is not one.

    Grammar, left to right: an optional date (``hari ini``, ``kemarin``, ``kemarin lusa``,
    ``21/11``, ``21-11-2026``, ``2026-11-21``); a time range (``08.00-10.30``, ``8-10``) or a
    duration with a unit (``90 menit``, ``1,5 jam``); the description; optionally ``#n``, the
    1-based RHK number; and after ``#n`` only, an optional quantity (a number, then unit words
    up to the end). Without ``#n`` every word after the time is description, so "Rapat HUT RI 80"
    keeps its number; a quantity counts toward an RHK target, so it needs one anyway.

    Ordinary chat never starts with a date word, a time range, a clock like ``08.00`` or a
    duration with a unit, so anything else returns None. Once a message starts like an entry,
    a wrong part raises its specific code rather than being dropped. ``8-10`` at the start is a
    time range unless another time follows it, in which case it is the date 8 October.
    """
    rest = _squash(text)
    work_date = today
    dated = False
    date_match = _LEADING_DATE_RE.match(rest)
    if date_match is not None:
        after = rest[date_match.end() :].lstrip(" ,")
        bare_dash = date_match["sep"] == "-" and date_match["year"] is None
        if not bare_dash or _starts_with_time(after):
            work_date = _work_date(date_match, today)
            rest, dated = after, True

    start: time | None = None
    end: time | None = None
    if (range_match := _LEADING_RANGE_RE.match(rest)) is not None:
        start, end = _time_range(range_match)
        minutes = minutes_between(start, end)
        rest = rest[range_match.end() :]
    elif (duration_match := _LEADING_DURATION_RE.match(rest)) is not None:
        minutes = _duration_minutes(duration_match)
        rest = rest[duration_match.end() :]
    elif dated or _LEADING_CLOCK_RE.match(rest):
        raise ActivityTextError("activity.time_range")
    else:
        return None

    words = rest.lstrip(_DESCRIPTION_LEAD).split()
    marker = next((i for i, word in enumerate(words) if _RHK_RE.fullmatch(word)), None)
    description = check_description(" ".join(words if marker is None else words[:marker]))
    rhk_number: int | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    if marker is not None:
        rhk_number = int(words[marker][1:])
        if not 1 <= rhk_number <= MAX_RHK_NUMBER:
            raise ActivityTextError("activity.rhk")
        if tail := words[marker + 1 :]:
            quantity, unit = parse_quantity(" ".join(tail))
    return QuickEntry(
        work_date=work_date,
        start=start,
        end=end,
        minutes=minutes,
        description=description,
        rhk_number=rhk_number,
        quantity=quantity,
        quantity_unit=unit,
    )


def _squash(text: str) -> str:
    return " ".join(text.split())


def _clock(text: str) -> time:
    match = _CLOCK_RE.fullmatch(text)
    if match is None:
        raise ActivityTextError("activity.time")
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 23 or minute > 59:
        raise ActivityTextError("activity.time")
    return time(hour, minute)


def _time_range(match: re.Match[str]) -> tuple[time, time]:
    start, end = _clock(match["start"]), _clock(match["end"])
    if end <= start:
        raise ActivityTextError("activity.end_before_start")
    return start, end


def _decimal(text: str) -> Decimal:
    if _THOUSANDS_RE.fullmatch(text):
        return Decimal(text.replace(".", "").replace(",", "."))
    return Decimal(text.replace(",", "."))


def _duration_minutes(match: re.Match[str]) -> int:
    total = Decimal(0)
    if match["hours"] is not None:
        total += _decimal(match["hours"]) * 60
    for part in ("extra", "minutes"):
        if match[part] is not None:
            total += _decimal(match[part])
    if total <= 0 or total != total.to_integral_value():
        raise ActivityTextError("activity.duration")
    if total > MAX_ENTRY_MINUTES:
        raise ActivityTextError(
            "activity.duration_too_long", {"max_hours": MAX_ENTRY_MINUTES // 60}
        )
    return int(total)


def _starts_with_time(text: str) -> bool:
    return any(
        pattern.match(text) is not None
        for pattern in (_LEADING_RANGE_RE, _LEADING_DURATION_RE, _LEADING_CLOCK_RE)
    )


def _work_date(match: re.Match[str], today: date) -> date:
    if match["word"] is not None:
        return today - timedelta(days=_DAYS_AGO[_squash(match["word"]).lower()])
    value = {"value": match["date"]}
    try:
        if match["iso_year"] is not None:
            return date(int(match["iso_year"]), int(match["iso_month"]), int(match["iso_day"]))
        day, month = int(match["day"]), int(match["month"])
        if match["year"] is not None:
            year = int(match["year"])
            return date(year + 2000 if len(match["year"]) == 2 else year, month, day)
        date(2000, month, day)  # a leap year: only impossible day/month pairs fail here
    except ValueError:
        raise ActivityTextError("activity.date", value) from None
    for year in range(today.year, today.year - _LEAP_LOOKBACK_YEARS - 1, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    raise ActivityTextError("activity.date", value)  # pragma: no cover - leap years recur
