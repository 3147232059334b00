"""Google's per-user limits on the core's moving-window quota.

Gmail meters units per method (``spec.GMAIL_TABLES``: 15,000 or 6,000 units per user per minute),
Calendar counts requests (600 per user per minute); each is metered separately. Over the limit
Google answers 429 ``rateLimitExceeded`` or 403 ``userRateLimitExceeded`` (``error_status``) with
``Retry-After``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.quota import Quota
from .errors import ApiError


@dataclass
class QuotaConfig:
    units_per_window: int | None = 15000  # Gmail; None or 0 turns metering off
    window_seconds: float = 60.0
    calendar_requests_per_window: int | None = 600
    max_concurrent_per_user: int | None = 10  # None or 0: no limit
    error_status: int = 429  # Google answers 429 or 403 for the same condition
    gmail_table: str = "legacy"  # "legacy" or "2026": Gmail's per-method costs (spec.GMAIL_TABLES)


class GoogleQuota(Quota):
    config: QuotaConfig

    def limit(self, service: str) -> int | None:
        if service == "calendar":
            return self.config.calendar_requests_per_window or None
        return self.config.units_per_window or None

    def exceeded(self, retry_after: int) -> ApiError:
        status = self.config.error_status
        reason = "rateLimitExceeded" if status == 429 else "userRateLimitExceeded"
        return ApiError(
            status,
            reason,
            f"User-rate limit exceeded.  Retry after {retry_after} seconds.",
            domain="usageLimits",
            headers={"Retry-After": str(retry_after)},
        )

    def too_busy(self) -> ApiError:
        return ApiError(
            429,
            "rateLimitExceeded",
            "Too many concurrent requests for user.",
            domain="usageLimits",
            headers={"Retry-After": "1"},
        )

    def used(self, user: str, service: str = "gmail") -> int:
        return super().used(user, service)
