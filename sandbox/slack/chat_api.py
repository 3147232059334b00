"""``chat.postMessage`` (and ``chat.update``/``chat.delete`` for the app's own messages).

A bot token posts as the app's bot user (``bot_id``, ``app_id``, ``bot_profile``); a member channel
only, unless ``chat:write.public`` lets it post in any public channel (``not_in_channel``
otherwise). ``thread_ts`` makes a reply (a reply's ts threads under its parent), ``reply_broadcast``
also shows it in the channel (``subtype: "thread_broadcast"``). ``metadata`` -- an object or a JSON
string ``{"event_type", "event_payload"}`` -- is stored and served to readers that pass
``include_all_metadata``.
"""

from __future__ import annotations

import uuid

from . import ids
from . import scopes as slack_scopes
from .call import Call
from .errors import SlackError
from .messages import render
from .workspace import APP_ID, Channel


def _writable(call: Call) -> Channel:
    call.require(slack_scopes.CHAT_WRITE)
    channel = call.channel(by_name=True)
    if not call.is_member(channel):
        if channel.is_private or slack_scopes.CHAT_WRITE_PUBLIC not in call.caller.scopes:
            raise SlackError("not_in_channel")
    if channel.info.get("is_archived"):
        raise SlackError("is_archived")
    return channel


def _metadata(call: Call) -> dict | None:
    try:
        metadata = call.args.object("metadata")
    except SlackError:
        raise SlackError("invalid_metadata_format") from None
    if metadata in (None, ""):
        return None
    if (not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload", {}), dict)):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata.get("event_payload", {})}


def chat_post_message(call: Call) -> dict:
    channel = _writable(call)
    text = call.args.text("text") or ""
    given_blocks = call.args.object("blocks")
    if not text and not given_blocks and not call.args.get("attachments"):
        raise SlackError("no_text")
    team = call.team
    message = {"type": "message", "text": text, "team": team.id}
    if call.is_bot:
        message.update(user=team.bot_user_id, bot_id=team.bot_id, app_id=APP_ID,
                       bot_profile={"id": team.bot_id, "app_id": APP_ID, "name": "Sandbox App", "deleted": False,
                                    "team_id": team.id, "updated": 0,
                                    "icons": {"image_36": "https://avatars.sandbox.invalid/app_36.png"}})
    else:
        message.update(user=call.actor, client_msg_id=str(uuid.uuid4()))
    if given_blocks:
        message["blocks"] = given_blocks
    metadata = _metadata(call)
    if metadata:
        message["metadata"] = metadata
    thread_ts = call.args.ts("thread_ts")
    if thread_ts is not None:
        try:
            parent = channel.thread_of(thread_ts)
        except KeyError:
            raise SlackError("thread_not_found") from None
        message["thread_ts"] = ids.to_ts(parent)
        if call.args.flag("reply_broadcast"):
            message["subtype"] = "thread_broadcast"
    message["ts"] = ids.to_ts(channel.next_micros())
    stored = channel.insert(message, call.world.rng)
    return {"channel": channel.id, "ts": stored.ts,
            "message": render(channel, stored, call.view(include_metadata=True))}


def _own(call: Call, channel: Channel, error: str):
    micros = call.args.ts("ts")
    stored = channel.messages.get(micros) if micros is not None else None
    if stored is None or stored.deleted:
        raise SlackError("message_not_found")
    if stored.data.get("user") != call.actor:
        raise SlackError(error)
    return stored


def chat_update(call: Call) -> dict:
    channel = _writable(call)
    stored = _own(call, channel, "cant_update_message")
    text = call.args.text("text") or ""
    channel.edit(stored.micros, text, call.world.rng, call.actor)
    return {"channel": channel.id, "ts": stored.ts, "text": text,
            "message": render(channel, stored, call.view(include_metadata=True))}


def chat_delete(call: Call) -> dict:
    channel = _writable(call)
    stored = _own(call, channel, "cant_delete_message")
    channel.delete(stored.micros)
    return {"channel": channel.id, "ts": stored.ts}


METHODS = {"chat.postMessage": chat_post_message, "chat.update": chat_update, "chat.delete": chat_delete}
