"""The send rate, on a virtual clock: spacing, and the window that stops late sends bunching."""

from __future__ import annotations

import asyncio

from scheduler.rate_limit import RateLimiter


class VirtualTime:
    """A clock that only moves when someone sleeps; `stall_until` makes every sleeper wake
    no earlier than that (a busy event loop)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.stall_until = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        await asyncio.sleep(0)  # let the other senders run, as a real sleep would
        self.now = max(self.now, target, self.stall_until)


async def departures(limiter: RateLimiter, time: VirtualTime, senders: int) -> list[float]:
    left: list[float] = []

    async def send() -> None:
        await limiter.acquire()
        left.append(time.now)

    await asyncio.gather(*(send() for _ in range(senders)))
    return sorted(left)


async def test_messages_are_spaced_evenly() -> None:
    time = VirtualTime()
    limiter = RateLimiter(4, clock=time.clock, sleep=time.sleep, window=1.02)
    assert await departures(limiter, time, 4) == [0.0, 0.25, 0.5, 0.75]


async def test_senders_that_wake_late_do_not_bunch_past_the_rate() -> None:
    """Four turns reserved at 0, 1/3, 2/3 and 1 s; the loop is busy until 1 s, so the three
    sleepers all wake then. Without the window, four messages would leave within one second
    (a 429 on Telegram); with it, the fourth waits until 1.02 s after the first."""
    time = VirtualTime()
    time.stall_until = 1.0
    limiter = RateLimiter(3, clock=time.clock, sleep=time.sleep, window=1.02)
    left = await departures(limiter, time, 4)
    assert left[0] == 0.0
    assert all(later - earlier >= 1.02 for earlier, later in zip(left, left[3:], strict=False))
    assert left[-1] == 1.02


async def test_a_pause_holds_every_sender() -> None:
    time = VirtualTime()
    limiter = RateLimiter(None, clock=time.clock, sleep=time.sleep)
    limiter.pause(2.0)
    assert limiter.paused_for() == 2.0
    assert await departures(limiter, time, 2) == [2.0, 2.0]
