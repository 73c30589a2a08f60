"""NIP (Nomor Induk Pegawai) parsing.

An 18-digit NIP encodes birth date (digits 1-8), CPNS appointment year and month (9-14), gender
(15) and a sequence (16-18). PPPK numbers share the shape, but their digits 13-14 are not a month,
so the appointment part is kept as written instead of being validated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from kinerja.errors import RuleViolation

NIP_LENGTH = 18
MIN_BIRTH_YEAR = 1940
# Nobody on a roster is younger than this; catches typos like a 2019 birth year.
MIN_AGE_YEARS = 15

NIP_ERROR_CODES = ("nip.required", "nip.length", "nip.digits", "nip.birth_date", "nip.gender")

_GENDERS: dict[str, Literal["L", "P"]] = {"1": "L", "2": "P"}


class NipError(RuleViolation):
    """A NIP that cannot belong to a civil servant."""


@dataclass(frozen=True)
class Nip:
    value: str
    birth_date: date
    appointment_year: int
    appointment_code: str
    gender: Literal["L", "P"]
    sequence: str


def parse_nip(raw: str, *, today: date | None = None) -> Nip:
    """Parse a NIP as people type it, e.g. ``"19900101 201503 1 001"``.

    Any whitespace is dropped first because NIPs are commonly written in groups; other
    separators are rejected so a mangled value is never silently "repaired".
    """
    value = "".join(raw.split())
    if not value:
        raise NipError("nip.required")
    # Non-digits first: "1.99E+17" or "NIP: 1990..." deserve a better hint than a length.
    if not (value.isascii() and value.isdigit()):
        raise NipError("nip.digits")
    if len(value) != NIP_LENGTH:
        raise NipError("nip.length", {"length": len(value)})

    birth_date = _birth_date(value, today or date.today())
    gender = _GENDERS.get(value[14])
    if gender is None:
        raise NipError("nip.gender", {"value": value[14]})
    return Nip(
        value=value,
        birth_date=birth_date,
        appointment_year=int(value[8:12]),
        appointment_code=value[12:14],
        gender=gender,
        sequence=value[15:],
    )


def _birth_date(value: str, today: date) -> date:
    try:
        born = date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise NipError("nip.birth_date", {"value": value[:8]}) from None
    if not MIN_BIRTH_YEAR <= born.year <= today.year - MIN_AGE_YEARS:
        raise NipError("nip.birth_date", {"value": value[:8]})
    return born
