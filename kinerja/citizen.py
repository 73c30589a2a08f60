"""Rules of the citizen channel: pseudonyms, sealed contact addresses, deep links, abuse limits.

Citizens are stored only under a keyed hash of their channel id (UU 27/2022): a leaked database
does not say who rated what, and without the secret nobody can test a known id against it. A
complainant who agrees to be contacted leaves a *sealed* address (encrypted and authenticated
with a key derived from the same secret), erased with the complaint by the retention job.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections import deque
from dataclasses import dataclass

# Deep-link payload: svc_<code>[_<counter>]; Telegram allows 64 chars of [A-Za-z0-9_-].
SERVICE_CODE = re.compile(r"^[A-Z0-9-]{2,20}$")
COUNTER_CODE = re.compile(r"^[A-Z0-9-]{1,12}$")
DEEP_LINK_PREFIX = "svc_"
MAX_COMMENT = 1000
MAX_COMPLAINT = 2000
MIN_COMPLAINT = 10
QUICK_LABELS = {4: "sangat_baik", 3: "baik", 2: "kurang_baik", 1: "tidak_baik"}


def pseudonym(secret: bytes, channel: str, external_id: str) -> str:
    """The stored name of a citizen: HMAC-SHA256 over (channel, id), 43 url-safe characters.

    The channel is part of the input so that the same number on two channels gives two
    unrelated pseudonyms (nothing links a citizen's Telegram and WhatsApp).
    """
    digest = hmac.new(secret, f"{channel}\x00{external_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _keys(secret: bytes) -> tuple[bytes, bytes]:
    enc = hmac.new(secret, b"kinerja-citizen-seal-enc", hashlib.sha256).digest()
    mac = hmac.new(secret, b"kinerja-citizen-seal-mac", hashlib.sha256).digest()
    return enc, mac


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = bytearray()
    counter = 0
    while len(blocks) < length:
        blocks += hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return bytes(blocks[:length])


def seal(secret: bytes, address: str) -> str:
    """Encrypt-then-MAC (HMAC-SHA256 counter stream, 16-byte nonce, 16-byte tag), base64url."""
    enc, mac = _keys(secret)
    nonce = secrets.token_bytes(16)
    plain = address.encode()
    body = bytes(a ^ b for a, b in zip(plain, _stream(enc, nonce, len(plain)), strict=True))
    tag = hmac.new(mac, nonce + body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(nonce + body + tag).decode()


def unseal(secret: bytes, sealed: str) -> str | None:
    """The address, or None when `sealed` was tampered with or made with another secret."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
    except (ValueError, TypeError):
        return None
    if len(raw) < 33:
        return None
    nonce, body, tag = raw[:16], raw[16:-16], raw[-16:]
    enc, mac = _keys(secret)
    expected = hmac.new(mac, nonce + body, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(tag, expected):
        return None
    plain = bytes(a ^ b for a, b in zip(body, _stream(enc, nonce, len(body)), strict=True))
    return plain.decode(errors="replace")


@dataclass(frozen=True, slots=True)
class ServiceLink:
    service: str
    counter: str | None = None

    def payload(self) -> str:
        tail = f"_{self.counter}" if self.counter else ""
        return f"{DEEP_LINK_PREFIX}{self.service}{tail}"


class BadLink(ValueError):
    """A deep-link payload that is not `svc_<code>[_<counter>]`."""


def parse_service_link(payload: str) -> ServiceLink:
    """`svc_KTP` or `svc_KTP_L2` → the service (and counter) codes, upper-cased."""
    text = payload.strip()
    if not text.lower().startswith(DEEP_LINK_PREFIX) or len(text) > 64:
        raise BadLink(payload)
    parts = text[len(DEEP_LINK_PREFIX) :].upper().split("_")
    if len(parts) not in (1, 2) or not SERVICE_CODE.match(parts[0]):
        raise BadLink(payload)
    counter = parts[1] if len(parts) == 2 else None
    if counter is not None and not COUNTER_CODE.match(counter):
        raise BadLink(payload)
    return ServiceLink(parts[0], counter)


def telegram_deep_link(bot_username: str, link: ServiceLink) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={link.payload()}"


def web_link(base_url: str, link: ServiceLink) -> str:
    return f"{base_url.rstrip('/')}/layanan?start={link.payload()}"


def normalise_code(value: str) -> str:
    return value.strip().upper()


def valid_service_code(value: str) -> bool:
    return bool(SERVICE_CODE.match(value)) and "_" not in value


def valid_counter_code(value: str) -> bool:
    return bool(COUNTER_CODE.match(value))


def parse_quick_rating(text: str) -> int | None:
    """A typed rating: exactly one digit 1-4; None for anything else ("5", "baik", "0")."""
    stripped = text.strip().rstrip(".")
    if len(stripped) == 1 and stripped in "1234":
        return int(stripped)
    return None


class SlidingWindow:
    """At most `limit` events per `seconds` per key, in memory (per process).

    Per process is enough for its purpose (a flood from one id is answered by the worker it
    reaches); a farm of workers multiplies the limit by their number, documented.
    """

    def __init__(self, limit: int, seconds: float, max_keys: int = 50_000) -> None:
        self.limit = limit
        self.seconds = seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str, now: float) -> bool:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._prune(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.seconds]:
            del self._hits[key]
        while len(self._hits) >= self.max_keys:
            del self._hits[next(iter(self._hits))]
