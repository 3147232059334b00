"""``conversations.list/.info/.members/.join/.history/.replies`` over a workspace's channels.

Paging follows Slack: ``limit`` and an opaque ``cursor`` (``response_metadata.next_cursor``, empty at
the end). history serves newest first, paging backward in time inside the window
``oldest < ts < latest`` (both ends included with ``inclusive``); a thread's replies are not in it
except broadcasts. replies serves the thread's parent first on every page, then its replies oldest
first, paging forward. A bot reads a channel's messages only as a member (``not_in_channel``).
"""

from __future__ import annotations

import bisect

from . import ids
from . import scopes as slack_scopes
from .call import Call
from .errors import SlackError
from .messages import render
from .workspace import Channel


def _cursor(call: Call, kind: str) -> str | None:
    cursor = call.args.text("cursor")
    if not cursor:
        return None
    try:
        return ids.decode_cursor(cursor, kind)
    except ValueError:
        raise SlackError("invalid_cursor") from None


def _page_of_ids(call: Call, items: list[str], kind: str, default: int, maximum: int) -> tuple[list[str], str]:
    start = 0
    position = _cursor(call, kind)
    if position is not None:
        if position not in items:
            raise SlackError("invalid_cursor")
        start = items.index(position)
    limit = call.args.number("limit", default, maximum)
    rest = items[start + limit:]
    return items[start:start + limit], ids.encode_cursor(kind, rest[0]) if rest else ""


# -- channels ----------------------------------------------------------------------------------
def conversations_list(call: Call) -> dict:
    types = [t.strip() for t in (call.args.text("types") or "public_channel").split(",") if t.strip()]
    for kind in types:
        if kind not in slack_scopes.LIST_TYPES:
            raise SlackError("invalid_types")
        call.require(slack_scopes.LIST_TYPES[kind])
    exclude_archived = call.args.flag("exclude_archived")
    visible = []
    for channel in call.team.channels.values():
        kind = "private_channel" if channel.is_private else "public_channel"
        if kind not in types or (exclude_archived and channel.info.get("is_archived")):
            continue
        if channel.is_private and not call.is_member(channel):
            continue
        visible.append(channel.id)
    page, next_cursor = _page_of_ids(call, visible, "team", 100, 1000)
    return {"channels": [call.conversation(call.team.channels[c]) for c in page],
            "response_metadata": {"next_cursor": next_cursor}}


def conversations_info(call: Call) -> dict:
    channel = call.channel()
    call.require(slack_scopes.read_scope(channel.is_private))
    return {"channel": call.conversation(channel, call.args.flag("include_num_members"))}


def conversations_members(call: Call) -> dict:
    channel = call.channel()
    call.require(slack_scopes.read_scope(channel.is_private))
    page, next_cursor = _page_of_ids(call, channel.members, "user", 100, 1000)
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


def conversations_join(call: Call) -> dict:
    call.require(slack_scopes.CHANNELS_JOIN)
    channel = call.channel()
    if channel.is_private:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.info.get("is_archived"):
        raise SlackError("is_archived")
    answer = {}
    if call.is_member(channel):
        answer["warning"] = "already_in_channel"
    else:
        channel.members.append(call.actor)
    answer["channel"] = call.conversation(channel)
    return answer


# -- messages ----------------------------------------------------------------------------------
def _readable(call: Call) -> Channel:
    channel = call.channel()
    call.require(slack_scopes.history_scope(channel.is_private))
    if call.is_bot and not call.is_member(channel):
        raise SlackError("not_in_channel")
    return channel


def _window(call: Call, ordered: list[int]) -> tuple[int, int]:
    """Index bounds [lo, hi) of `ordered` inside ``oldest``..``latest`` (ends with ``inclusive``)."""
    oldest, latest, inclusive = call.args.ts("oldest"), call.args.ts("latest"), call.args.flag("inclusive")
    lo, hi = 0, len(ordered)
    if oldest is not None:
        lo = (bisect.bisect_left if inclusive else bisect.bisect_right)(ordered, oldest)
    if latest is not None:
        hi = (bisect.bisect_right if inclusive else bisect.bisect_left)(ordered, latest)
    return lo, max(lo, hi)


def _position(call: Call) -> int | None:
    position = _cursor(call, "next_ts")
    if position is None:
        return None
    try:
        return ids.to_micros(position)
    except ValueError:
        raise SlackError("invalid_cursor") from None


def conversations_history(call: Call) -> dict:
    channel = _readable(call)
    limit = call.quota.history_limit(call.method, call.args.number("limit", 0), 100, 999)
    lo, hi = _window(call, channel.top)
    before = _position(call)
    if before is not None:
        hi = min(hi, bisect.bisect_left(channel.top, before))
    start = max(lo, hi - limit)
    page = channel.top[start:hi][::-1]
    has_more = start > lo
    view = call.view()
    return {
        "messages": [render(channel, channel.messages[m], view, with_root=True) for m in page],
        "has_more": has_more, "pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0,
        "response_metadata": {"next_cursor": ids.encode_cursor("next_ts", ids.to_ts(page[-1])) if has_more else ""},
    }


def conversations_replies(call: Call) -> dict:
    channel = _readable(call)
    asked = call.args.ts("ts")
    if asked is None:
        raise SlackError("invalid_arguments")
    try:
        parent = channel.thread_of(asked)
    except KeyError:
        raise SlackError("thread_not_found") from None
    limit = call.quota.history_limit(call.method, call.args.number("limit", 0), 1000, 1000)
    thread = channel.replies.get(parent, [])
    lo, hi = _window(call, thread)
    after = _position(call)
    if after is not None:
        lo = max(lo, min(hi, bisect.bisect_right(thread, after)))
    page = thread[lo:min(hi, lo + limit)]
    has_more = lo + limit < hi
    view = call.view()
    messages = [render(channel, channel.messages[parent], view)] if parent in channel.messages else []
    messages += [render(channel, channel.messages[m], view) for m in page]
    return {
        "messages": messages, "has_more": has_more,
        "response_metadata": {"next_cursor": ids.encode_cursor("next_ts", ids.to_ts(page[-1])) if has_more else ""},
    }


METHODS = {
    "conversations.list": conversations_list, "conversations.info": conversations_info,
    "conversations.members": conversations_members, "conversations.join": conversations_join,
    "conversations.history": conversations_history, "conversations.replies": conversations_replies,
}
