"""The sandbox's clock: when resources are dated, and how far their statuses have moved on.

Dates must read like today (the provider compares ``date_created`` with when it started a send, and
syncs windows ending now), so timestamps are wall time plus whatever tests added with ``advance``:

    now()      = wall time + advanced                       (every date the sandbox writes)
    progress() = advanced + (elapsed wall time if realtime)  (when a status step is due)

A status step of a message created at progress ``born`` is due once ``progress() >= born + delay``.
Tests keep ``realtime`` off, so statuses move only when they call ``advance`` (deterministic); the
demo's server turns it on so texts go from queued to delivered on their own.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone


class Clock:
    def __init__(self, realtime: bool = False, wall=time.time, monotonic=time.monotonic) -> None:
        self.realtime = realtime
        self.advanced = 0.0
        self._wall, self._monotonic = wall, monotonic
        self._started = monotonic()

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.advanced += seconds

    def now(self) -> datetime:
        """The current sandbox time, in UTC, to the second (Twilio's dates have no fraction)."""
        stamp = int(self._wall() + self.advanced)
        return datetime.fromtimestamp(stamp, timezone.utc)

    def progress(self) -> float:
        elapsed = self._monotonic() - self._started if self.realtime else 0.0
        return self.advanced + elapsed
