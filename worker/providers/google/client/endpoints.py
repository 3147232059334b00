"""Every Google URL in one place: Google's hosts, or INTEGRATIONS_GOOGLE_BASE_URL + Google's path."""

from __future__ import annotations

from dataclasses import dataclass

from worker.settings import Settings


@dataclass(frozen=True)
class GoogleEndpoints:
    authorize: str
    token: str
    revoke: str
    gmail: str
    gmail_batch: str
    calendar: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "GoogleEndpoints":
        base = settings.google_base_url
        if base:
            return cls(authorize=base + "/o/oauth2/v2/auth", token=base + "/token", revoke=base + "/revoke",
                       gmail=base + "/gmail/v1", gmail_batch=base + "/batch/gmail/v1", calendar=base + "/calendar/v3")
        return cls(
            authorize="https://accounts.google.com/o/oauth2/v2/auth",
            token="https://oauth2.googleapis.com/token",
            revoke="https://oauth2.googleapis.com/revoke",
            gmail="https://gmail.googleapis.com/gmail/v1",
            gmail_batch="https://gmail.googleapis.com/batch/gmail/v1",
            calendar="https://www.googleapis.com/calendar/v3",
        )
