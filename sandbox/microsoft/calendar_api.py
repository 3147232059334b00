"""Graph v1.0 calendars (filled in by the calendar increment)."""

from __future__ import annotations


class CalendarApi:
    def __init__(self, world) -> None:
        self.world = world

    def routes(self) -> list[tuple]:
        return []


def render_event(account, event_id, base):
    raise NotImplementedError
