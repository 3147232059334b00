"""`sync_channels_once`: a manual read of chosen channels over a time window, threads included.

Its progress (`run:<id>` row) holds the channel it is in and that channel's page cursor, so a
killed run resumes at the page it had not stored, and `sync once --wait` draws it as a bar.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, field_validator

from worker.providers.slack.channels.live import ChannelStream
from worker.providers.slack.channels.messages import MESSAGE, is_thread_parent, ts_of, valid
from worker.providers.slack.channels.scope import channels_in_scope
from worker.providers.slack.channels.users import UserBook
from worker.sync.cursors import OnceProgress
from worker.sync.loops import OncePage, run_once
from worker.sync.stager import PageStager

CAPABILITY = "sync_channels_once"


class ChannelsOnceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: list[str] = Field(default_factory=list, description="channel ids; none: every channel the bot is in")
    oldest: datetime | None = Field(default=None, description="from this instant (ISO 8601)")
    latest: datetime | None = Field(default=None, description="up to this instant (ISO 8601)")
    max: int | None = Field(default=None, ge=1, description="at most this many history messages")

    @field_validator("oldest", "latest")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class ChannelsOnceProgress(OnceProgress):
    channels: list[str] | None = None


def _ts(value: datetime | None) -> str | None:
    return None if value is None else ts_of(value.timestamp())


async def sync_channels_once(ctx, params: ChannelsOnceParams, run_id: str) -> dict:
    if params.oldest and params.latest and params.oldest > params.latest:
        from worker.errors import BadInput

        raise BadInput("oldest is after latest")
    stager = PageStager(ctx, CAPABILITY, stream=f"run:{run_id}", resource=MESSAGE)
    stored = await stager.load_cursor(ChannelsOnceProgress)
    channels = stored.channels or params.channels or await channels_in_scope(ctx, "member", CAPABILITY)
    latest = _ts(params.latest) or ts_of(time.time())
    users = UserBook(ctx)

    async def fetch(progress: ChannelsOnceProgress, remaining: int | None) -> OncePage:
        index, _, cursor = (progress.pageToken or "0|").partition("|")
        channel = channels[int(index)]
        pages = ctx.api.history(channel, oldest=_ts(params.oldest), latest=latest, cursor=cursor or None)
        _, messages, following = await anext(pages)
        await pages.aclose()
        if remaining is not None:
            messages = messages[:remaining]
        stream = ChannelStream(ctx, channel, 0, users)
        parents = [m["ts"] for m in messages if valid(m) and is_thread_parent(m)]
        objects, failures, authors, _ = await stream.read(messages, parents, broadcasts_from=None)
        if following:
            token = f"{index}|{following}"
        else:
            token = f"{int(index) + 1}|" if int(index) + 1 < len(channels) else None
        return OncePage(objects, len(messages), token, failures=failures, before=[("slack.user", authors)])

    progress = await run_once(stager, ChannelsOnceProgress, fetch, params.max, defaults={"channels": channels})
    return {"channels": channels, "listed": progress.listed, "staged": progress.staged, "failed": progress.failed}
