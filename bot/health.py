"""`/readyz`: may a load balancer send this worker traffic? (`/healthz` only says it is up.)

Ready means the database answers a query within two seconds and at least one channel is
configured; otherwise 503 with what is missing, so a worker that lost its database is taken out
of rotation until it can serve again, instead of answering every update with an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import text

from storage.database import Database

log = logging.getLogger(__name__)
READY_TIMEOUT = 2.0


def readyz(
    database: Database, channels: tuple[str, ...]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def view(_request: web.Request) -> web.Response:
        problems = []
        database_state = "ok"
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                db = await database.begin()
                try:
                    await db.execute(text("SELECT 1"))
                finally:
                    await db.close()
        except Exception as error:
            database_state = "unreachable"
            problems.append("database")
            log.warning("not ready: database %s", type(error).__name__)
        if not channels:
            problems.append("channels")
        body = {
            "status": "ready" if not problems else "not ready",
            "database": database_state,
            "channels": list(channels),
        }
        return web.json_response(body, status=503 if problems else 200)

    return view
