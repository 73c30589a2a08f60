"""The ingest benchmark's anchor: a bare python-telegram-bot echo bot behind an aiohttp webhook.

Stock PTB throughout: `Bot(token, base_url=...)` with its default httpx transport, and
`Update.de_json`. A text message is echoed with `reply_text`, a button press answered with
`answer()`; the webhook answers 200 only after that call returned, like the service does. The
secret header is checked as the service checks it. No database, no state, no rendering.

Run: `python -m bench._ingest_echo --port PORT --api-root URL --token TOKEN --secret SECRET`
(the benchmark starts it); `GET /_ready` answers once the bot is initialised.
"""

from __future__ import annotations

import argparse
import hmac
import json
from collections.abc import AsyncIterator

from aiohttp import web
from telegram import Bot, Update

WEBHOOK_PATH = "/webhook"
READY_PATH = "/_ready"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
BOT = web.AppKey("bot", Bot)


def make_app(api_root: str, token: str, secret: str) -> web.Application:
    app = web.Application()
    app[BOT] = Bot(token, base_url=f"{api_root}/bot", base_file_url=f"{api_root}/file/bot")

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await app[BOT].initialize()
        yield
        await app[BOT].shutdown()

    async def webhook(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return web.Response(status=403, text="forbidden")
        data = json.loads(await request.read())
        update = Update.de_json(data, app[BOT])
        if update.callback_query is not None:
            await update.callback_query.answer()
        elif update.message is not None and update.message.text is not None:
            await update.message.reply_text(update.message.text)
        return web.Response(status=200)

    async def ready(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post(WEBHOOK_PATH, webhook)
    app.router.add_get(READY_PATH, ready)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-root", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    app = make_app(args.api_root, args.token, args.secret)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
