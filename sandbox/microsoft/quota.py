"""Outlook's throttling on the core's moving-window quota: per app and mailbox, a request budget
(10,000 requests per 10 minutes) and at most 4 requests in flight. Over either Graph answers 429
``ApplicationThrottled`` with ``Retry-After``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.quota import Quota
from .errors import throttled


@dataclass
class QuotaConfig:
    requests_per_window: int | None = 10_000  # None or 0 turns the budget off
    window_seconds: float = 600.0
    max_concurrent_per_user: int | None = 4  # None or 0: no limit


class MicrosoftQuota(Quota):
    config: QuotaConfig

    def limit(self, service: str) -> int | None:
        return self.config.requests_per_window or None

    def exceeded(self, retry_after: int):
        return throttled("Application is over its MailboxRequests limit.", retry_after)

    def too_busy(self):
        return throttled("Application is over its MailboxConcurrency limit.", 1)

    def used(self, user: str, service: str = "graph") -> int:
        return super().used(user, service)
