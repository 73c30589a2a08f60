"""Statements on every update's path, compiled once and run on PostgreSQL's driver directly.

Why: through SQLAlchemy's `AsyncConnection` each statement costs a greenlet switch, a compiled
cache lookup, an execution context, parameter processing and a result object, several times what
asyncpg itself spends on the statement (measured: an update's five statements took about 1.0 ms
of CPU through SQLAlchemy against 0.4 ms on asyncpg alone), and the webhook path runs five to
eight of them per update. A `Hot` statement is an ordinary Core statement, built once at import,
that SQLAlchemy compiles once per dialect and set of parameter names into what the driver needs:
the SQL text, the order of its positional parameters, and SQLAlchemy's own bind and result
processors for the statement's types. Values therefore go in and come out exactly as through
SQLAlchemy (JSON serialised by SQLAlchemy's serializer, booleans checked, and so on;
tests/storage/test_hot.py compares every column type with SQLAlchemy's path). Rows come back as
named tuples with SQLAlchemy's column keys, so `row.version` reads as before.

Repositories run them with `Db.fetch` (rows) and `Db.write` (affected row count). On PostgreSQL
they go straight to the asyncpg connection of the unit of work's transaction; on SQLite the same
statement runs through SQLAlchemy as before (inline and already cheap, see storage/database.py).

Refused when compiling, so a statement that needs SQLAlchemy's full machinery cannot be passed
here by mistake: Python-side column defaults (pass every value), expanding or literal-rendered
parameters, parameter names that need escaping.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError, InvalidRequestError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any]


class Compiled:
    """One statement for one dialect and one set of parameter names."""

    __slots__ = ("_binds", "_columns", "_fixed", "_keys", "_results", "row", "sql")

    def __init__(self, compiled: SQLCompiler, dialect: Dialect, row: type[tuple[Any, ...]] | None):
        self.sql: str = compiled.string
        self.row = row
        names = tuple(compiled.positiontup or ())
        binds = [compiled.binds[name] for name in names]
        # SQLAlchemy looks a value up by the parameter's key, then by its compiled name.
        self._keys = tuple((bind.key, name) for bind, name in zip(binds, names, strict=True))
        self._binds: tuple[Processor | None, ...] = tuple(
            bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds
        )
        # Values given in the statement itself (`column == 5`), used when none is passed.
        self._fixed = {
            name: bind.effective_value
            for bind, name in zip(binds, names, strict=True)
            if not bind.required
        }
        self._columns: tuple[TypeEngine[Any], ...] = tuple(
            column.type for column in getattr(compiled.statement, "exported_columns", ())
        )
        self._results: tuple[Processor | None, ...] | None = None

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        """The positional values for the driver, through SQLAlchemy's bind processors."""
        values: list[Any] = []
        for (key, name), process in zip(self._keys, self._binds, strict=True):
            if key in parameters:
                value = parameters[key]
            elif name in parameters:
                value = parameters[name]
            elif name in self._fixed:
                value = self._fixed[name]
            else:
                raise InvalidRequestError(f"A value is required for bind parameter {key!r}")
            values.append(value if process is None else process(value))
        return values

    @property
    def knows_result_types(self) -> bool:
        return self._results is not None

    def learn_result_types(self, dialect: Dialect, driver_types: Sequence[Any]) -> None:
        """Result processors depend on the driver's column type (as SQLAlchemy's do)."""
        if len(driver_types) != len(self._columns):
            raise CompileError("hot statement: result columns differ from the driver's")
        self._results = tuple(
            type_.dialect_impl(dialect).result_processor(dialect, driver_type)
            for type_, driver_type in zip(self._columns, driver_types, strict=True)
        )

    def rows(self, records: Iterable[Sequence[Any]]) -> list[Any]:
        """Driver records as named tuples, through SQLAlchemy's result processors."""
        row = self.row
        assert row is not None and self._results is not None
        processors = self._results
        if not any(processors):
            return [row._make(record) for record in records]  # type: ignore[attr-defined]
        return [
            row._make(  # type: ignore[attr-defined]
                value if process is None else process(value)
                for process, value in zip(processors, record, strict=True)
            )
            for record in records
        ]


class Hot:
    """A Core statement on the hot path (see the module docstring)."""

    __slots__ = ("_compiled", "row", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        keys = list(getattr(statement, "exported_columns", {}).keys())
        self.row: type[tuple[Any, ...]] | None = namedtuple("Row", keys) if keys else None
        self._compiled: weakref.WeakKeyDictionary[Dialect, dict[frozenset[str], Compiled]] = (
            weakref.WeakKeyDictionary()
        )

    def compiled(self, dialect: Dialect, parameters: Mapping[str, Any]) -> Compiled:
        """Compiled for `dialect` with these parameter names (INSERTs depend on them)."""
        names = frozenset(parameters)
        by_names = self._compiled.get(dialect)
        if by_names is None:
            by_names = self._compiled[dialect] = {}
        found = by_names.get(names)
        if found is None:
            found = by_names[names] = self._compile(dialect, names)
        return found

    def _compile(self, dialect: Dialect, names: frozenset[str]) -> Compiled:
        assert isinstance(self.statement, ClauseElement)
        compiled = self.statement.compile(dialect=dialect, column_keys=sorted(names))
        assert isinstance(compiled, SQLCompiler)
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise CompileError("hot statement: Python-side column defaults; pass every value")
        if compiled.escaped_bind_names or "POSTCOMPILE" in compiled.string:
            raise CompileError("hot statement: expanding or escaped parameters are not supported")
        return Compiled(compiled, dialect, self.row)
