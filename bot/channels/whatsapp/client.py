"""A thin Graph API client on aiohttp: send a message, upload and download media.

`WHATSAPP_API_URL` is the root including the version (`https://graph.facebook.com/v23.0`); the
bot calls `<root>/<phone number id>/messages`, `<root>/<phone number id>/media` and
`<root>/<media id>`. Errors come back as `GraphError` with the Graph API's error code.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)
MAX_DOWNLOAD = 100 * 1024 * 1024  # WhatsApp's largest media (documents)


class GraphError(Exception):
    """The Graph API refused a call, or could not be reached (`code` 0)."""

    def __init__(self, status: int, code: int, message: str, details: str = "") -> None:
        super().__init__(
            f"HTTP {status}, error {code}: {message}" + (f" ({details})" if details else "")
        )
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class GraphClient:
    def __init__(self, api_url: str, token: str, phone_number_id: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self._headers = {"Authorization": f"Bearer {token}"}
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT, headers=self._headers)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, body: dict[str, Any]) -> str:
        """POST one message; returns its WhatsApp message id (`wamid.…`)."""
        data = await self._call(
            "POST", f"{self.api_url}/{self.phone_number_id}/messages", json=body
        )
        messages = data.get("messages") or [{}]
        return str(messages[0].get("id") or "")

    async def upload(self, data: bytes, mime_type: str, filename: str) -> str:
        """Upload a file for sending; returns its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", data, filename=filename, content_type=mime_type)
        result = await self._call(
            "POST", f"{self.api_url}/{self.phone_number_id}/media", data=form
        )
        return str(result["id"])

    async def download(self, media_id: str) -> tuple[bytes, str]:
        """A received file's bytes and MIME type: its URL from `/<media id>` (valid 5 minutes),
        then the file itself with the same token."""
        info = await self._call(
            "GET",
            f"{self.api_url}/{media_id}",
            params={"phone_number_id": self.phone_number_id},
        )
        url = str(info["url"])
        try:
            async with self.session.get(url) as response:
                if response.status != 200:
                    raise GraphError(response.status, 0, "media download failed")
                content = await response.content.read(MAX_DOWNLOAD + 1)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise GraphError(0, 0, f"{type(error).__name__}: {error}") from error
        if len(content) > MAX_DOWNLOAD:
            raise GraphError(413, 0, "media too large")
        return content, str(info.get("mime_type") or "application/octet-stream")

    async def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self.session.request(method, url, **kwargs) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise GraphError(0, 0, f"{type(error).__name__}: {error}") from error
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if status >= 400 or "error" in data:
            problem = data.get("error") or {}
            details = (problem.get("error_data") or {}).get("details") or ""
            raise GraphError(
                status,
                int(problem.get("code") or 0),
                str(problem.get("message") or raw[:200].decode("utf-8", "replace")),
                str(details),
            )
        return data
