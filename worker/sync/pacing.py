"""Client-side pacing and backoff, so an account's provider quota is used fully but not exceeded.

Provider-neutral: each provider's client paces its calls per account with `pacer_for`.

Pacing is a token bucket per account: `rate = units_per_minute / 60 * headroom` units per second,
holding at most `burst_seconds` worth of units. A call of `u` units waits until the bucket holds
`u`. Backoff after a retryable error follows one formula:

    wait = max(retry_after, min(cap, base * 2 ** attempt) * uniform(0.5, 1.0))
"""

from __future__ import annotations

import asyncio
import random
import time

from worker.observe.metrics import QuotaWindow, quota_window


class Pacer:
    def __init__(self, units_per_minute: float, headroom: float = 0.97, burst_seconds: float = 1.0,
                 window: QuotaWindow | None = None) -> None:
        self.window = window  # what was spent, for the quota metrics
        self.rate = units_per_minute / 60.0 * headroom
        self.capacity = max(self.rate * burst_seconds, 1.0)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    async def acquire(self, units: float) -> None:
        if self.window is not None and units > 0:
            self.window.spend(units)
        if not self.enabled or units <= 0:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                # a call larger than the bucket may proceed once the bucket is full
                needed = min(units, self.capacity)
                if self.tokens >= needed:
                    self.tokens -= units
                    return
                await asyncio.sleep((needed - self.tokens) / self.rate)

    def penalize(self, seconds: float) -> None:
        """After a rate-limit answer, hold back as if `seconds` of budget had been spent."""
        if self.enabled:
            self.tokens -= seconds * self.rate


class Backoff:
    def __init__(self, base: float = 0.5, cap: float = 32.0, rng: random.Random | None = None) -> None:
        self.base = base
        self.cap = cap
        self.rng = rng or random.Random()

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        computed = min(self.cap, self.base * 2 ** attempt) * self.rng.uniform(0.5, 1.0)
        return max(retry_after or 0.0, computed)


_PACERS: dict[tuple[str, str, int], Pacer] = {}


def pacer_for(account: str, api: str, units_per_minute: float, burst_seconds: float = 1.0,
              provider: str = "") -> Pacer:
    """One bucket per account and API in this process (e.g. Gmail and Calendar quotas are separate);
    `burst_seconds`: how much unused budget may be spent at once (a limit counted per minute
    admits a few calls together). `provider` labels its quota metrics (never the account)."""
    key = (account, api, id(asyncio.get_running_loop()))
    pacer = _PACERS.get(key)
    if pacer is None or abs(pacer.rate - units_per_minute / 60.0 * 0.97) > 1e-9:
        pacer = _PACERS[key] = Pacer(units_per_minute, burst_seconds=burst_seconds,
                                     window=quota_window(provider or api.split(":")[0], api, units_per_minute))
    return pacer
