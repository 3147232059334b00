"""One account's Outlook calendars (filled in by the calendar increment)."""

from __future__ import annotations

from .delta import DeltaTokens


class CalendarAccount:
    def __init__(self, email: str) -> None:
        self.email = email
        self.delta = DeltaTokens()
