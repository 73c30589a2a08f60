"""The dashboard's session cookie: a random session token with an HMAC, and the logout form's
CSRF token derived from it.

The token alone already decides who is logged in (its hash is looked up in the database); the
signature turns a tampered or forged cookie away before any query, and lets the CSRF token be
derived instead of stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

COOKIE = "kinerja_admin"
LANGUAGE_COOKIE = "kinerja_lang"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, label: str, value: str) -> str:
        digest = hmac.new(self._secret, f"{label}:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def cookie(self, session: str) -> str:
        return f"{session}.{self._mac('session', session)}"

    def session_of(self, cookie: str | None) -> str | None:
        """The session token of a well-formed cookie with a good signature, else None."""
        if not cookie or len(cookie) > 200:
            return None
        session, _, signature = cookie.partition(".")
        if not TOKEN.match(session):
            return None
        if not hmac.compare_digest(signature, self._mac("session", session)):
            return None
        return session

    def csrf(self, session: str) -> str:
        return self._mac("csrf", session)

    def csrf_ok(self, session: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf(session))
