"""Seeded fault injection: make chosen calls fail the way providers and networks fail.

A rule matches a request by path regex (searched, not anchored) and optionally HTTP method, and
fires -- after letting its first ``skip`` matches through -- either for its next ``count`` matches
or with a ``probability`` drawn from one
``random.Random(seed)``, so a failing run replays exactly when the same requests arrive in the
same order. Kinds:

- ``status``: answer ``status`` (500, 503, 429 with ``Retry-After`` ...) in the provider's error
  format (its ``App.fault_error``)
- ``reset``: close the connection without answering
- ``delay``: sleep ``delay_seconds`` then answer normally (longer than a client's timeout)
- ``hold``: keep the request (after its quota is charged, before it is carried out) until the test
  calls ``release()`` -- or ``delay_seconds`` pass (60 s when unset) -- then answer normally.
  ``wait_held()`` returns once the sandbox holds the request: tests wait on that event instead of
  sleeping against a timing window ("the request is in flight now")
- ``hold_answer``: carry the request out, then keep its answer until ``release()`` (or
  ``delay_seconds``, 60 s when unset): the provider has done it, the caller does not know yet
  (``wait_held()`` as for ``hold``)
- ``truncate``: answer normally but cut the body in half
- ``invalid_json``: answer normally but with a body that is not JSON
- ``foreign_link``: answer normally but with the answer's paging links (``@odata.nextLink``,
  ``@odata.deltaLink``) moved to ``link_base`` (scheme, host and port; path and query kept), as a
  compromised or misrouted answer would send a client elsewhere with its token
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

KINDS = ("status", "reset", "delay", "hold", "hold_answer", "truncate", "invalid_json", "foreign_link")
LINK_KEYS = ("@odata.nextLink", "@odata.deltaLink")
HOLD_LIMIT_SECONDS = 60.0


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
    skip: int = 0  # matching requests let through before the rule starts to fire
    link_base: str | None = None  # kind "foreign_link": where the answer's links are moved
    id: int = 0
    fired: int = 0
    held: int = 0  # requests being held right now (kinds "hold", "hold_answer")
    pattern: re.Pattern = field(init=False, repr=False)
    _released: threading.Event = field(init=False, repr=False, default_factory=threading.Event)
    _changed: threading.Condition = field(init=False, repr=False, default_factory=threading.Condition)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.kind == "foreign_link" and not urlsplit(self.link_base or "").netloc:
            raise ValueError("a foreign_link fault needs link_base, e.g. http://127.0.0.1:9")
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
            "held": self.held, "skip": self.skip, "link_base": self.link_base,
        }

    def hold(self) -> None:
        """Block this request until `release()` (or the hold limit), counted in `held` meanwhile."""
        with self._changed:
            self.held += 1
            self._changed.notify_all()
        try:
            self._released.wait(self.delay_seconds or HOLD_LIMIT_SECONDS)
        finally:
            with self._changed:
                self.held -= 1
                self._changed.notify_all()

    def wait_held(self, count: int = 1, timeout: float = 30.0) -> bool:
        """True once `count` requests are held at the same time; False after `timeout`."""
        with self._changed:
            return self._changed.wait_for(lambda: self.held >= count, timeout)

    def release(self) -> None:
        self._released.set()



class Faults:
    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.rules: list[FaultRule] = []
        self.rng = random.Random(seed)

    def reset(self, seed: int) -> None:
        self.clear()
        with self._lock:
            self.rng = random.Random(seed)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = next(self._ids)
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Drop every rule; requests still held are let go, so no server thread stays blocked."""
        with self._lock:
            rules, self.rules = self.rules, []
        for rule in rules:
            rule.release()

    def get(self, rule_id: int) -> FaultRule:
        with self._lock:
            for rule in self.rules:
                if rule.id == rule_id:
                    return rule
        raise KeyError(f"no fault rule {rule_id}")

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
                if rule.skip > 0:
                    rule.skip -= 1
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


def move_links(body: bytes, link_base: str) -> bytes:
    """The JSON answer with its paging links moved to `link_base`; any other body as it was."""
    try:
        answer = json.loads(body)
    except ValueError:
        return body
    if not isinstance(answer, dict):
        return body
    target = urlsplit(link_base)
    for key in LINK_KEYS:
        if isinstance(answer.get(key), str):
            answer[key] = urlsplit(answer[key])._replace(scheme=target.scheme, netloc=target.netloc).geturl()
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


def pause(rule: FaultRule | None) -> None:
    """Apply a ``delay`` or ``hold`` rule; providers call it once the call is admitted and charged,
    right before it is carried out."""
    if rule is not None and rule.kind == "delay":
        time.sleep(rule.delay_seconds)
    elif rule is not None and rule.kind == "hold":
        rule.hold()
