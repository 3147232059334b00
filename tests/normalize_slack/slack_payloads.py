"""Slack Web API JSON as the channel sync stages it (`slack.message`, `slack.user`, `slack.channel` raw
records), and the helpers that stage it through the store's own staging function.

The shapes follow conversations.history / conversations.replies (message), users.list (user) and
conversations.list (conversation) as Slack documents them; values are the tests' own."""

from __future__ import annotations

import hashlib
import uuid

from worker.store.staging import RawObject, stage_records

CAPABILITY = "sync_channels_live"


def create_slack_connection(conn, tenant_id: uuid.UUID, team_id: str) -> uuid.UUID:
    """A tenant-owned `slack` connection (profile_id NULL) whose account_id is the team id."""
    conn.execute("insert into integrations.providers (provider, ownership) values ('slack', 'tenant')"
                 " on conflict do nothing")
    return conn.execute(
        "insert into integrations.connections (tenant_id, profile_id, provider, ownership, account_id)"
        " values (%s, null, 'slack', 'tenant', %s) returning id",
        (tenant_id, team_id),
    ).fetchone()["id"]


def message(ts: str, *, user: str | None = "U1", text="hello", thread_ts: str | None = None,
            reply_count: int | None = None, edited_ts: str | None = None, subtype: str | None = None,
            bot_id: str | None = None, username: str | None = None, team: str | None = "T1") -> dict:
    """A message as conversations.history (or .replies, for a reply) returns it."""
    payload: dict = {"type": "message", "ts": ts, "text": text,
                     "blocks": [{"type": "rich_text", "block_id": hashlib.md5(ts.encode()).hexdigest()[:5],
                                 "elements": [{"type": "rich_text_section",
                                               "elements": [{"type": "text", "text": text}]}]}]}
    if user is not None:
        payload["user"] = user
    if team is not None:
        payload["team"] = team
    if thread_ts is not None:
        payload["thread_ts"] = thread_ts
    if reply_count is not None:
        payload.update(reply_count=reply_count, reply_users_count=1, reply_users=[user or "U1"],
                       latest_reply=ts, subscribed=False)
    if edited_ts is not None:
        payload["edited"] = {"user": user, "ts": edited_ts}
    if subtype is not None:
        payload["subtype"] = subtype
    if bot_id is not None:
        payload["bot_id"] = bot_id
        payload["bot_profile"] = {"id": bot_id, "name": username or "bot", "deleted": False}
    if username is not None:
        payload["username"] = username
    return payload


def user(user_id: str, *, name: str, real_name: str | None = None, display_name: str = "",
         email: str | None = None, is_bot=False, deleted=False, team="T1") -> dict:
    """A user object as users.list returns it; `profile.email` only with users:read.email."""
    profile = {"real_name": real_name or name, "display_name": display_name,
               "real_name_normalized": real_name or name, "display_name_normalized": display_name,
               "image_48": "https://avatars.example/48.png", "team": team}
    if email is not None:
        profile["email"] = email
    return {"id": user_id, "team_id": team, "name": name, "deleted": deleted, "real_name": real_name or name,
            "tz": "Europe/Paris", "is_admin": False, "is_bot": is_bot, "is_app_user": False,
            "updated": 1700000000, "profile": profile}


def channel(channel_id: str, name: str, *, is_private=False, is_archived=False) -> dict:
    """A conversation object as conversations.list returns it."""
    return {"id": channel_id, "name": name, "is_channel": not is_private, "is_group": is_private,
            "is_im": False, "is_mpim": False, "is_private": is_private, "is_archived": is_archived,
            "is_general": name == "general", "created": 1600000000, "creator": "U1", "is_member": True,
            "topic": {"value": "", "creator": "", "last_set": 0}, "num_members": 3}


def deleted(external_id: str) -> RawObject:
    """A message gone from a re-read window: a tombstone with an empty payload."""
    return RawObject(external_id, {}, is_deleted=True)


def stage_messages(conn, connection_id, tenant_id, channel_id: str, messages: list[dict | RawObject]):
    """Stage messages of one channel, keyed `<channel id>:<ts>` as the sync keys them."""
    objects = [m if isinstance(m, RawObject) else RawObject(f"{channel_id}:{m['ts']}", m) for m in messages]
    return stage_records(conn, connection_id, tenant_id, CAPABILITY, "slack.message", objects)


def stage_users(conn, connection_id, tenant_id, users: list[dict]):
    objects = [RawObject(u["id"], u) for u in users]
    return stage_records(conn, connection_id, tenant_id, CAPABILITY, "slack.user", objects)


def stage_channels(conn, connection_id, tenant_id, channels: list[dict]):
    objects = [RawObject(c["id"], c) for c in channels]
    return stage_records(conn, connection_id, tenant_id, CAPABILITY, "slack.channel", objects)


def chat_message_id(tenant_id, workspace: str, channel_id: str, ts: str) -> str:
    """The product key: md5(tenant | workspace | channel | ts) as a uuid."""
    return str(uuid.UUID(hashlib.md5(f"{tenant_id}|{workspace}|{channel_id}|{ts}".encode()).hexdigest()))
