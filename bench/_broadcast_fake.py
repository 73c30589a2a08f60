"""A lean fake Telegram Bot API that enforces a send rate, for the broadcast benchmark.

Like `bench/_ingest_fake.py` it validates nothing and answers at once, but `sendMessage` is
limited to `--rate` calls in any one-second window, all chats together, as Telegram limits a
bot: a call over the limit is answered 429 with `retry_after` and not counted as delivered.
Accepted messages whose text contains `--marker` (the broadcast's) are counted per chat, which
is how the benchmark finds lost and duplicated messages. `GET /_stats` returns the counters.

Run on its own: `python -m bench._broadcast_fake --port PORT --rate N --marker TEXT`.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import time
from typing import Any

from aiohttp import web

from bench._ingest_fake import READY_PATH, STATS_PATH, _error, _ok, _params

RETRY_AFTER = 1
_TRUE = json.dumps({"ok": True, "result": True}).encode()


class Limit:
    """At most `rate` calls in any window of one second (a sliding window, the strict kind)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.recent: collections.deque[float] = collections.deque()

    def take(self, now: float) -> bool:
        while self.recent and self.recent[0] <= now - 1.0:
            self.recent.popleft()
        if len(self.recent) >= self.rate:
            return False
        self.recent.append(now)
        return True


def make_app(rate: int, marker: str) -> web.Application:
    app = web.Application()
    calls: collections.Counter[str] = collections.Counter()
    per_chat: collections.Counter[int] = collections.Counter()
    window: dict[str, float] = {}
    limited = [0]
    limit = Limit(rate)
    message_ids = itertools.count(1_000_000)

    async def call(request: web.Request) -> web.Response:
        prefix, method = request.match_info["prefix"], request.match_info["method"]
        if not prefix.startswith("bot") or ":" not in prefix:
            return _error(404, "Not Found")
        calls[method] += 1
        lowered = method.lower()
        if lowered == "getme":
            bot_id = int(prefix[3:].split(":", 1)[0])
            return _ok({"id": bot_id, "is_bot": True, "first_name": "Bench", "username": "b_bot"})
        if lowered not in ("sendmessage", "editmessagetext"):
            return web.Response(body=_TRUE, content_type="application/json")
        params = await _params(request)
        chat_id = int(params.get("chat_id", 0))
        text = str(params.get("text", ""))
        if lowered == "sendmessage":
            now = time.monotonic()
            if not limit.take(now):
                limited[0] += 1
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {RETRY_AFTER}",
                    "parameters": {"retry_after": RETRY_AFTER},
                }
                return web.json_response(body, status=429)
            if marker in text:
                per_chat[chat_id] += 1
                window.setdefault("first", now)
                window["last"] = now
        message_id = int(params["message_id"]) if "message_id" in params else next(message_ids)
        chat = {"id": chat_id, "type": "private", "first_name": "Budi"}
        return _ok(
            {"message_id": message_id, "date": int(time.time()), "chat": chat, "text": text}
        )

    async def stats(_request: web.Request) -> web.Response:
        result: dict[str, Any] = {
            "calls": dict(calls),
            "limited": limited[0],
            "per_chat": {str(chat): count for chat, count in per_chat.items()},
            **window,
        }
        return web.json_response(result)

    async def ready(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get(STATS_PATH, stats)
    app.router.add_get(READY_PATH, ready)
    app.router.add_route("*", "/{prefix}/{method}", call)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=int, required=True)
    parser.add_argument("--marker", required=True)
    args = parser.parse_args()
    app = make_app(args.rate, args.marker)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
