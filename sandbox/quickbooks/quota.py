"""QBO's per-company limits on the core's moving-window quota: 500 requests per minute per realm
and 10 requests in flight per realm. Over either, 429 ThrottlingFault 3001 with ``Retry-After``;
the request was not carried out, so retrying it is safe. Tests shorten ``window_seconds`` or lower
the numbers (``Sandbox.set_quota``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.quota import Quota
from .errors import throttled

SERVICE = "accounting"


@dataclass
class QuotaConfig:
    requests_per_window: int | None = 500  # None or 0 turns the rate limit off
    window_seconds: float = 60.0
    max_concurrent_per_user: int | None = 10  # per realm; None or 0: no limit


class QuickBooksQuota(Quota):
    config: QuotaConfig

    def limit(self, service: str) -> int | None:
        return self.config.requests_per_window or None

    def exceeded(self, retry_after: int):
        return throttled(retry_after)

    def too_busy(self):
        return throttled(1, "Too many concurrent requests for this company.")

    def used(self, user: str, service: str = SERVICE) -> int:
        return super().used(user, service)
