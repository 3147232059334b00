"""Twilio's per-account limits on the core's moving-window quota: a request rate and a number of
requests in flight. Over either Twilio answers 429, code 20429 "Too Many Requests", with
``Retry-After``; the request was not processed, so retrying it is safe.

The rate is ``requests_per_second``, metered over ``window_seconds``:

    admit(call)  <=>  calls in (now - window, now] + 1 <= floor(requests_per_second * window)  (at least 1)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.quota import Quota
from .errors import too_many_requests

SERVICE = "api"


@dataclass
class QuotaConfig:
    requests_per_second: float | None = 100.0  # None or 0 turns the rate limit off
    window_seconds: float = 1.0
    max_concurrent_per_user: int | None = 50  # per account; None or 0: no limit


class TwilioQuota(Quota):
    config: QuotaConfig

    def limit(self, service: str) -> int | None:
        rate = self.config.requests_per_second
        if not rate:
            return None
        return max(1, int(rate * self.config.window_seconds + 1e-9))

    def exceeded(self, retry_after: int):
        return too_many_requests(retry_after)

    def too_busy(self):
        return too_many_requests(1)

    def used(self, user: str, service: str = SERVICE) -> int:
        return super().used(user, service)
