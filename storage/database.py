"""The database a unit of work runs on: PostgreSQL through asyncpg, SQLite inline on the loop.

Repositories talk to a `Db` (one open transaction) and never learn which backend is behind it.

Why SQLite does not go through an async driver: aiosqlite runs every statement on its own thread
and hands the result back through the event loop, one hop per statement, and those hops were
most of an update's cost (DESIGN.md section 6: 370 updates/s through aiosqlite against 3,100/s
for plain sqlite3). SQLite allows one writer at a time anyway, so transactions here take turns
on an `asyncio.Lock`, begin with `BEGIN IMMEDIATE` (the write lock up front, so no statement
inside can meet a busy database) and run their statements inline: each is tens of microseconds
against a local file in WAL mode. Waiting for another *process* (a CLI import while the
service runs) happens in `asyncio.sleep`, never by blocking the loop. Long jobs given to
`run_sync` (migrations, imports, reports) run on a worker thread while holding the same lock.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar, TypeVarTuple, overload

from sqlalchemy import Connection, CursorResult, Engine, Executable, ScalarResult, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.selectable import TypedReturnsRows

from storage.hot import Hot

P = ParamSpec("P")
T = TypeVar("T")
Ts = TypeVarTuple("Ts")
AnyResult = CursorResult[*tuple[Any, ...]]
Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None

log = logging.getLogger(__name__)

# How long a transaction waits for another process holding SQLite's write lock.
SQLITE_LOCK_WAIT_SECONDS = 10.0
_SQLITE_RETRY_PAUSE = 0.005


class Db(ABC):
    """One open transaction. Repositories execute on it; only the unit of work ends it."""

    dialect: Dialect

    @overload
    async def execute(
        self, statement: TypedReturnsRows[*Ts], parameters: Parameters = None
    ) -> CursorResult[*Ts]: ...

    @overload
    async def execute(self, statement: Executable, parameters: Parameters = None) -> AnyResult: ...

    async def execute(self, statement: Executable, parameters: Parameters = None) -> AnyResult:
        """Run a statement; a list of parameter mappings runs it once per mapping."""
        return await self._execute(statement, parameters)

    @abstractmethod
    async def _execute(self, statement: Executable, parameters: Parameters) -> AnyResult: ...

    async def scalar(self, statement: Executable, parameters: Parameters = None) -> Any:
        return (await self.execute(statement, parameters)).scalar()

    async def scalars(
        self, statement: Executable, parameters: Parameters = None
    ) -> ScalarResult[Any]:
        return (await self.execute(statement, parameters)).scalars()

    @abstractmethod
    async def fetch(self, statement: Hot, parameters: Mapping[str, Any]) -> list[Any]:
        """Run a hot statement (`storage.hot`); its rows as named tuples."""

    @abstractmethod
    async def write(self, statement: Hot, parameters: Mapping[str, Any]) -> int:
        """Run a hot statement (`storage.hot`); the number of rows it affected."""

    @abstractmethod
    async def run_sync(
        self, function: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Call `function(connection, ...)` with a synchronous SQLAlchemy connection."""

    @abstractmethod
    def in_transaction(self) -> bool: ...

    @abstractmethod
    async def commit(self) -> None: ...

    @abstractmethod
    async def rollback(self) -> None: ...

    @abstractmethod
    async def close(self) -> None:
        """Roll back anything uncommitted and give the connection back."""


