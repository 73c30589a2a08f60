"""A lean fake Telegram Bot API for the ingest benchmark: instant, minimal answers, call counters.

Unlike `tests/support/fake_telegram.FakeBotApi` it checks nothing: it must never be the
bottleneck. It serves `/bot<token>/<method>` for the few methods the benchmarked bots call and
counts calls per method; `GET /_stats` returns the counters. Bodies may be JSON (our aiohttp
transport), form-urlencoded (PTB's httpx transport) or multipart.

Run on its own: `python -m bench._ingest_fake --port PORT` (the benchmark does this), or build
the app in-process with `make_app()`.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import time
from typing import Any

from aiohttp import web

READY_PATH = "/_ready"
STATS_PATH = "/_stats"
_TRUE_METHODS = frozenset(
    {
        "answercallbackquery",
        "setmycommands",
        "setwebhook",
        "deletewebhook",
        "editmessagereplymarkup",
    }
)
_TRUE = json.dumps({"ok": True, "result": True}).encode()


def make_app() -> web.Application:
    app = web.Application(client_max_size=8 * 1024 * 1024)
    calls: collections.Counter[str] = collections.Counter()
    message_ids = itertools.count(1_000_000)

    async def call(request: web.Request) -> web.Response:
        prefix, method = request.match_info["prefix"], request.match_info["method"]
        if not prefix.startswith("bot") or ":" not in prefix:
            return _error(404, "Not Found")
        calls[method] += 1
        lowered = method.lower()
        if lowered in _TRUE_METHODS:
            return web.Response(body=_TRUE, content_type="application/json")
        if lowered == "getme":
            bot_id = int(prefix[3:].split(":", 1)[0])
            return _ok(
                {
                    "id": bot_id,
                    "is_bot": True,
                    "first_name": "Kinerja Bench",
                    "username": "kinerja_bench_bot",
                    "can_join_groups": False,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                }
            )
        if lowered in ("sendmessage", "editmessagetext"):
            params = await _params(request)
            chat_id = int(params.get("chat_id", 0))
            message_id = int(params["message_id"]) if "message_id" in params else next(message_ids)
            return _ok(
                {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private", "first_name": "Budi"},
                    "text": str(params.get("text", "")),
                }
            )
        return _error(404, "Not Found: method not implemented by the benchmark fake")

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(dict(calls))

    async def ready(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get(STATS_PATH, stats)
    app.router.add_get(READY_PATH, ready)
    app.router.add_route("*", "/{prefix}/{method}", call)
    return app


async def _params(request: web.Request) -> dict[str, Any]:
    fields: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return fields
    if request.content_type == "application/json":
        body = json.loads(await request.read() or b"{}")
        if isinstance(body, dict):
            fields.update(body)
    else:  # form-urlencoded or multipart
        for name, value in (await request.post()).items():
            if isinstance(value, str):
                fields[name] = value
    return fields


def _ok(result: object) -> web.Response:
    return web.Response(
        body=json.dumps({"ok": True, "result": result}).encode(), content_type="application/json"
    )


def _error(status: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description}
    return web.json_response(body, status=status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
