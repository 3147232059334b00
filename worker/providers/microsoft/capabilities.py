"""Microsoft's minimal scopes and the settings models of its capabilities (DESIGN.md, "Capabilities").

Graph scopes are written short (`Mail.Read` is `https://graph.microsoft.com/Mail.Read`).
`offline_access` is what yields a refresh token: every capability that runs unattended needs it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from worker.capabilities import CapabilitySettings

MAIL_READ = "Mail.Read"
MAIL_READWRITE = "Mail.ReadWrite"
MAIL_SEND = "Mail.Send"
CALENDARS_READ = "Calendars.Read"
CALENDARS_READWRITE = "Calendars.ReadWrite"
OFFLINE_ACCESS = "offline_access"
# added by msal to every authorization request, never asked for by name (msal refuses them)
RESERVED = frozenset({OFFLINE_ACCESS, "openid", "profile"})

DEFAULT_CALENDAR = "default"  # the mailbox's default calendar (`/me/calendar`)
WELL_KNOWN_FOLDERS = ("inbox", "sentitems", "drafts", "deleteditems", "archive", "junkemail")


class InboxLiveSettings(CapabilitySettings):
    folders: list[str] = Field(default_factory=lambda: ["inbox", "sentitems"], min_length=1,
                               description="mail folders to sync: well-known names or folder ids")

    @field_validator("folders")
    @classmethod
    def _folders(cls, folders: list[str]) -> list[str]:
        if any(not f.strip() or "/" in f for f in folders):
            raise ValueError("a folder is a well-known name (inbox, sentitems, ...) or a folder id")
        if len(set(folders)) != len(folders):
            raise ValueError("a folder is listed twice")
        return folders


class SendEmailSettings(CapabilitySettings):
    pass


class CalendarLiveSettings(CapabilitySettings):
    calendars: list[str] | Literal["all"] = Field(
        default_factory=lambda: [DEFAULT_CALENDAR], description="calendar ids, `default`, or `all`")
    # Graph's v1.0 event delta works on a calendar view: a window around today, moved forward as
    # days pass (a new window is a full resync of that calendar, settled by reconcile)
    past_days: int = Field(default=90, ge=1, le=3650)
    future_days: int = Field(default=365, ge=1, le=3650)
    two_way: bool = Field(default=False, description="CRM → Outlook writes (adds Calendars.ReadWrite)")

    @field_validator("calendars")
    @classmethod
    def _calendars(cls, calendars):
        if isinstance(calendars, list) and (not calendars or any(not c.strip() or "/" in c for c in calendars)):
            raise ValueError("calendars are calendar ids or `default`, at least one")
        return calendars
