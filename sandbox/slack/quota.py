"""Slack's rate limits on the core's moving-window quota: per method, per workspace, per app.

Each Web API method belongs to a tier; a workspace may call it that many times per window:

    Tier 1: 1    Tier 2: 20 (conversations.list, users.list)
    Tier 3: 50 (conversations.history/.replies/.info/.join, auth.revoke, chat.update/.delete)
    Tier 4: 100 (auth.test, conversations.members, users.info: Slack's method pages say Tier 4)

The window is Slack's minute, shortened in tests (``window_seconds`` = 2 keeps the counts and
scales the time). chat.postMessage is metered per channel instead: about one message per second,
``post_burst`` in a row, i.e. ``post_burst`` posts per ``post_burst`` seconds (scaled the same way),
and the workspace's ``post_per_workspace`` per window. With ``limited_history`` (a non-Marketplace
app since 2025-05-29) conversations.history and .replies allow ``limited_history_requests`` per window
and their ``limit`` is capped and defaulted to ``limited_history_limit`` (15). Over any limit: HTTP 429,
``Retry-After`` seconds, ``{"ok": false, "error": "ratelimited"}``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.quota import Quota
from .errors import ratelimited

TIERS = {
    "auth.test": 4, "auth.revoke": 3,
    "conversations.list": 2, "conversations.info": 3, "conversations.members": 4, "conversations.history": 3,
    "conversations.replies": 3, "conversations.join": 3,
    "users.list": 2, "users.info": 4,
    "chat.update": 3, "chat.delete": 3,
}
POST = "chat.postMessage"
LIMITED = ("conversations.history", "conversations.replies")


@dataclass
class QuotaConfig:
    window_seconds: float = 60.0  # Slack's minute; the tier counts are per window
    max_concurrent_per_user: int | None = None  # Slack has no concurrency limit
    tier1: int = 1
    tier2: int = 20
    tier3: int = 50
    tier4: int = 100
    post_burst: int = 10  # chat.postMessage per channel: this many per this many seconds (~1/s)
    post_per_workspace: int = 300  # chat.postMessage per workspace per window
    limited_history: bool = False
    limited_history_requests: int = 1
    limited_history_limit: int = 15
    metered: bool = True  # False turns every limit off


@dataclass
class _Window:
    window_seconds: float
    max_concurrent_per_user: int | None = None


class _PerLimit(Quota):
    """A moving window with one limit, for the per-channel posting pace."""

    def __init__(self, window_seconds: float, limit: int) -> None:
        super().__init__(_Window(window_seconds))
        self.count = limit

    def limit(self, service: str) -> int | None:
        return self.count

    def exceeded(self, retry_after: int):
        return ratelimited(retry_after)


class SlackQuota(Quota):
    config: QuotaConfig

    def __init__(self, config: QuotaConfig, clock=None) -> None:
        super().__init__(config, *([clock] if clock else []))
        self._posts = _PerLimit(1.0, 1)

    def limit(self, service: str) -> int | None:
        config = self.config
        if not config.metered:
            return None
        if config.limited_history and service in LIMITED:
            return config.limited_history_requests
        if service == POST:
            return config.post_per_workspace
        tier = TIERS.get(service)
        return getattr(config, f"tier{tier}") if tier else None

    def exceeded(self, retry_after: int):
        return ratelimited(retry_after)

    def reset(self, config=None) -> None:
        super().reset(config)
        self._posts.reset()

    def charge_post(self, team_id: str, channel_id: str) -> None:
        """One chat.postMessage to `channel_id`: the channel's pace, then the workspace's budget."""
        if not self.config.metered:
            return
        burst = max(1, self.config.post_burst)
        self._posts.config.window_seconds = burst * self.config.window_seconds / 60.0
        self._posts.count = burst
        self._posts.charge(team_id, channel_id, 1)
        self.charge(team_id, POST, 1)

    def history_limit(self, method: str, asked: int | None, default: int, maximum: int) -> int:
        """The page size conversations.history/.replies serve for ``limit`` = `asked` (None: not given)."""
        if self.config.limited_history:
            default = maximum = self.config.limited_history_limit
        if asked is None or asked <= 0:
            return default
        return min(asked, maximum)