class Database(ABC):
    """Where transactions come from; one per process, disposed at shutdown."""

    dialect: Dialect

    @property
    def backend(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.dialect.name

    @abstractmethod
    async def begin(self) -> Db:
        """Open a connection with a transaction already begun."""

    async def run_sync(
        self, function: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `function` in one transaction, committed if it returns (migrations use this)."""
        db = await self.begin()
        try:
            result = await db.run_sync(function, *args, **kwargs)
            await db.commit()
            return result
        finally:
            await db.close()

    @abstractmethod
    def connections_in_use(self) -> int:
        """Connections inside a unit of work now (what a clean shutdown waits for)."""

    @abstractmethod
    async def dispose(self) -> None: ...


def create_database(url: str, **kwargs: Any) -> Database:
    """The database for a `DATABASE_URL`: `sqlite:///file` or `postgresql+asyncpg://...`.

    `sqlite+aiosqlite:///file`, the form earlier versions documented, means the same file.
    Extra keyword arguments go to the PostgreSQL engine (pool sizing).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SqliteDatabase(parsed.set(drivername="sqlite+pysqlite").render_as_string(False))
    # AUTOCOMMIT: SQLAlchemy sends no BEGIN/COMMIT of its own; `AsyncDb` owns the transaction.
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", **kwargs)
    event.listen(engine.sync_engine, "checkout", _replace_closed_connection)
    return AsyncDatabase(engine)


# --- PostgreSQL -------------------------------------------------------------------------------


class AsyncDb(Db):
    """A transaction on one pooled asyncpg connection, begun and ended on the driver itself.

    The engine runs in AUTOCOMMIT, so SQLAlchemy never begins or commits on its own; this class
    sends BEGIN on the driver before the first statement (and again before a statement after a
    commit or rollback: SQLAlchemy's autobegin), and COMMIT or ROLLBACK when told. Everything
    runs inside that transaction on the same connection: Core statements through SQLAlchemy,
    `run_sync` functions, and hot statements (`storage.hot`) straight on the driver. Why: begin,
    commit and each statement through `AsyncConnection` cost a greenlet switch and SQLAlchemy's
    execution machinery, a measured third of an update's CPU. A connection that failed mid-way
    or is left inside a transaction is invalidated, never handed back to the pool.

    Errors of hot statements are raised as SQLAlchemy's classes (`IntegrityError` and so on,
    with the asyncpg error as `orig`), like those of statements run through SQLAlchemy.
    """

    __slots__ = ("_active", "_connection", "_driver", "_home", "_transaction", "dialect")

    def __init__(self, connection: AsyncConnection, driver: Any, home: AsyncDatabase) -> None:
        self._connection = connection
        self._driver = driver  # the asyncpg connection behind `connection`
        self._home: AsyncDatabase | None = home  # gets the connection back when this ends
        self._transaction: Any = None  # the driver's transaction, once BEGIN was sent
        self._active = True  # begun, as far as callers know (BEGIN goes out with a statement)
        self.dialect = connection.dialect

    async def _begun(self) -> Any:
        """The driver connection, inside a transaction."""
        self._active = True
        if self._transaction is None:
            transaction = self._driver.transaction()
            try:
                await transaction.start()
            except Exception as error:
                raise _sqlalchemy_error(error, "BEGIN", ()) from error
            self._transaction = transaction
        return self._driver

    async def _execute(self, statement: Executable, parameters: Parameters) -> AnyResult:
        await self._begun()
        return await self._connection.execute(statement, parameters)

    async def fetch(self, statement: Hot, parameters: Mapping[str, Any]) -> list[Any]:
        driver = await self._begun()
        compiled = statement.compiled(self.dialect, parameters)
        arguments = compiled.arguments(parameters)
        try:
            if not compiled.knows_result_types:
                prepared = await driver.prepare(compiled.sql)
                types = [attribute.type.oid for attribute in prepared.get_attributes()]
                compiled.learn_result_types(self.dialect, types)
            records = await driver.fetch(compiled.sql, *arguments)
        except Exception as error:
            raise _sqlalchemy_error(error, compiled.sql, arguments) from error
        return compiled.rows(records)

    async def write(self, statement: Hot, parameters: Mapping[str, Any]) -> int:
        driver = await self._begun()
        compiled = statement.compiled(self.dialect, parameters)
        arguments = compiled.arguments(parameters)
        try:
            status = await driver.execute(compiled.sql, *arguments)
        except Exception as error:
            raise _sqlalchemy_error(error, compiled.sql, arguments) from error
        return _rowcount(status)

    async def run_sync(
        self, function: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        await self._begun()
        return await self._connection.run_sync(function, *args, **kwargs)

    def in_transaction(self) -> bool:
        return self._active

    async def commit(self) -> None:
        await self._end("COMMIT")

    async def rollback(self) -> None:
        await self._end("ROLLBACK")

    async def _end(self, how: str) -> None:
        transaction, self._transaction = self._transaction, None
        self._active = False
        if transaction is None:
            return
        if how == "ROLLBACK" and self._driver.is_closed():
            return  # the server rolled it back when the connection went (e.g. cancelled)
        try:
            await (transaction.commit() if how == "COMMIT" else transaction.rollback())
        except Exception as error:
            raise _sqlalchemy_error(error, how, ()) from error

    async def close(self) -> None:
        clean = False
        try:
            if self._transaction is not None and not self._driver.is_closed():
                await self.rollback()
            clean = not self._driver.is_closed() and not self._driver.is_in_transaction()
        except Exception:
            log.warning("rollback failed; the connection is discarded", exc_info=True)
        finally:
            self._transaction = None
            self._active = False
            home, self._home = self._home, None
            if home is not None:
                await home.give_back(self._connection, self._driver, clean=clean)


# What SQLAlchemy's asyncpg dialect raises for each kind of driver error (most specific first).
_ERROR_CLASSES: tuple[tuple[str, type[DBAPIError]], ...] = (
    ("IntegrityConstraintViolationError", IntegrityError),
    ("SyntaxOrAccessError", ProgrammingError),
    ("InternalServerError", InternalError),
    ("InterfaceError", InterfaceError),
    ("PostgresError", DBAPIError),
)
_ROWCOUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


def _sqlalchemy_error(error: Exception, sql: str, arguments: Sequence[Any]) -> Exception:
    """A driver error as the SQLAlchemy exception its path through SQLAlchemy would raise."""
    import asyncpg

    for name, sqlalchemy_class in _ERROR_CLASSES:
        if isinstance(error, getattr(asyncpg, name)):
            return sqlalchemy_class(sql, tuple(arguments), error)
    return error


def _rowcount(status: str | None) -> int:
    """Rows affected, from the command tag ("INSERT 0 1"), as SQLAlchemy's dialect reads it."""
    match = _ROWCOUNT.match(status or "")
    return int(match.group(1)) if match else -1


def _replace_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Never hand out a pooled connection the server has already closed (a restart).

    asyncpg notices the server's goodbye on an idle connection by itself, so this costs no
    round trip (unlike pre-ping); the pool then opens a fresh connection in its place. Without
    it every dead pooled connection failed one update after a restart (tests/faults/).
    """
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


class AsyncDatabase(Database):
    """Transactions on pooled asyncpg connections, the pool's checkout skipped while warm.

    A unit of work that ends cleanly leaves its connection on an idle list, still checked out
    of SQLAlchemy's pool, and the next unit of work takes it from there. Why: a checkout and a
    checkin through the pool (its events, reset-on-return and greenlet switches) cost more CPU
    than a short statement, and a webhook update is one unit of work. The pool still bounds the
    number of connections and opens new ones, and it gets back every connection that was idle
    longer than `IDLE_SECONDS` (so its recycling applies) or that the idle list cannot hold.
    A connection that failed is discarded; when it was lost (the socket closed), so is every
    idle one: a database restart cuts them all, and each would otherwise fail an update.
    """

    IDLE_SECONDS = 30.0

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        # Idle connections, the most recently used last: (connection, driver, idle since).
        self._idle: list[tuple[AsyncConnection, Any, float]] = []
        size = getattr(engine.pool, "size", None)
        self._idle_max = size() if callable(size) else 5
        self._in_use = 0

    async def begin(self) -> Db:
        now = time.monotonic()
        while self._idle:
            connection, driver, since = self._idle.pop()
            if driver.is_closed():
                await _discard(connection, driver)
            elif now - since >= self.IDLE_SECONDS:
                await connection.close()  # back to the pool, which recycles it when due
            else:
                self._in_use += 1
                return AsyncDb(connection, driver, self)
        connection = await self.engine.connect()
        try:
            driver = (await connection.get_raw_connection()).driver_connection
        except BaseException:
            await connection.close()
            raise
        self._in_use += 1
        return AsyncDb(connection, driver, self)

    async def give_back(self, connection: AsyncConnection, driver: Any, *, clean: bool) -> None:
        """Where a unit of work's connection goes as it ends (see the class docstring)."""
        self._in_use -= 1
        if clean and len(self._idle) < self._idle_max:
            self._idle.append((connection, driver, time.monotonic()))
            return
        try:
            if clean:
                await connection.close()
            else:
                await _discard(connection, driver)
        finally:
            if not clean and driver.is_closed():
                idle, self._idle = self._idle, []
                for idle_connection, idle_driver, _since in idle:
                    await _discard(idle_connection, idle_driver)

    def connections_in_use(self) -> int:
        return self._in_use  # idle ones excluded

    async def dispose(self) -> None:
        idle, self._idle = self._idle, []
        for connection, _driver, _since in idle:
            await connection.close()
        await self.engine.dispose()


async def _discard(connection: AsyncConnection, driver: Any) -> None:
    """Close a connection that failed or was cut, without a round trip, and tell the pool."""
    driver.terminate()
    try:
        await connection.invalidate()
    finally:
        await connection.close()


# --- SQLite -----------------------------------------------------------------------------------


class SqliteDb(Db):
    """A transaction on the loop's thread; `release` hands the turn to the next one."""

    def __init__(self, connection: Connection, release: Callable[[], None]) -> None:
        self._connection = connection
        self._release: Callable[[], None] | None = release
        self.dialect = connection.dialect

    async def _execute(self, statement: Executable, parameters: Parameters) -> AnyResult:
        return self._connection.execute(statement, parameters)

    async def fetch(self, statement: Hot, parameters: Mapping[str, Any]) -> list[Any]:
        assert statement.row is not None, "fetch() needs a statement that returns rows"
        make = statement.row._make  # type: ignore[attr-defined]
        return [make(row) for row in self._connection.execute(statement.statement, parameters)]

    async def write(self, statement: Hot, parameters: Mapping[str, Any]) -> int:
        result = self._connection.execute(statement.statement, parameters)
        assert isinstance(result, CursorResult)
        return result.rowcount

    async def run_sync(
        self, function: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await asyncio.to_thread(function, self._connection, *args, **kwargs)

    def in_transaction(self) -> bool:
        return self._connection.in_transaction()

    async def commit(self) -> None:
        self._connection.commit()

    async def rollback(self) -> None:
        self._connection.rollback()

    async def close(self) -> None:
        try:
            self._connection.close()
        finally:
            if self._release is not None:
                release, self._release = self._release, None
                release()


class SqliteDatabase(Database):
    def __init__(self, url: str) -> None:
        # The connection is used from the loop's thread and, for `run_sync`, a worker thread,
        # never both at once (the turn lock), so sqlite3's same-thread check is switched off.
        self.engine: Engine = create_sync_engine(url, connect_args={"check_same_thread": False})
        self.dialect = self.engine.dialect
        _configure_sqlite(self.engine)
        # One turn lock per event loop (tests run several loops over one process).
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._in_use = 0

    def _turn(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._turns.get(loop)
        if lock is None:
            lock = self._turns[loop] = asyncio.Lock()
        return lock

    async def begin(self) -> Db:
        turn = self._turn()
        await turn.acquire()
        try:
            connection = await self._begin_immediate()
        except BaseException:
            turn.release()
            raise
        self._in_use += 1

        def release() -> None:
            self._in_use -= 1
            turn.release()

        return SqliteDb(connection, release)

    def connections_in_use(self) -> int:
        return self._in_use

    async def _begin_immediate(self) -> Connection:
        """BEGIN IMMEDIATE, waiting (without blocking the loop) while another process writes."""
        deadline = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
        while True:
            connection = self.engine.connect()
            try:
                connection.begin()  # the "begin" event below sends BEGIN IMMEDIATE
                return connection
            except OperationalError as error:
                connection.close()
                if not _is_busy(error) or time.monotonic() >= deadline:
                    raise
            except BaseException:
                connection.close()
                raise
            await asyncio.sleep(_SQLITE_RETRY_PAUSE)

    async def dispose(self) -> None:
        self.engine.dispose()


def _is_busy(error: OperationalError) -> bool:
    original = error.orig
    return isinstance(original, sqlite3.OperationalError) and "locked" in str(original).lower()


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and transactions we begin ourselves.

    WAL lets readers (the web chat, a report) run while an import writes; foreign keys are off by
    default in SQLite and the schema relies on them; synchronous=NORMAL is WAL's documented
    setting (a killed process loses nothing; only a power cut can lose the last commits).
    sqlite3's own implicit BEGIN is turned off so that every transaction, migrations included,
    starts with our BEGIN IMMEDIATE.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # No waiting inside sqlite3 (it would block the loop): the only statement that can meet
        # another writer is our BEGIN IMMEDIATE, and `_begin_immediate` waits for it in asyncio.
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
