"""The QuickBooks sandbox's clock: wall time plus what tests added with ``advance``.

One clock dates entities (``MetaData``), judges the CDC's 30-day limit, expires access tokens and
ends a rotated refresh token's grace period, so a test moves all of them at once with ``advance``
instead of sleeping. QBO writes times in the company's zone with its offset
(``2026-11-26T05:25:58-08:00``); the sandbox writes every realm's times at ``-08:00`` (Pacific
standard time, the zone of Intuit's sandbox companies), with no daylight saving, so dates read alike all year.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

ZONE = timezone(timedelta(hours=-8))


class Clock:
    def __init__(self, wall=time.time) -> None:
        self.advanced = 0.0
        self._wall = wall

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.advanced += seconds

    def seconds(self) -> float:
        """Now as epoch seconds (what token expiries compare with)."""
        return self._wall() + self.advanced

    def now(self) -> datetime:
        """Now in the companies' zone, to the second (QBO's MetaData has no fraction)."""
        return datetime.fromtimestamp(int(self.seconds()), ZONE)

    def precise(self) -> datetime:
        """Now with its fraction (the ``time`` of answers)."""
        return datetime.fromtimestamp(self.seconds(), ZONE)


def iso(moment: datetime) -> str:
    return moment.astimezone(ZONE).isoformat(timespec="seconds")


def stamp(moment: datetime) -> str:
    """The ``time`` of every answer: milliseconds and the offset (``2026-11-26T05:25:58.123-08:00``)."""
    return moment.astimezone(ZONE).isoformat(timespec="milliseconds")


def parse(text: str) -> datetime:
    """An ISO date or date-time as QBO accepts it in queries and ``changedSince``: with an offset or
    ``Z``; without one it is the company's zone; a bare date is its midnight. ValueError otherwise."""
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=ZONE)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=ZONE)
