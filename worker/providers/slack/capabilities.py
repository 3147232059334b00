"""Slack's minimal bot scopes and the settings models of its capabilities (DESIGN.md, "Capabilities").

Reading channels needs both the public (`channels:*`) and the private (`groups:*`) scopes: a
private channel is synced only when the workspace granted them and the bot is a member. Users
are read for their profile email, so the author of a message reaches the CRM by address.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from worker.capabilities import CapabilitySettings

CHANNELS_HISTORY = "channels:history"
CHANNELS_READ = "channels:read"
GROUPS_HISTORY = "groups:history"
GROUPS_READ = "groups:read"
USERS_READ = "users:read"
USERS_READ_EMAIL = "users:read.email"
CHAT_WRITE = "chat:write"

READ_SCOPES = frozenset({CHANNELS_HISTORY, CHANNELS_READ, GROUPS_HISTORY, GROUPS_READ, USERS_READ, USERS_READ_EMAIL})


class ChannelsLiveSettings(CapabilitySettings):
    channels: list[str] | Literal["member"] = Field(
        default="member", description="channel ids, or `member`: every channel the bot is in")
    # Slack has no change feed: edits, deletions and late replies are found by re-reading this
    # much history before the newest message seen, on every run
    lookback_hours: float = Field(default=72.0, gt=0, le=24 * 90)
    # how far back `reconcile` compares a channel's history with what is staged and normalized
    reconcile_days: float = Field(default=30.0, gt=0, le=3650)

    @field_validator("channels")
    @classmethod
    def _channels(cls, channels):
        if isinstance(channels, list):
            if not channels or any(not c.strip() or not c.isalnum() for c in channels):
                raise ValueError("channels are channel ids (C…, G…), at least one, or `member`")
            if len(set(channels)) != len(channels):
                raise ValueError("a channel is listed twice")
        return channels


class PostMessageSettings(CapabilitySettings):
    pass
