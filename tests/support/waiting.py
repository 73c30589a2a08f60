"""Waiting for state that has no event to wait on (a row in the database, a background task)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(
    check: Callable[[], Awaitable[T | None]], *, within: float = ..., every: float = ...
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T | None], *, within: float = ..., every: float = ...
) -> T: ...


async def eventually(check: Callable[[], Any], *, within: float = 5.0, every: float = 0.02) -> Any:
    """The first truthy result of `check()` (awaited when it is a coroutine), polled every
    `every` seconds; TimeoutError after `within`."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(every)
