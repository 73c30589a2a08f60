"""Short typed button payloads such as `ap:42:ok`, never longer than Telegram's 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PAYLOAD_BYTES = 64
SEPARATOR = ":"


class PayloadError(ValueError):
    """A payload that does not fit the codec: too long, wrong field count, or a bad value."""


@dataclass(frozen=True, slots=True)
class Payload:
    """A payload family: a short prefix and named fields, packed as `prefix:v1:v2`.

    Decoding is strict so that a forged or stale payload is recognised as such, not half-parsed.
    """

    prefix: str
    fields: tuple[str, ...] = ()

    def __init__(self, prefix: str, *fields: str) -> None:
        if not prefix or SEPARATOR in prefix:
            raise ValueError(f"bad payload prefix {prefix!r}")
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "fields", fields)

    def pack(self, **values: object) -> str:
        if set(values) != set(self.fields):
            raise PayloadError(f"{self.prefix} needs {self.fields}, got {tuple(values)}")
        parts = [self.prefix]
        for name in self.fields:
            text = str(values[name])
            if SEPARATOR in text or not text:
                raise PayloadError(f"{self.prefix}.{name} cannot be {text!r}")
            parts.append(text)
        packed = SEPARATOR.join(parts)
        if len(packed.encode()) > MAX_PAYLOAD_BYTES:
            raise PayloadError(f"payload {packed!r} is over {MAX_PAYLOAD_BYTES} bytes")
        return packed

    def matches(self, data: str) -> bool:
        return data == self.prefix or data.startswith(self.prefix + SEPARATOR)

    def unpack(self, data: str) -> dict[str, str]:
        """The field values; `PayloadError` if `data` is not exactly this family's shape."""
        if len(data.encode()) > MAX_PAYLOAD_BYTES:
            raise PayloadError("payload too long")
        head, *values = data.split(SEPARATOR)
        if head != self.prefix or len(values) != len(self.fields) or not all(values):
            raise PayloadError(f"{data!r} is not a {self.prefix} payload")
        return dict(zip(self.fields, values, strict=True))


MAIN_MENU = Payload("menu")
"""Back to the main menu: owned by the core because every feature and refusal offers it."""
