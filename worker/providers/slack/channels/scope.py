"""Which channels a Slack connection syncs: the configured ids, or every channel the bot is in."""

from __future__ import annotations

from worker.providers.slack.capabilities import GROUPS_HISTORY, GROUPS_READ
from worker.providers.slack.channels.messages import CHANNEL
from worker.store.staging import RawObject
from worker.sync.stager import PageStager

CAPABILITY = "sync_channels_live"


async def channels_in_scope(ctx, channels, capability: str) -> list[str]:
    """The configured channel ids, or every channel the bot is a member of (private ones when the
    install granted the groups scopes); the channel objects are staged on the way."""
    private = {GROUPS_READ, GROUPS_HISTORY} <= ctx.granted
    listed = await ctx.api.channels(private=private)
    stager = PageStager(ctx, capability, resource=CHANNEL)
    if channels == "member":
        chosen = [c for c in listed if c.get("is_member")]
    else:
        by_id = {c["id"]: c for c in listed}
        chosen = [by_id.get(c) or {"id": c} for c in channels]
    await stager.stage_page([RawObject(c["id"], c) for c in chosen if len(c) > 1], None)
    return [c["id"] for c in chosen]
