"""``Sandbox``: the Slack sandbox tests, the demo and the CLI hold -- OAuth v2 and the Web API methods
the Slack provider calls, on the core ``BaseSandbox`` (server, request log, faults, quota, tokens),
with every change a test needs as a plain method (the admin HTTP API calls these).

An account of the core (``add_account``, ``issue_tokens``, ``consent_as`` ...) is a workspace: its
team id. Messages are returned as ``conversations.history`` serves them (with metadata).
"""

from __future__ import annotations

import dataclasses

from ..core.admin import AdminApi
from ..core.sandbox import BaseSandbox
from ..core.tokens import TokenStore
from ..core.webhooks import Webhooks
from . import events, ids
from . import scopes as slack_scopes
from .admin import slack_admin_routes
from .app import SlackApp
from .messages import View, render
from .oauth import SlackOAuth
from .quota import QuotaConfig, SlackQuota
from .workspace import DEFAULT_TEAM, World

DEFAULT_CLIENT_ID = "4821937465.7302918465123"
DEFAULT_CLIENT_SECRET = "sandbox-slack-client-secret-5b8e1f"
DEFAULT_SIGNING_SECRET = "8f742231b10e8888abcd99e3c4a5b6d7"
EVENTS_PATH = "/webhooks/slack/events"  # the app's Request URL under its public URL


@dataclasses.dataclass
class Settings:
    token_rotation: bool = False
    access_token_lifetime: float = 43200.0
    volatile_block_ids: bool = True
    reinstall_keeps_bot_token: bool = False
    clock_offset_seconds: float = 0.0  # Slack's clock against the host's: new ts, the Date header


