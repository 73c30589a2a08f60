"""Indonesian mobile number normalisation.

Numbers are stored as ``628…`` (no plus), the form WhatsApp ids use, so a number typed in
any common way matches the same employee.
"""

from __future__ import annotations

from kinerja.errors import RuleViolation

MIN_LENGTH = 10
MAX_LENGTH = 15
PHONE_ERROR_CODES = ("phone.invalid", "phone.not_mobile")

_SEPARATORS = str.maketrans("", "", "-.()")


class PhoneError(RuleViolation):
    """A value that cannot be used to reach someone by phone."""


def normalize_phone(raw: str) -> str:
    """Return the ``628…`` form of an Indonesian mobile number.

    Accepts ``08…``, ``+62…``, ``62…``, ``+62 (0)8…`` and a bare ``8…`` (Excel drops the
    leading zero of numeric cells), with spaces, dashes, dots or parentheses.
    """
    text = "".join(raw.split()).translate(_SEPARATORS)
    text = text.removeprefix("+")
    if not (text.isascii() and text.isdigit()):
        raise PhoneError("phone.invalid")

    if text.startswith("0"):
        text = "62" + text[1:]
    elif text.startswith("8"):
        text = "62" + text
    elif text.startswith("620"):
        # "+62 (0)812…": the trunk zero written after the country code.
        text = "62" + text[3:]

    if not MIN_LENGTH <= len(text) <= MAX_LENGTH:
        raise PhoneError("phone.invalid")
    if not text.startswith("628"):
        raise PhoneError("phone.not_mobile")
    return text
