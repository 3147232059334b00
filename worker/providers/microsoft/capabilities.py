"""Microsoft's minimal scopes and the settings models of its capabilities (DESIGN.md, "Capabilities").

Graph scopes are written short (`Mail.Read` is `https://graph.microsoft.com/Mail.Read`).
`offline_access` is what yields a refresh token: every capability that runs unattended needs it.
"""

from __future__ import annotations

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
