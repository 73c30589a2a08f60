import pytest

from kinerja.phone import PHONE_ERROR_CODES, PhoneError, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "+6281234567890",
        "6281234567890",
        "81234567890",
        "0812-3456-7890",
        " 0812 3456 7890 ",
        "(0812) 3456.7890",
        "+62 812-3456-7890",
        "+62 (0)812 3456 7890",
    ],
)
def test_common_forms_normalise_to_628(raw: str) -> None:
    assert normalize_phone(raw) == "6281234567890"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("081234567", "6281234567"), ("08123456789012", "628123456789012")],
)
def test_length_bounds_are_inclusive(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "phone.invalid"),
        ("  - ", "phone.invalid"),
        ("+", "phone.invalid"),
        ("0812 abc 7890", "phone.invalid"),
        ("0812345", "phone.invalid"),
        ("08123456", "phone.invalid"),
        ("081234567890123", "phone.invalid"),
        ("0812345678901234567890", "phone.invalid"),
        ("021-5551234", "phone.not_mobile"),
        ("(021) 555 1234", "phone.not_mobile"),
        ("+62 21 5551234", "phone.not_mobile"),
        ("+1 202 555 0123", "phone.not_mobile"),
    ],
)
def test_unusable_numbers_are_rejected(raw: str, code: str) -> None:
    with pytest.raises(PhoneError) as caught:
        normalize_phone(raw)

    assert caught.value.code == code
    assert code in PHONE_ERROR_CODES
