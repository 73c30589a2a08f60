"""A per-channel send rate: messages spaced evenly, and a pause when the platform says 429.

Spacing rather than a bucket with bursts: Telegram counts about 30 messages a second over any
second, so an even 1/30 s apart never trips it, and a broadcast still goes out at the full rate.

Spacing alone is not enough, though: turns are reserved ahead, and a sender that wakes late
(a busy event loop) still sends, so late messages bunch up with the next ones and a second can
hold rate+1 of them; each 429 then halts the channel for its `retry_after`. So the times
messages actually left are kept too, and a message waits until fewer than `rate` left within
the last `window` seconds (a little over one, for the jitter of the way to the platform).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

WINDOW = 1.02  # seconds: the platform's one, plus slack for the jitter on the way


class RateLimiter:
    """`await acquire(n)` before sending `n` messages; `pause(s)` after a 429."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        window: float = WINDOW,
    ) -> None:
        """`rate` in messages per second; None (or 0) for no limit but 429 pauses."""
        if rate is not None and rate < 0:
            raise ValueError("rate must be positive")
        self.rate = rate or None
        self._clock = clock
        self._sleep = sleep
        self._window = window
        self._next = 0.0
        self._paused_until = 0.0
        # When the last `rate` messages left (at least one slot, for rates under 1/s).
        self._left: deque[float] = deque(maxlen=max(1, math.floor(rate or 1)))

    async def acquire(self, messages: int = 1) -> None:
        """Wait for this sender's turn. Turns are reserved before sleeping, so concurrent
        callers queue up in order without a lock; then each message also waits for room in
        the window of the messages that actually left."""
        now = self._clock()
        start = max(now, self._next, self._paused_until)
        spacing = messages / self.rate if self.rate else 0.0
        self._next = start + spacing
        if start > now:
            await self._sleep(start - now)
        if self.rate is None:
            return
        for _ in range(messages):
            await self._room()

    async def _room(self) -> None:
        """Wait until fewer than `rate` messages left within the window, then count one."""
        left = self._left
        while len(left) == left.maxlen:
            wait = left[0] + self._window - self._clock()
            if wait <= 0:
                break
            await self._sleep(wait)
        left.append(self._clock())  # drops the oldest once full

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (the platform's retry_after)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when not paused)."""
        return max(self._paused_until - self._clock(), 0.0)
