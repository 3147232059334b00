"""Per-account request budgets of the webhooks whose requests carry no time nor delivery id
(Twilio, QuickBooks' legacy body): a captured, genuinely signed request replayed with small changes
or after the dedupe window costs at most this much, whatever the sender.

A token bucket per (provider, account), in this process: `per_minute` tokens, one back every
60 / per_minute seconds. In memory and bounded (a flood of accounts evicts the oldest buckets, which
only forgets budget already spent); several `serve` processes each allow their own budget.
"""

from __future__ import annotations

import time
from collections import OrderedDict

MAX_ACCOUNTS = 10_000


class AccountRates:
    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute, self._clock = per_minute, clock
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()

    def allow(self, provider: str, account_id: str) -> bool:
        """Take one token of the account's budget; False when none is left (0 per minute: no limit)."""
        if self.per_minute <= 0:
            return True
        key, now = (provider, account_id), self._clock()
        tokens, at = self._buckets.pop(key, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - at) * self.per_minute / 60.0)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > MAX_ACCOUNTS:
            self._buckets.popitem(last=False)
        return allowed
