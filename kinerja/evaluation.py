"""Periodic evaluation (PermenPANRB 6/2022): ratings, the predikat matrix, periods, who may rate.

Pure rules over plain values (DESIGN.md section 3). The atasan rates *hasil kerja* and
*perilaku kerja* (guided by the seven BerAKHLAK values) as below / meeting / above expectations;
the predikat follows the regulation's matrix. Periods are monthly or quarterly (per instansi),
and the annual evaluation closes the year. An evaluation can be given from a period's last day
until `window_days` after it; then the period is closed. The employee may lodge one objection
(keberatan) while the period is open; it goes to the evaluator's own atasan.
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from kinerja.errors import RuleViolation


class Rating(StrEnum):
    """How hasil kerja or perilaku kerja compares with expectations."""

    BELOW = "bawah"
    MEETS = "sesuai"
    ABOVE = "atas"


class Predikat(StrEnum):
    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"  # "Kurang/Misconduct"
    SANGAT_KURANG = "sangat_kurang"


# hasil kerja -> perilaku kerja -> predikat, exactly DESIGN.md section 3.
PREDIKAT_MATRIX: dict[Rating, dict[Rating, Predikat]] = {
    Rating.ABOVE: {
        Rating.BELOW: Predikat.KURANG,
        Rating.MEETS: Predikat.BAIK,
        Rating.ABOVE: Predikat.SANGAT_BAIK,
    },
    Rating.MEETS: {
        Rating.BELOW: Predikat.KURANG,
        Rating.MEETS: Predikat.BAIK,
        Rating.ABOVE: Predikat.BAIK,
    },
    Rating.BELOW: {
        Rating.BELOW: Predikat.SANGAT_KURANG,
        Rating.MEETS: Predikat.BUTUH_PERBAIKAN,
        Rating.ABOVE: Predikat.BUTUH_PERBAIKAN,
    },
}


def predikat(hasil_kerja: Rating, perilaku_kerja: Rating) -> Predikat:
    """The predikat of a rating pair, by the regulation's matrix."""
    return PREDIKAT_MATRIX[hasil_kerja][perilaku_kerja]


# The seven BerAKHLAK core values, shown to the atasan as guidance for perilaku kerja.
BERAKHLAK = (
    "berorientasi_pelayanan",
    "akuntabel",
    "kompeten",
    "harmonis",
    "loyal",
    "adaptif",
    "kolaboratif",
)

FEEDBACK_MIN = 3
FEEDBACK_MAX = 1000
OBJECTION_MIN = 10
OBJECTION_MAX = 1000

EVALUATION_ERROR_CODES = (
    "evaluation.not_your_staff",
    "evaluation.not_open",
    "evaluation.closed",
    "evaluation.already_rated",
    "evaluation.feedback_short",
    "evaluation.feedback_long",
    "evaluation.missing",
    "evaluation.not_yours",
    "evaluation.objection_exists",
    "evaluation.objection_short",
    "evaluation.objection_long",
)


class EvaluationError(RuleViolation):
    """An evaluation or objection that may not be recorded; `code` is a catalog key."""


