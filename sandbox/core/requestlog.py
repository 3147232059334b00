"""Every API call the sandbox answered, so tests can count calls (e.g. none during reprocessing)."""

from __future__ import annotations

import re
import threading
import time


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict] = []

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def record(self, **entry) -> None:
        entry.setdefault("time", time.time())
        with self._lock:
            entry["seq"] = len(self._entries) + 1
            self._entries.append(entry)

    def entries(self, **filters) -> list[dict]:
        with self._lock:
            items = list(self._entries)
        return [e for e in items if _matches(e, filters)]

    def count(self, **filters) -> int:
        return len(self.entries(**filters))


def _matches(entry: dict, filters: dict) -> bool:
    """``path`` is a regex searched in the path; every other filter compares equal (None = any)."""
    for key, wanted in filters.items():
        if wanted is None:
            continue
        if key == "path":
            if not re.search(wanted, entry.get("path", "")):
                return False
        elif key == "since":
            if entry["seq"] <= wanted:
                return False
        elif entry.get(key) != wanted:
            return False
    return True
