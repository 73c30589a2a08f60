"""A switchable front for the fake Bot API: hold, fail or stall the calls of chosen methods.

The fake (tests/support/fake_telegram.py) answers like Telegram; this front sits before it, on
its own port, and lets a fault test make the Bot API misbehave for a while:

    front = await BotApiFront.start(fake, aiohttp_server)   # front.url for TELEGRAM_API_URL
    front.hold("answerCallbackQuery")       # calls wait until front.release()
    front.fail("sendMessage", status=502)   # Telegram's 5xx (or 429 with retry_after)
    front.stall("sendMessage")              # no answer at all: the client times out
    front.heal()                            # everything passes again
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from aiohttp import web
from pytest_aiohttp import AiohttpServer

from tests.support.fake_telegram import FakeBotApi


@dataclass
class Failure:
    status: int
    retry_after: int | None = None


class BotApiFront:
    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.url = ""
        self.held: dict[str, int] = {}  # method -> calls waiting now
        self.refused: dict[str, int] = {}  # method -> calls answered with a failure
        self.stalled: dict[str, int] = {}  # method -> calls left unanswered
        self._holds: dict[str, asyncio.Event] = {}
        self._failures: dict[str, Failure] = {}
        self._stalled: set[str] = set()
        self._arrived = asyncio.Condition()

    @classmethod
    async def start(cls, fake: FakeBotApi, aiohttp_server: AiohttpServer) -> BotApiFront:
        front = cls(fake)
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", front._handle)
        server = await aiohttp_server(app)
        front.url = str(server.make_url("/")).rstrip("/")
        return front

    def hold(self, method: str) -> None:
        self._holds[method] = asyncio.Event()

    def release(self) -> None:
        for event in self._holds.values():
            event.set()
        self._holds.clear()

    def fail(self, method: str, status: int, retry_after: int | None = None) -> None:
        self._failures[method] = Failure(status, retry_after)

    def stall(self, method: str) -> None:
        self._stalled.add(method)

    def heal(self) -> None:
        self._failures.clear()
        self._stalled.clear()
        self.release()

    async def wait_held(self, method: str, count: int, within: float = 20.0) -> None:
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: self.held.get(method, 0) >= count)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if method in self._stalled:
            self.stalled[method] = self.stalled.get(method, 0) + 1
            await asyncio.sleep(3600)  # the client's timeout ends this
        failure = self._failures.get(method)
        if failure is not None:
            self.refused[method] = self.refused.get(method, 0) + 1
            body: dict[str, object] = {
                "ok": False,
                "error_code": failure.status,
                "description": "Too Many Requests: retry later"
                if failure.status == 429
                else "Internal Server Error",
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return web.json_response(body, status=failure.status, dumps=json.dumps)
        gate = self._holds.get(method)
        if gate is not None:
            async with self._arrived:
                self.held[method] = self.held.get(method, 0) + 1
                self._arrived.notify_all()
            try:
                await gate.wait()
            finally:
                self.held[method] -= 1
        return await self.fake._handle(request)
