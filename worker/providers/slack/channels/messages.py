"""Slack messages as raw records: their ids, their identity without volatile fields, tombstones.

A message is known by its channel and `ts` (unique per channel), so its external id is
`<channel>:<ts>`; `ts` has a fixed width ("1700000000.000100"), so a channel's messages sort by
time and a window is an id range. Slack regenerates `block_id` on every read: the identity hashed
for dedup leaves those out, so re-reading a window stores nothing unless something changed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from worker.store.staging import RawObject

MESSAGE, CHANNEL, USER = "slack.message", "slack.channel", "slack.user"
VOLATILE = frozenset({"block_id"})


def message_id(channel: str, ts: str) -> str:
    return f"{channel}:{ts}"


def split_id(external_id: str) -> tuple[str, str]:
    channel, _, ts = external_id.partition(":")
    return channel, ts


def ts_of(seconds: float | Decimal) -> str:
    """An instant as a Slack `ts` (seconds with six decimals)."""
    return f"{Decimal(seconds):.6f}"


def seconds(ts: str) -> Decimal:
    try:
        return Decimal(ts)
    except (InvalidOperation, TypeError):
        return Decimal(0)


def without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [without_volatile(v) for v in value]
    return value


def message_record(channel: str, message: dict) -> RawObject:
    return RawObject(message_id(channel, message["ts"]), message, identity=without_volatile(message))


def tombstone(external_id: str) -> RawObject:
    return RawObject(external_id, {}, is_deleted=True)


def is_thread_parent(message: dict) -> bool:
    return bool(message.get("reply_count")) and message.get("thread_ts") in (None, message.get("ts"))


def is_reply(message: dict) -> bool:
    return bool(message.get("thread_ts")) and message.get("thread_ts") != message.get("ts")


def valid(message: Any) -> bool:
    """Stageable: an object with a ts (anything else in a page is an item failure, never the page's)."""
    return isinstance(message, dict) and isinstance(message.get("ts"), str) and bool(message["ts"])
