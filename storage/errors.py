"""Which failures mean "the database is unavailable right now" rather than a bug of ours.

A webhook answers those with 503 so the platform redelivers the update later (Telegram and Meta
both retry non-2xx answers); anything else is a bug and stays a logged 500 where a channel shows
one. Connection failures surface in three shapes: the driver's own errors (asyncpg raises them
directly from the hot path in `storage.database`), SQLAlchemy's wrappers of them, and plain
`OSError`/`TimeoutError` from opening a socket to a server that is restarting.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

_SQLSTATE_CLASSES_UNAVAILABLE = ("08", "53", "57")  # connection, resources, operator (shutdown)


_TRANSIENT = (OSError, TimeoutError, PoolTimeout, DisconnectionError, OperationalError)


def is_unavailable(error: BaseException) -> bool:
    """True when retrying later, unchanged, can succeed: the database or the way to it failed."""
    if isinstance(error, _TRANSIENT):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig or error
    sqlstate = str(getattr(error, "sqlstate", "") or "")
    if sqlstate.startswith(_SQLSTATE_CLASSES_UNAVAILABLE):
        return True
    # asyncpg's "connection is closed"/"connection was closed in the middle of operation".
    kind = type(error).__name__
    return kind in {"ConnectionDoesNotExistError", "InterfaceError"} and "closed" in str(error)
