import pickle
from datetime import date

import pytest

from kinerja.errors import RuleViolation
from kinerja.nip import NIP_ERROR_CODES, Nip, NipError, parse_nip

TODAY = date(2025, 6, 1)


def test_pns_nip_is_decoded() -> None:
    assert parse_nip("199001012015031001", today=TODAY) == Nip(
        value="199001012015031001",
        birth_date=date(1990, 1, 1),
        appointment_year=2015,
        appointment_code="03",
        gender="L",
        sequence="001",
    )


def test_pppk_nip_keeps_a_non_month_appointment_code() -> None:
    nip = parse_nip("198505152021212003", today=TODAY)

    assert nip.appointment_year == 2021
    assert nip.appointment_code == "21"
    assert nip.gender == "P"
    assert nip.birth_date == date(1985, 5, 15)


@pytest.mark.parametrize(
    "raw",
    ["  199001012015031001\t", "19900101 201503 1 001", "19900101\u00a0201503\u00a01\u00a0001"],
)
def test_whitespace_around_and_inside_is_ignored(raw: str) -> None:
    assert parse_nip(raw, today=TODAY).value == "199001012015031001"


def _code(raw: str) -> tuple[str, dict[str, object]]:
    with pytest.raises(NipError) as caught:
        parse_nip(raw, today=TODAY)
    assert isinstance(caught.value, RuleViolation)
    return caught.value.code, dict(caught.value.params)


@pytest.mark.parametrize(
    ("raw", "code", "params"),
    [
        ("", "nip.required", {}),
        ("   ", "nip.required", {}),
        ("19900101201503100", "nip.length", {"length": 17}),
        ("1990010120150310011", "nip.length", {"length": 19}),
        ("19900101 2015", "nip.length", {"length": 12}),
        ("19900101-201503-1-001", "nip.digits", {}),
        ("1.99001E+17", "nip.digits", {}),
        ("１９９００１０１２０１５０３１００１", "nip.digits", {}),
        ("19901301201503 1 001", "nip.birth_date", {"value": "19901301"}),
        ("19900230201503 1 001", "nip.birth_date", {"value": "19900230"}),
        ("19390101201503 1 001", "nip.birth_date", {"value": "19390101"}),
        ("20110101201503 1 001", "nip.birth_date", {"value": "20110101"}),
        ("19900101201503 3 001", "nip.gender", {"value": "3"}),
        ("19900101201503 0 001", "nip.gender", {"value": "0"}),
    ],
)
def test_invalid_nips_are_rejected_with_a_code(
    raw: str, code: str, params: dict[str, object]
) -> None:
    assert _code(raw) == (code, params)


def test_birth_year_bounds() -> None:
    assert parse_nip("19400101201503 1 001", today=TODAY).birth_date.year == 1940
    assert parse_nip("20101231201503 1 001", today=TODAY).birth_date.year == 2010


def test_every_error_code_is_declared() -> None:
    raised = {_code(raw)[0] for raw in ["", "1", "x" * 18, "19901301201503 1 001"]}
    raised.add(_code("19900101201503 3 001")[0])
    assert raised == set(NIP_ERROR_CODES)


def test_rule_violation_is_readonly_picklable_and_noteable() -> None:
    error = NipError("nip.length", {"length": 17})

    with pytest.raises(TypeError):
        error.params["length"] = 1  # type: ignore[index]
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(copy) is NipError
    assert (copy.code, dict(copy.params)) == ("nip.length", {"length": 17})
    error.add_note("row 5")
    assert "nip.length" in str(error)