class PeriodKind(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_YEAR = re.compile(r"(\d{4})")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """An evaluation period: a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`)."""

    year: int
    kind: PeriodKind
    index: int  # month 1-12, quarter 1-4, or 1 for the year

    @property
    def code(self) -> str:
        if self.kind is PeriodKind.MONTHLY:
            return f"{self.year}-{self.index:02d}"
        if self.kind is PeriodKind.QUARTERLY:
            return f"{self.year}-Q{self.index}"
        return f"{self.year}"

    @property
    def first(self) -> date:
        if self.kind is PeriodKind.MONTHLY:
            return date(self.year, self.index, 1)
        if self.kind is PeriodKind.QUARTERLY:
            return date(self.year, 3 * self.index - 2, 1)
        return date(self.year, 1, 1)

    @property
    def last(self) -> date:
        if self.kind is PeriodKind.MONTHLY:
            month = self.index
        elif self.kind is PeriodKind.QUARTERLY:
            month = 3 * self.index
        else:
            month = 12
        return date(self.year, month, _calendar.monthrange(self.year, month)[1])

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last


def parse_period(code: str) -> Period:
    """`2026-11`, `2026-Q4` or `2026`; ValueError for anything else."""
    if match := _MONTH.fullmatch(code):
        month = int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(code)
        return Period(int(match[1]), PeriodKind.MONTHLY, month)
    if match := _QUARTER.fullmatch(code):
        return Period(int(match[1]), PeriodKind.QUARTERLY, int(match[2]))
    if _YEAR.fullmatch(code):
        return Period(int(code), PeriodKind.ANNUAL, 1)
    raise ValueError(code)


def period_containing(day: date, kind: PeriodKind) -> Period:
    if kind is PeriodKind.MONTHLY:
        return Period(day.year, kind, day.month)
    if kind is PeriodKind.QUARTERLY:
        return Period(day.year, kind, (day.month - 1) // 3 + 1)
    return Period(day.year, kind, 1)


def periods_ending(day: date, kind: PeriodKind) -> list[Period]:
    """Periods of the instansi's cycle whose last day is `day`, with the year on 31 December."""
    found = [p for p in (period_containing(day, kind),) if p.last == day]
    if day.month == 12 and day.day == 31:
        found.append(Period(day.year, PeriodKind.ANNUAL, 1))
    return found


def open_periods(today: date, kind: PeriodKind, window_days: int) -> list[Period]:
    """Periods that may be evaluated today: ended (or ending today), not yet closed.

    Most recent first; the annual evaluation after the year's last period.
    """
    found: list[Period] = []
    day = today
    while (today - day).days <= window_days:
        found.extend(p for p in periods_ending(day, kind) if is_open(p, today, window_days))
        day -= timedelta(days=1)
    return found


def is_open(period: Period, today: date, window_days: int) -> bool:
    return period.last <= today <= period.last + timedelta(days=window_days)


def check_open(period: Period, today: date, window_days: int) -> None:
    if today < period.last:
        raise EvaluationError("evaluation.not_open", {"period": period.code})
    if today > period.last + timedelta(days=window_days):
        raise EvaluationError("evaluation.closed", {"period": period.code})


def check_may_evaluate(
    evaluator_id: int,
    employee_supervisor_id: int | None,
    period: Period,
    today: date,
    window_days: int,
    *,
    already_rated: bool,
) -> None:
    """Only the employee's *current* atasan rates, once per period, while the period is open.

    Delegates (Plt/Plh) decide daily entries but do not rate: the predikat goes on the
    employee's record and is the definitive atasan's responsibility.
    """
    if employee_supervisor_id != evaluator_id:
        raise EvaluationError("evaluation.not_your_staff")
    check_open(period, today, window_days)
    if already_rated:
        raise EvaluationError("evaluation.already_rated")


def clean_feedback(text: str) -> str:
    cleaned = " ".join(text.split())
    if len(cleaned) < FEEDBACK_MIN:
        raise EvaluationError("evaluation.feedback_short", {"min": FEEDBACK_MIN})
    if len(cleaned) > FEEDBACK_MAX:
        raise EvaluationError("evaluation.feedback_long", {"max": FEEDBACK_MAX})
    return cleaned


def check_may_object(
    employee_id: int,
    evaluated_id: int,
    period: Period,
    today: date,
    window_days: int,
    *,
    objected: bool,
) -> None:
    """The evaluated employee alone objects, once, while the period is open."""
    if employee_id != evaluated_id:
        raise EvaluationError("evaluation.not_yours")
    check_open(period, today, window_days)
    if objected:
        raise EvaluationError("evaluation.objection_exists")


def clean_objection(text: str) -> str:
    cleaned = " ".join(text.split())
    if len(cleaned) < OBJECTION_MIN:
        raise EvaluationError("evaluation.objection_short", {"min": OBJECTION_MIN})
    if len(cleaned) > OBJECTION_MAX:
        raise EvaluationError("evaluation.objection_long", {"max": OBJECTION_MAX})
    return cleaned


@dataclass(frozen=True, slots=True)
class EvaluationPolicy:
    """The instansi's evaluation cycle (settings `EVALUATION_PERIOD`, `EVALUATION_WINDOW_DAYS`)."""

    kind: PeriodKind = PeriodKind.QUARTERLY
    window_days: int = 30


def policy_of(period: str, window_days: int) -> EvaluationPolicy:
    """From settings: `monthly` or `quarterly`."""
    return EvaluationPolicy(PeriodKind(period), window_days)


def latest_ended(today: date, kind: PeriodKind) -> Period:
    """The cycle's period that ended most recently before `today`."""
    current = period_containing(today, kind)
    return period_containing(current.first - timedelta(days=1), kind)


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    id: int
    employee_id: int
    evaluator_id: int
    period: str
    hasil_kerja: str
    perilaku_kerja: str
    predikat: str
    feedback: str
    created_at: datetime
    objection: str | None
    objected_at: datetime | None
    reviewer_id: int | None


@dataclass(frozen=True, slots=True)
class StaffEvaluation:
    """A staff member of an atasan, and their evaluation for a period if given."""

    employee_id: int
    nip: str
    name: str
    predikat: str | None


@dataclass(frozen=True, slots=True)
class UnitCompletion:
    unit_code: str
    unit_name: str
    staff: int  # active employees with an atasan
    evaluated: int
    objections: int