class Sandbox(BaseSandbox):
    DEFAULT_TEAM = DEFAULT_TEAM

    def __init__(self, seed: int = 0, window_seconds: float = 60.0, limited_history: bool = False,
                 token_rotation: bool = False, access_token_lifetime: float = 43200.0,
                 volatile_block_ids: bool = True, client_id: str = DEFAULT_CLIENT_ID,
                 client_secret: str = DEFAULT_CLIENT_SECRET, signing_secret: str = DEFAULT_SIGNING_SECRET) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.signing_secret = signing_secret
        self._settings_defaults = Settings(token_rotation, access_token_lifetime, volatile_block_ids)
        self.settings = dataclasses.replace(self._settings_defaults)
        self.webhooks = Webhooks()
        super().__init__(seed, SlackQuota(QuotaConfig(window_seconds=window_seconds, limited_history=limited_history)))

    # -- core seams ----------------------------------------------------------------------------
    def new_world(self) -> World:
        return World(self.seed, lambda: self.settings.clock_offset_seconds)

    def new_tokens(self) -> TokenStore:
        return TokenStore(self.client_id, self.client_secret, self.settings.access_token_lifetime, "xoxb-", "xoxe-1-")

    def new_app(self, admin: AdminApi) -> SlackApp:
        self.oauth = SlackOAuth(self.tokens, self.world,
                                lambda: (self.settings.token_rotation, self.settings.access_token_lifetime),
                                keeps_bot_token=lambda: self.settings.reinstall_keeps_bot_token)
        return SlackApp(self.world, self.oauth, self.quota, self.faults, self.log, self.settings, admin)

    def admin_routes(self) -> list[tuple]:
        return slack_admin_routes(self)

    def env(self) -> dict[str, str]:
        return {
            "INTEGRATIONS_SLACK_BASE_URL": self.base_url,
            "INTEGRATIONS_SLACK_CLIENT_ID": self.client_id,
            "INTEGRATIONS_SLACK_CLIENT_SECRET": self.client_secret,
            "INTEGRATIONS_SLACK_SIGNING_SECRET": self.signing_secret,
            # where the sandboxes deliver webhooks (`sandbox serve --public-url`): serve's setting too
            **({"INTEGRATIONS_PUBLIC_URL": self.webhooks.public_url} if self.webhooks.public_url else {}),
        }

    def reset(self) -> None:
        """Empty state (the default workspace only), faults, log, rate-limit spending; settings as constructed."""
        for each in dataclasses.fields(Settings):
            setattr(self.settings, each.name, getattr(self._settings_defaults, each.name))
        self.webhooks.reset()
        super().reset()

    # -- settings ------------------------------------------------------------------------------
    def set_limited_history(self, limited: bool) -> None:
        """A non-Marketplace app: history/replies 1 request per window, ``limit`` capped at 15."""
        self.quota.config.limited_history = bool(limited)

    def set_window_seconds(self, seconds: float) -> None:
        """The rate-limit window (Slack's minute); tier counts stay per window."""
        self.quota.config.window_seconds = float(seconds)

    def set_token_rotation(self, rotation: bool) -> None:
        """Token rotation for later installs: expiring access tokens plus refresh tokens."""
        self.settings.token_rotation = bool(rotation)

    def set_access_token_lifetime(self, seconds: float) -> None:
        self.settings.access_token_lifetime = float(seconds)

    def set_volatile_block_ids(self, volatile: bool) -> None:
        self.settings.volatile_block_ids = bool(volatile)

    def set_reinstall_keeps_bot_token(self, keep: bool) -> None:
        """A later install of the app into a workspace that already has its (non-rotating) bot token
        answers that same token, as Slack does: revoking the "new" one ends the earlier install too."""
        self.settings.reinstall_keeps_bot_token = bool(keep)

    def set_clock_offset(self, seconds: float) -> None:
        """Skew Slack's clock against the host's (negative: Slack is behind): the ts of new
        messages and the Date header of every answer follow it."""
        self.settings.clock_offset_seconds = float(seconds)

    # -- workspaces and tokens (a core "account" is a team id) ----------------------------------
    def add_account(self, team_id: str) -> str:
        return self.world.ensure_account(team_id).id

    def add_team(self, team_id: str, name: str | None = None) -> dict:
        team = self.world.ensure_account(team_id, name)
        return {"id": team.id, "name": team.name, "domain": team.domain, "bot_user_id": team.bot_user_id,
                "bot_id": team.bot_id}

    def issue_bot_token(self, team_id: str, scopes=slack_scopes.ALL, user_scopes=()) -> dict:
        """Skip the consent page: an ``oauth.v2.access`` answer for an install into `team_id`
        (with ``refresh_token`` and ``expires_in`` when token rotation is on)."""
        with self.world.lock:
            return self.oauth.install(team_id, slack_scopes.split(scopes), slack_scopes.split(user_scopes))

    def issue_tokens(self, email: str, scopes, offline: bool = True) -> dict:
        """The core's name for ``issue_bot_token`` (the admin API's ``/_sandbox/oauth/tokens``)."""
        return self.issue_bot_token(email, scopes)

    def revoke_tokens(self, team_id: str) -> int:
        """Uninstall the app from `team_id`: every token answers ``token_revoked``, refresh tokens die."""
        with self.world.lock:
            return self.oauth.revoke_team(team_id)

    def revoke_refresh_tokens(self, email: str | None = None, refresh_token: str | None = None) -> int:
        with self.world.lock:
            return self.oauth.revoke_team(email, refresh_token)

    def expire_access_tokens(self, team_id: str | None = None) -> int:
        """Every access token of `team_id` (all when None) answers ``token_expired`` from now on."""
        with self.world.lock:
            return self.oauth.expire(team_id)

    def consent_as(self, team_id: str | None) -> None:
        """Every later consent installs into `team_id` whatever ``team`` the URL names (None: the URL's)."""
        self.tokens.consent_as = team_id or None

    # -- users and channels ----------------------------------------------------------------------
    def add_user(self, team_id: str, user: dict) -> dict:
        """Store a Slack ``user`` object (its ``id`` generated when missing, Slack's defaults filled in)."""
        return self.world.add_user(team_id, user)

    def users(self, team_id: str) -> list[dict]:
        with self.world.lock:
            return [dict(u) for u in self.world.team(team_id).users.values()]

    def add_channel(self, team_id: str, name: str, *, is_private: bool = False, bot_member: bool = True,
                    members=None, channel_id: str | None = None) -> dict:
        """A new channel (public channels get every person of the workspace as members, private ones
        only `members`); the bot is a member when `bot_member`. Returns the conversation object."""
        with self.world.lock:
            channel = self.world.add_channel(team_id, name, is_private=is_private, bot_member=bot_member,
                                             members=members, channel_id=channel_id)
            return self._conversation(team_id, channel)

    def channels(self, team_id: str) -> list[dict]:
        with self.world.lock:
            team = self.world.team(team_id)
            return [self._conversation(team_id, c) for c in team.channels.values()]

    def set_bot_member(self, team_id: str, channel_id: str, member: bool) -> None:
        with self.world.lock:
            team = self.world.team(team_id)
            channel = team.channel(channel_id)
            if member and team.bot_user_id not in channel.members:
                channel.members.append(team.bot_user_id)
            elif not member and team.bot_user_id in channel.members:
                channel.members.remove(team.bot_user_id)

    def archive_channel(self, team_id: str, channel_id: str, archived: bool = True) -> None:
        with self.world.lock:
            self.world.team(team_id).channel(channel_id).info["is_archived"] = bool(archived)

    def _conversation(self, team_id: str, channel) -> dict:
        team = self.world.team(team_id)
        return {**channel.info, "is_member": team.bot_user_id in channel.members, "num_members": len(channel.members)}

    # -- messages ------------------------------------------------------------------------------
    def import_message(self, team_id: str, channel_id: str, message: dict) -> dict:
        """Store a message as ``conversations.history`` returns it (``ts`` generated when missing; a
        ``thread_ts`` other than its ``ts`` makes it a reply). Unknown channels are created."""
        with self.world.lock:
            channel = self.world.ensure_channel(team_id, channel_id)
            message = dict(message)
            message.setdefault("team", team_id)
            stored = channel.insert(message, self.world.rng)
            rendered = render(channel, stored, View(include_metadata=True, volatile_block_ids=False))
        self._emit(team_id, {**_event_fields(rendered), "type": "message", "channel": channel_id,
                             "event_ts": rendered["ts"]})
        return rendered

    def edit_message(self, team_id: str, channel_id: str, ts: str, text: str) -> dict:
        """Change a message's text as its author would: ``edited {user, ts}`` appears, blocks follow."""
        with self.world.lock:
            channel = self.world.team(team_id).channel(channel_id)
            stored = channel.edit(ids.to_micros(ts), text, self.world.rng)
            rendered = render(channel, stored, View(include_metadata=True, volatile_block_ids=False))
            now = rendered.get("edited", {}).get("ts", ts)  # the edit's own ts, as message_changed carries
        self._emit(team_id, {"type": "message", "subtype": "message_changed", "channel": channel_id, "hidden": True,
                             "message": _event_fields(rendered), "ts": now, "event_ts": now})
        return rendered

    def delete_message(self, team_id: str, channel_id: str, ts: str) -> None:
        """Delete a message; a thread parent with replies stays as a tombstone."""
        with self.world.lock:
            self.world.team(team_id).channel(channel_id).delete(ids.to_micros(ts))
        self._emit(team_id, {"type": "message", "subtype": "message_deleted", "channel": channel_id, "hidden": True,
                             "deleted_ts": ts, "ts": ts, "event_ts": ts})

    def messages(self, team_id: str, channel_id: str) -> list[dict]:
        """Everything stored in the channel, replies and tombstones included, oldest first, with
        metadata and stable block ids (for assertions)."""
        with self.world.lock:
            channel = self.world.team(team_id).channel(channel_id)
            view = View(include_metadata=True, volatile_block_ids=False)
            return [render(channel, channel.messages[m], view) for m in sorted(channel.messages)]

    # -- Events API (for tests of a webhook receiver) ----------------------------------------
    def event_request(self, team_id: str, event: dict, timestamp: int | None = None) -> tuple[bytes, dict]:
        """An ``event_callback`` for `event` in `team_id`, as Slack would POST it: (raw body, signed headers).
        `timestamp` (unix seconds, default now) lets tests sign a stale request."""
        with self.world.lock:
            body = events.encode(events.event_callback(self.world.team(team_id), event))
        return body, events.signed_headers(self.signing_secret, body, timestamp)

    def url_verification_request(self) -> tuple[bytes, dict, str]:
        """Slack's ``url_verification`` handshake: (raw body, signed headers, the challenge to echo)."""
        payload = events.url_verification()
        body = events.encode(payload)
        return body, events.signed_headers(self.signing_secret, body), payload["challenge"]

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """``X-Slack-Signature`` and ``X-Slack-Request-Timestamp`` for any raw body."""
        return events.signed_headers(self.signing_secret, body, timestamp)

    def deliver_event(self, url: str, team_id: str, event: dict) -> tuple[int, bytes]:
        """POST a signed ``event_callback`` to `url`; the receiver's status and body."""
        body, headers = self.event_request(team_id, event)
        return events.deliver(url, body, headers)

    # -- deliveries to the app's public URL (set_public_url; misbehave, hold/release: self.webhooks) --
    def set_public_url(self, url: str | None) -> None:
        """Deliver an event for every message imported, edited or deleted from now on to
        ``url + /webhooks/slack/events``, signed with the signing secret (None: stop)."""
        self.webhooks.set_public_url(url)

    def _emit(self, team_id: str, event: dict) -> None:
        if self.webhooks.public_url is None:
            return
        with self.world.lock:
            body = events.encode(events.event_callback(self.world.team(team_id), event))

        def sign(raw: bytes, attempt: int) -> dict:
            headers = events.signed_headers(self.signing_secret, raw)
            if attempt:  # Slack's retries of an unanswered delivery: the same body, signed anew
                headers.update({"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"})
            return headers

        self.webhooks.emit(EVENTS_PATH, body, sign, "X-Slack-Signature")

    # -- generated data ------------------------------------------------------------------------
    def generate(self, team_id: str, channels: int = 5, messages_per_channel: int = 200, users=10,
                 seed: int | None = None) -> dict:
        """Populate `team_id` with `users` people (a count, or a list of emails), `channels` channels
        and `messages_per_channel` messages each (threads, broadcasts, bot and file messages, edits,
        mentions, metadata). Returns a summary: ids and counts."""
        from .generator import populate

        with self.world.lock:
            return populate(self, team_id, channels, messages_per_channel, users,
                            self.seed if seed is None else seed)


def _event_fields(message: dict) -> dict:
    """A stored message as a ``message`` event carries it (no reply counts or metadata)."""
    keep = ("user", "text", "ts", "thread_ts", "edited", "bot_id", "subtype", "blocks", "client_msg_id", "team")
    return {k: message[k] for k in keep if k in message}
