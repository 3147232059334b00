"""Slack's conversations and users methods this provider calls, with their paging.

History and replies are read newest-first and oldest-first respectively, page by page, through
`response_metadata.next_cursor`; the page size follows the app's tier (15 for non-Marketplace apps).
"""

from __future__ import annotations

from typing import AsyncIterator

from worker.providers.slack.client.http import SlackClient


class SlackApi:
    def __init__(self, client: SlackClient, page_size: int = 200) -> None:
        self.client, self.page_size = client, page_size

    async def channels(self, private: bool) -> list[dict]:
        """Every unarchived channel the app can see (private ones only with the groups scopes)."""
        types = "public_channel,private_channel" if private else "public_channel"
        found: list[dict] = []
        async for _, items, _ in self.client.pages("conversations.list", {
                "types": types, "exclude_archived": "true", "limit": 200}, "channels"):
            found.extend(c for c in items if isinstance(c, dict) and c.get("id"))
        return found

    async def channel(self, channel: str) -> dict:
        return (await self.client.call("conversations.info", {"channel": channel})).get("channel") or {}

    def history(self, channel: str, *, oldest: str | None = None, latest: str | None = None,
                cursor: str | None = None) -> AsyncIterator:
        """(answer, messages, next cursor) per page, newest first, `oldest` and `latest` inclusive."""
        params = {"channel": channel, "limit": self.page_size, "oldest": oldest, "latest": latest,
                  "inclusive": "true" if (oldest or latest) else None, "include_all_metadata": "true"}
        return self.client.pages("conversations.history", params, "messages", cursor)

    async def thread(self, channel: str, ts: str) -> list[dict]:
        """The thread of parent `ts`: the parent first, then every reply, oldest first."""
        messages: list[dict] = []
        async for _, items, _ in self.replies(channel, ts):
            messages.extend(items)
        return messages

    def replies(self, channel: str, ts: str, *, oldest: str | None = None) -> AsyncIterator:
        """(answer, messages, next cursor) per page of the thread of parent `ts`, oldest first."""
        params = {"channel": channel, "ts": ts, "limit": self.page_size, "include_all_metadata": "true",
                  "oldest": oldest, "inclusive": "true" if oldest else None}
        return self.client.pages("conversations.replies", params, "messages")

    async def users(self) -> list[dict]:
        found: list[dict] = []
        async for _, items, _ in self.client.pages("users.list", {"limit": 200}, "members"):
            found.extend(u for u in items if isinstance(u, dict) and u.get("id"))
        return found

    async def user(self, user: str) -> dict:
        return (await self.client.call("users.info", {"user": user})).get("user") or {}
