from __future__ import annotations

import pytest

from bot.chat.callbacks import MAX_PAYLOAD_BYTES, Payload, PayloadError

DECISION = Payload("ap", "id", "verdict")


def test_round_trip() -> None:
    packed = DECISION.pack(id=42, verdict="ok")
    assert packed == "ap:42:ok"
    assert DECISION.unpack(packed) == {"id": "42", "verdict": "ok"}
    assert DECISION.matches(packed)


@pytest.mark.parametrize(
    "data", ["ap:42", "ap:42:ok:extra", "xx:42:ok", "ap::ok", "ap", "ap:" + "1" * 70 + ":ok"]
)
def test_strict_unpack_rejects_forged_payloads(data: str) -> None:
    with pytest.raises(PayloadError):
        DECISION.unpack(data)


def test_pack_checks_the_64_byte_limit_in_bytes_not_characters() -> None:
    wide = Payload("w", "text")
    assert len(wide.pack(text="é" * 31).encode()) == MAX_PAYLOAD_BYTES
    with pytest.raises(PayloadError):
        wide.pack(text="é" * 32)


def test_pack_rejects_separator_missing_and_empty_fields() -> None:
    with pytest.raises(PayloadError):
        DECISION.pack(id="1:2", verdict="ok")
    with pytest.raises(PayloadError):
        DECISION.pack(id=1)
    with pytest.raises(PayloadError):
        DECISION.pack(id="", verdict="ok")


def test_prefix_matching_does_not_confuse_similar_prefixes() -> None:
    assert not Payload("ap").matches("apx:1")
    assert Payload("ap").matches("ap")
