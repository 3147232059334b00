"""In-process metrics: counted where the event happens (a provider answer, a run's outcome, a dbt
run, a webhook), exported by whichever process saw it (`integrations worker --metrics-port`,
`serve`'s `/metrics`). State that lives in the database (lag, queues, failures) is computed at
scrape time instead: worker/observe/database.py.

Every label goes through `labels.safe`: names the code owns, never data.
"""

from __future__ import annotations

import time
from collections import deque

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from worker.observe.labels import safe

SYNC_RUNS = Counter("integrations_sync_runs", "Capability runs by outcome (ok, failing, needs_reauth, superseded)",
                    ["provider", "capability", "outcome"])
SYNC_FAILURES = Counter("integrations_sync_failures", "Failed capability runs by error class",
                        ["provider", "capability", "error_class"])
PROVIDER_REQUESTS = Counter("integrations_provider_requests", "HTTP requests to providers by answer status"
                            " (429 = rate limited; `error` = no answer)", ["provider", "status"])
QUOTA_UNITS = Counter("integrations_quota_units", "Quota units spent (paced) by provider API", ["provider", "api"])
NORMALIZE_SECONDS = Histogram("integrations_normalize_duration_seconds", "Normalize (dbt) run duration",
                              ["kind", "outcome"], buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800))
NORMALIZE_ROWS = Counter("integrations_normalize_rows_changed", "Rows dbt reported inserted, updated or deleted",
                         ["kind"])
WEBHOOKS = Counter("integrations_webhook_notifications", "Provider notifications received by verdict",
                   ["provider", "verdict"])


def count_response(provider: str, status: int | str) -> None:
    """One answer of a provider's API (or `error`: the request got none). Every provider's HTTP
    client calls this on its one request path."""
    PROVIDER_REQUESTS.labels(safe(provider), safe(status)).inc()


def count_run(provider: str | None, capability: str, outcome: str, error: BaseException | None = None) -> None:
    SYNC_RUNS.labels(safe(provider or "unknown"), safe(capability), safe(outcome)).inc()
    if error is not None:
        SYNC_FAILURES.labels(safe(provider or "unknown"), safe(capability), safe(type(error).__name__)).inc()


def count_webhook(provider: str, status: int) -> None:
    """A notification's verdict from the answer `serve` gave it."""
    verdict = ("accepted" if status < 300 else "refused" if status in (401, 403) else "unknown_account"
               if status == 404 else "bad_request" if status < 500 else "error")
    WEBHOOKS.labels(safe(provider), verdict).inc()


def observe_normalize(kind: str, outcome: str, seconds: float, rows: int | None) -> None:
    NORMALIZE_SECONDS.labels(kind, outcome).observe(seconds)
    NORMALIZE_ROWS.labels(kind).inc(rows or 0)


class QuotaWindow:
    """Units a pacer spent in the last minute, for 'used against the limit' (the limits are per
    account and minute: Gmail's units per user, QuickBooks' requests per realm)."""

    def __init__(self, provider: str, api: str, limit_per_minute: float) -> None:
        self.provider, self.api, self.limit = provider, api, limit_per_minute
        self._spent: deque[tuple[float, float]] = deque()

    def spend(self, units: float) -> None:
        now = time.monotonic()
        self._spent.append((now, units))
        self._trim(now)
        QUOTA_UNITS.labels(safe(self.provider), safe(self.api)).inc(units)

    def last_minute(self) -> float:
        self._trim(time.monotonic())
        return sum(units for _, units in self._spent)

    def _trim(self, now: float) -> None:
        while self._spent and self._spent[0][0] < now - 60:
            self._spent.popleft()


_WINDOWS: list[QuotaWindow] = []


def quota_window(provider: str, api: str, limit_per_minute: float) -> QuotaWindow:
    window = QuotaWindow(provider, api, limit_per_minute)
    _WINDOWS.append(window)
    del _WINDOWS[:-10000]  # a pacer per account and API: bounded, the oldest forgotten
    return window


class QuotaCollector:
    """Per provider API: the busiest account's units of the last minute, and the per-account limit."""

    def collect(self):
        used = GaugeMetricFamily("integrations_quota_used_units_last_minute",
                                 "Units the busiest account spent in the last minute (this process)",
                                 labels=["provider", "api"])
        limit = GaugeMetricFamily("integrations_quota_limit_units_per_minute", "Per-account limit paced to",
                                  labels=["provider", "api"])
        busiest: dict[tuple[str, str], tuple[float, float]] = {}
        for window in list(_WINDOWS):
            key = (safe(window.provider), safe(window.api))
            spent = window.last_minute()
            if key not in busiest or spent > busiest[key][0]:
                busiest[key] = (spent, window.limit)
        for key, (spent, per_minute) in sorted(busiest.items()):
            used.add_metric(list(key), spent)
            limit.add_metric(list(key), per_minute)
        yield used
        yield limit


REGISTRY.register(QuotaCollector())


async def counted(provider: str, pending):
    """Await one provider request and count its answer by status (`error` when none came): the one
    line each provider's HTTP client wraps its request path in."""
    try:
        response = await pending
    except Exception:
        count_response(provider, "error")
        raise
    count_response(provider, response.status_code)
    return response
