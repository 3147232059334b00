"""Seeded fault injection: make chosen calls fail the way Google and networks fail.

A rule matches a request by path regex (searched, not anchored) and optionally HTTP method, and
fires either for its next ``count`` matches or with a ``probability`` drawn from one
``random.Random(seed)``, so a failing run replays exactly when the same requests arrive in the
same order. Kinds:

- ``status``: answer ``status`` (500, 503, 429 with ``Retry-After`` ...) in Google's error format
- ``reset``: close the connection without answering
- ``delay``: sleep ``delay_seconds`` then answer normally (longer than a client's timeout)
- ``truncate``: answer normally but cut the body in half
- ``invalid_json``: answer normally but with a body that is not JSON
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from dataclasses import dataclass, field

from .errors import ApiError, backend_error

KINDS = ("status", "reset", "delay", "truncate", "invalid_json")


@dataclass
class FaultRule:
    path: str
    kind: str = "status"
    status: int = 500
    method: str | None = None
    count: int | None = 1  # remaining firings; None with a probability = unlimited
    probability: float | None = None
    retry_after: int = 1
    delay_seconds: float = 0.0
    id: int = 0
    fired: int = 0
    pattern: re.Pattern = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.probability is not None:
            if not 0 <= self.probability <= 1:
                raise ValueError("probability must be between 0 and 1")
            if self.count == 1:
                self.count = None
        self.pattern = re.compile(self.path)
        self.method = self.method.upper() if self.method else None

    def as_dict(self) -> dict:
        return {
            "id": self.id, "path": self.path, "method": self.method, "kind": self.kind,
            "status": self.status, "count": self.count, "probability": self.probability,
            "retry_after": self.retry_after, "delay_seconds": self.delay_seconds, "fired": self.fired,
        }

    def error(self) -> ApiError:
        if self.status == 429:
            return ApiError(429, "rateLimitExceeded", "Resource has been exhausted (e.g. check quota).",
                            domain="usageLimits", headers={"Retry-After": str(self.retry_after)})
        if self.status in (500, 503):
            return backend_error(self.status)
        if self.status == 403:
            return ApiError(403, "userRateLimitExceeded", "User Rate Limit Exceeded",
                            domain="usageLimits", headers={"Retry-After": str(self.retry_after)})
        return ApiError(self.status, "backendError", f"Injected fault {self.status}.")


class Faults:
    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.rules: list[FaultRule] = []
        self.rng = random.Random(seed)

    def reset(self, seed: int) -> None:
        with self._lock:
            self.rules.clear()
            self.rng = random.Random(seed)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = next(self._ids)
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, consuming one of its count, or None."""
        with self._lock:
            for rule in self.rules:
                if rule.method and rule.method != method:
                    continue
                if not rule.pattern.search(path):
                    continue
                if rule.count is not None and rule.count <= 0:
                    continue
                if rule.probability is not None and self.rng.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                rule.fired += 1
                return rule
        return None


def corrupt(body: bytes, kind: str) -> bytes:
    if kind == "truncate":
        return body[: max(1, len(body) // 2)]
    return b"<html><body>502 Bad Gateway</body></html>{not json"
