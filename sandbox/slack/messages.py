"""How a stored message is served: the thread fields Slack computes, tombstones, metadata only when
asked for, and fresh ``block_id`` values on every read when ``volatile_block_ids`` is on.

    parent     thread_ts (= ts), reply_count, reply_users, reply_users_count, latest_reply, is_locked
    reply      thread_ts (the parent's), parent_user_id; a broadcast in history also carries ``root``
    tombstone  subtype "tombstone", user USLACKBOT, text "This message was deleted.", hidden, thread fields
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

from . import blocks, ids
from .workspace import Channel, Stored

TOMBSTONE_TEXT = "This message was deleted."


@dataclass
class View:
    """What one read asks for."""

    include_metadata: bool = False
    volatile_block_ids: bool = True
    rng: random.Random = field(default_factory=random.Random)


def render(channel: Channel, stored: Stored, view: View, with_root: bool = False) -> dict:
    if stored.deleted:
        out = {"type": "message", "subtype": "tombstone", "text": TOMBSTONE_TEXT, "user": "USLACKBOT",
               "hidden": True, "ts": stored.ts}
        if "team" in stored.data:
            out["team"] = stored.data["team"]
    else:
        out = copy.deepcopy(stored.data)
        if not view.include_metadata:
            out.pop("metadata", None)
        if view.volatile_block_ids and isinstance(out.get("blocks"), list):
            out["blocks"] = blocks.refresh_block_ids(out["blocks"], view.rng)
    thread = channel.replies.get(stored.micros)
    if stored.parent is None and thread:
        users = [channel.messages[r].data.get("user") or channel.messages[r].data.get("bot_id") for r in thread]
        reply_users = [u for u in dict.fromkeys(users) if u]
        out.update(thread_ts=stored.ts, reply_count=len(thread), reply_users_count=len(reply_users),
                   latest_reply=ids.to_ts(thread[-1]), reply_users=reply_users, is_locked=False, subscribed=False)
    elif stored.parent is not None:
        out["thread_ts"] = ids.to_ts(stored.parent)
        parent = channel.messages.get(stored.parent)
        if parent is not None and not parent.deleted and parent.data.get("user"):
            out["parent_user_id"] = parent.data["user"]
        if with_root and stored.broadcast and parent is not None:
            out["root"] = render(channel, parent, view)
    return out
