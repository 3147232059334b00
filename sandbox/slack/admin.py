"""Slack's admin endpoints under ``/_sandbox/``, added to the core's (``core.admin``): the workspace
changes of ``Sandbox`` over HTTP. Imports take objects as the Web API returns them; unknown teams and
channels are created.

    POST   /_sandbox/slack/teams/{team}/users                       Slack user -> stored user
    GET    /_sandbox/slack/teams/{team}/users
    POST   /_sandbox/slack/teams/{team}/channels                    {name, is_private?, bot_member?, members?}
    GET    /_sandbox/slack/teams/{team}/channels
    POST   /_sandbox/slack/teams/{team}/channels/{channel}/messages message (thread_ts != ts: a reply)
    GET    /_sandbox/slack/teams/{team}/channels/{channel}/messages stored messages, replies included
    PATCH  /_sandbox/slack/teams/{team}/channels/{channel}/messages/{ts}   {text}
    DELETE /_sandbox/slack/teams/{team}/channels/{channel}/messages/{ts}
    PUT    /_sandbox/slack/teams/{team}/channels/{channel}/bot_member      {member}
    POST   /_sandbox/slack/teams/{team}/tokens                      {scopes?, user_scopes?} -> oauth.v2.access answer
    POST   /_sandbox/slack/teams/{team}/revoke | /expire
    POST   /_sandbox/slack/teams/{team}/generate                    {channels?, messages_per_channel?, users?, seed?}
    GET|PUT /_sandbox/slack/settings   {window_seconds, limited_history, token_rotation,
                                        access_token_lifetime, volatile_block_ids}
    PUT    /_sandbox/slack/webhooks    {public_url?, bad_signature?, duplicates?, hold?}: events to the app
    POST   /_sandbox/slack/webhooks/release   {reverse?}: send the held events (newest first)
"""

from __future__ import annotations

from ..core.webhooks import webhook_admin_routes
from . import scopes as slack_scopes

TEAM = r"(?P<team>[^/]+)"
CHANNEL = r"(?P<channel>[^/]+)"
TS = r"(?P<ts>[^/]+)"
P = "/_sandbox/slack"


def slack_admin_routes(sb) -> list[tuple]:
    """``(method, regex, handler)`` for the core ``AdminApi``; handlers call ``sb`` (a ``Sandbox``)."""

    def add_user(req, team):
        return sb.add_user(team, req.json())

    def users(req, team):
        return {"members": sb.users(team)}

    def add_channel(req, team):
        body = req.json()
        return sb.add_channel(team, body["name"], is_private=bool(body.get("is_private", False)),
                              bot_member=bool(body.get("bot_member", True)), members=body.get("members"),
                              channel_id=body.get("id"))

    def channels(req, team):
        return {"channels": sb.channels(team)}

    def import_message(req, team, channel):
        return sb.import_message(team, channel, req.json())

    def messages(req, team, channel):
        return {"messages": sb.messages(team, channel)}

    def edit(req, team, channel, ts):
        return sb.edit_message(team, channel, ts, req.json()["text"])

    def delete(req, team, channel, ts):
        sb.delete_message(team, channel, ts)

    def bot_member(req, team, channel):
        sb.set_bot_member(team, channel, bool(req.json().get("member", True)))

    def tokens(req, team):
        body = req.json()
        return sb.issue_bot_token(team, body.get("scopes") or slack_scopes.ALL, body.get("user_scopes") or ())

    def revoke(req, team):
        return {"revoked": sb.revoke_tokens(team)}

    def expire(req, team):
        return {"expired": sb.expire_access_tokens(team)}

    def generate(req, team):
        body = req.json()
        return sb.generate(team, body.get("channels", 5), body.get("messages_per_channel", 200),
                           body.get("users", 10), body.get("seed"))

    def get_settings(req):
        return _settings(sb)

    def put_settings(req):
        body = req.json()
        setters = {"window_seconds": sb.set_window_seconds, "limited_history": sb.set_limited_history,
                   "token_rotation": sb.set_token_rotation, "access_token_lifetime": sb.set_access_token_lifetime,
                   "volatile_block_ids": sb.set_volatile_block_ids, "clock_offset_seconds": sb.set_clock_offset}
        unknown = set(body) - set(setters)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        for key, value in body.items():
            setters[key](value)
        return _settings(sb)

    T = rf"{P}/teams/{TEAM}"
    return [
        ("POST", rf"{T}/users", add_user),
        ("GET", rf"{T}/users", users),
        ("POST", rf"{T}/channels", add_channel),
        ("GET", rf"{T}/channels", channels),
        ("POST", rf"{T}/channels/{CHANNEL}/messages", import_message),
        ("GET", rf"{T}/channels/{CHANNEL}/messages", messages),
        ("PATCH", rf"{T}/channels/{CHANNEL}/messages/{TS}", edit),
        ("DELETE", rf"{T}/channels/{CHANNEL}/messages/{TS}", delete),
        ("PUT", rf"{T}/channels/{CHANNEL}/bot_member", bot_member),
        ("POST", rf"{T}/tokens", tokens),
        ("POST", rf"{T}/revoke", revoke),
        ("POST", rf"{T}/expire", expire),
        ("POST", rf"{T}/generate", generate),
        ("GET", rf"{P}/settings", get_settings),
        ("PUT", rf"{P}/settings", put_settings),
        *webhook_admin_routes(P, sb.webhooks),
    ]


def _settings(sb) -> dict:
    return {"window_seconds": sb.quota.config.window_seconds, "limited_history": sb.quota.config.limited_history,
            "token_rotation": sb.settings.token_rotation, "access_token_lifetime": sb.settings.access_token_lifetime,
            "volatile_block_ids": sb.settings.volatile_block_ids, "clock_offset_seconds": sb.settings.clock_offset_seconds}
