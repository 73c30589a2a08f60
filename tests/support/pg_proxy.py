"""An in-process TCP proxy in front of PostgreSQL that can "restart" the server for one test.

The machine's PostgreSQL is shared with other engineers' tests and benchmarks, so a fault test
must never restart it. What the service sees of a restart is this: every open connection is
closed by the server, and new connections are refused until it is back. The proxy does exactly
that between the service and the real server, for this test's connections only:

    proxy = await PgProxy.start("127.0.0.1", 5432)
    url = proxy.url_for(pg_url)          # the same database, through the proxy
    proxy.go_down()                      # drop every connection, refuse new ones
    proxy.come_back()                    # accept again
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.engine import make_url

CHUNK = 64 * 1024


class PgProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.down = False
        self.accepted = 0
        self.refused = 0
        self._pipes: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    @classmethod
    async def start(cls, target_host: str, target_port: int) -> PgProxy:
        proxy = cls(target_host, target_port)
        proxy._server = await asyncio.start_server(proxy._accept, "127.0.0.1", 0)
        return proxy

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url_for(self, url: str) -> str:
        """`url` (a SQLAlchemy URL of the real server) pointed at the proxy instead."""
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(False)

    @property
    def open_connections(self) -> int:
        return len(self._pipes) // 2

    def go_down(self) -> None:
        """The server "stops": every connection is cut and new ones are refused."""
        self.down = True
        self.drop_all()

    def come_back(self) -> None:
        self.down = False

    def drop_all(self) -> None:
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    async def close(self) -> None:
        self.drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.accepted += 1
        self._pipes.update((writer, server_writer))
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await asyncio.gather(
                self._pump(reader, server_writer), self._pump(server_reader, writer)
            )
        finally:
            self._tasks.discard(task)
            for end in (writer, server_writer):
                self._pipes.discard(end)
                end.transport.abort()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
