"""Per-user quota over a moving window, and a per-user concurrency limit.

Google meters each user in units per method (messages.get costs 5, messages.send 100 ...) and
rejects a call once the units spent in the trailing window would exceed the limit:

    admit(call)  <=>  sum(units of calls in (now - window, now]) + units(call) <= limit

A rejected call costs nothing. ``Retry-After`` is the time until enough of the oldest spending
leaves the window. Gmail and Calendar are metered separately, each with its own limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import ApiError


@dataclass
class QuotaConfig:
    units_per_window: int | None = 15000  # Gmail; None or 0 turns metering off
    window_seconds: float = 60.0
    calendar_requests_per_window: int | None = 600
    max_concurrent_per_user: int | None = 10  # None or 0: no limit
    error_status: int = 429  # Google answers 429 or 403 for the same condition
    gmail_table: str = "legacy"  # "legacy" or "2026": Gmail's per-method costs (spec.GMAIL_TABLES)


class Quota:
    def __init__(self, config: QuotaConfig, clock=time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self._spent: dict[tuple[str, str], deque] = {}
        self._totals: dict[tuple[str, str], int] = {}
        self._in_flight: dict[str, int] = {}

    def reset(self, config: QuotaConfig | None = None) -> None:
        with self._lock:
            if config is not None:
                self.config = config
            self._spent.clear()
            self._totals.clear()

    def _limit(self, service: str) -> int | None:
        if service == "calendar":
            return self.config.calendar_requests_per_window or None
        return self.config.units_per_window or None

    def charge(self, user: str, service: str, units: int) -> None:
        """Spend ``units`` for ``user`` or raise the 429/403 Google would send."""
        limit = self._limit(service)
        if not limit:
            return
        key = (user, service)
        now = self.clock()
        horizon = now - self.config.window_seconds
        with self._lock:
            spent = self._spent.setdefault(key, deque())
            total = self._totals.get(key, 0)
            while spent and spent[0][0] <= horizon:
                total -= spent.popleft()[1]
            if total + units > limit:
                self._totals[key] = total
                raise self._exceeded(spent, total + units - limit, horizon)
            spent.append((now, units))
            self._totals[key] = total + units

    def _exceeded(self, spent: deque, excess: int, horizon: float) -> ApiError:
        freed, wait = 0, self.config.window_seconds
        for stamp, units in spent:
            freed += units
            if freed >= excess:
                wait = stamp - horizon
                break
        retry_after = max(1, math.ceil(wait))
        status = self.config.error_status
        reason = "rateLimitExceeded" if status == 429 else "userRateLimitExceeded"
        return ApiError(
            status,
            reason,
            f"User-rate limit exceeded.  Retry after {retry_after} seconds.",
            domain="usageLimits",
            headers={"Retry-After": str(retry_after)},
        )

    def used(self, user: str, service: str = "gmail") -> int:
        with self._lock:
            key = (user, service)
            horizon = self.clock() - self.config.window_seconds
            return sum(u for t, u in self._spent.get(key, ()) if t > horizon)

    def in_flight(self, user: str) -> int:
        with self._lock:
            return self._in_flight.get(user, 0)

    @contextmanager
    def slot(self, user: str):
        """Hold one of ``user``'s concurrent request slots for the duration of a call."""
        limit = self.config.max_concurrent_per_user
        with self._lock:
            current = self._in_flight.get(user, 0)
            if limit and current >= limit:
                raise ApiError(
                    429,
                    "rateLimitExceeded",
                    "Too many concurrent requests for user.",
                    domain="usageLimits",
                    headers={"Retry-After": "1"},
                )
            self._in_flight[user] = current + 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[user] -= 1
