"""Per-user quota over a moving window, and a per-user concurrency limit.

Providers meter each user (and service) in units per call (Gmail: messages.get costs 5,
messages.send 100 ...) and reject a call once the units spent in the trailing window would exceed
the limit:

    admit(call)  <=>  sum(units of calls in (now - window, now]) + units(call) <= limit

A rejected call costs nothing. ``Retry-After`` is the time until enough of the oldest spending
leaves the window.

Seam: a provider subclasses ``Quota`` and says its limit per service (``limit``) and the errors it
answers (``exceeded``, ``too_busy``). Its config is any dataclass with ``window_seconds`` and
``max_concurrent_per_user`` (the admin API reads and writes its fields).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from contextlib import contextmanager

from .errors import HttpError


class Quota:
    def __init__(self, config, clock=time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self._spent: dict[tuple[str, str], deque] = {}
        self._totals: dict[tuple[str, str], int] = {}
        self._in_flight: dict[str, int] = {}

    # -- what a provider says ----------------------------------------------------------------
    def limit(self, service: str) -> int | None:
        """Units per window for `service`; None or 0 turns metering off."""
        raise NotImplementedError

    def exceeded(self, retry_after: int) -> HttpError:
        """The error for a call over the limit; ``retry_after`` seconds until it would fit."""
        return HttpError(429, "rateLimitExceeded", f"Rate limit exceeded. Retry after {retry_after} seconds.",
                         headers={"Retry-After": str(retry_after)})

    def too_busy(self) -> HttpError:
        """The error for a call over the per-user concurrency limit."""
        return HttpError(429, "rateLimitExceeded", "Too many concurrent requests for user.",
                         headers={"Retry-After": "1"})

    # -- metering ------------------------------------------------------------------------------
    def reset(self, config=None) -> None:
        with self._lock:
            if config is not None:
                self.config = config
            self._spent.clear()
            self._totals.clear()

    def charge(self, user: str, service: str, units: int) -> None:
        """Spend ``units`` for ``user`` or raise the provider's ``exceeded`` error."""
        limit = self.limit(service)
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

    def _exceeded(self, spent: deque, excess: int, horizon: float) -> HttpError:
        freed, wait = 0, self.config.window_seconds
        for stamp, units in spent:
            freed += units
            if freed >= excess:
                wait = stamp - horizon
                break
        return self.exceeded(max(1, math.ceil(wait)))

    def used(self, user: str, service: str) -> int:
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
                raise self.too_busy()
            self._in_flight[user] = current + 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[user] -= 1
