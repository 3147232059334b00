"""The Slack sandbox's world: workspaces (teams), their users and channels, and each channel's
messages with their threads, behind one re-entrant lock (handlers and the Python API both hold it).

A channel keeps every message by ``ts`` (integer microseconds) and two indexes the Web API reads:

    top      sorted ts of what history shows: standalone messages, thread parents, broadcast replies
    replies  parent ts -> sorted ts of its replies

Deleting a message removes it, except a thread parent that still has replies: it stays as a
tombstone (rendered ``subtype: "tombstone"``) until its last reply goes. ``ts`` values never repeat
in a channel, even after deletions.
"""

from __future__ import annotations

import bisect
import copy
import random
import threading
import time
from dataclasses import dataclass, field

from . import blocks, ids

DEFAULT_TEAM = "T0SANDBOX1"
DEFAULT_TEAM_NAME = "Sandbox Workspace"
APP_ID = "A0SANDBOXAP"
# fields Slack computes when it serves a message; dropped from imports and computed on every read
COMPUTED = ("thread_ts", "reply_count", "reply_users", "reply_users_count", "latest_reply", "is_locked",
            "subscribed", "last_read", "parent_user_id", "root")


def now_micros() -> int:
    return int(time.time() * 1_000_000)


@dataclass
class Stored:
    micros: int
    data: dict  # the message without COMPUTED fields
    parent: int | None = None  # the thread parent's ts, for a reply
    deleted: bool = False  # a tombstone: a deleted parent whose replies live on

    @property
    def ts(self) -> str:
        return ids.to_ts(self.micros)

    @property
    def broadcast(self) -> bool:
        return self.data.get("subtype") == "thread_broadcast"


class Channel:
    def __init__(self, info: dict, members: list[str], clock=now_micros) -> None:
        self.clock = clock  # the workspace's: new ts and edits are dated by it
        self.info = info  # the conversation object, less the per-caller fields (is_member, num_members)
        self.members: list[str] = list(dict.fromkeys(members))
        self.messages: dict[int, Stored] = {}
        self.top: list[int] = []
        self.replies: dict[int, list[int]] = {}
        self.last = 0  # highest ts ever used here

    @property
    def id(self) -> str:
        return self.info["id"]

    @property
    def is_private(self) -> bool:
        return bool(self.info.get("is_private"))

    def next_micros(self, at: int | None = None) -> int:
        """A new ts for this channel: `at` (default: now) or just after the last one used."""
        micros = max(at if at is not None else self.clock(), self.last + 1)
        self.last = micros
        return micros

    # -- changes ---------------------------------------------------------------------------
    def insert(self, message: dict, rng: random.Random) -> Stored:
        data = {k: copy.deepcopy(v) for k, v in message.items() if k not in COMPUTED}
        if "ts" in message:
            micros = ids.to_micros(message["ts"])
            if micros in self.messages:
                raise ValueError(f"ts {message['ts']} is already used in channel {self.id}")
            self.last = max(self.last, micros)
        else:
            micros = self.next_micros()
        data["ts"] = ids.to_ts(micros)
        data.setdefault("type", "message")
        if "blocks" not in data and data.get("text") and data.get("subtype") not in ("bot_message", "tombstone"):
            data["blocks"] = blocks.rich_text(data["text"], rng)
        parent = ids.to_micros(message["thread_ts"]) if message.get("thread_ts") else None
        stored = Stored(micros, data, parent if parent != micros else None)
        self.messages[micros] = stored
        if stored.parent is None or stored.broadcast:
            bisect.insort(self.top, micros)
        if stored.parent is not None:
            bisect.insort(self.replies.setdefault(stored.parent, []), micros)
        return stored

    def get(self, micros: int) -> Stored:
        stored = self.messages.get(micros)
        if stored is None or stored.deleted:
            raise KeyError(f"message {ids.to_ts(micros)} in channel {self.id}")
        return stored

    def edit(self, micros: int, text: str, rng: random.Random, editor: str | None = None) -> Stored:
        stored = self.get(micros)
        stored.data["text"] = text
        if "blocks" in stored.data:
            stored.data["blocks"] = blocks.rich_text(text, rng)
        edited_at = max(self.clock(), micros + 1)
        stored.data["edited"] = {"user": editor or stored.data.get("user") or stored.data.get("bot_id"),
                                 "ts": ids.to_ts(edited_at)}
        return stored

    def delete(self, micros: int) -> None:
        stored = self.get(micros)
        if self.replies.get(micros):
            stored.deleted = True  # a parent with replies: a tombstone
            return
        self._drop(stored)
        if stored.parent is not None:
            parent = self.messages.get(stored.parent)
            if parent is not None and parent.deleted and not self.replies.get(parent.micros):
                self._drop(parent)

    def _drop(self, stored: Stored) -> None:
        del self.messages[stored.micros]
        position = bisect.bisect_left(self.top, stored.micros)
        if position < len(self.top) and self.top[position] == stored.micros:
            del self.top[position]
        if stored.parent is not None:
            thread = self.replies.get(stored.parent, [])
            position = bisect.bisect_left(thread, stored.micros)
            if position < len(thread) and thread[position] == stored.micros:
                del thread[position]
            if not thread:
                self.replies.pop(stored.parent, None)

    # -- reading ---------------------------------------------------------------------------
    def thread_of(self, micros: int) -> int:
        """The parent ts of the thread `micros` belongs to (itself for a parent or a standalone message)."""
        stored = self.messages.get(micros)
        if stored is None:
            raise KeyError(ids.to_ts(micros))
        return stored.parent if stored.parent is not None else micros


@dataclass
class Team:
    id: str
    name: str
    domain: str
    bot_user_id: str
    bot_id: str
    users: dict[str, dict] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)

    def human_users(self) -> list[dict]:
        return [u for u in self.users.values() if not u.get("is_bot") and not u.get("deleted")]

    def installer(self) -> str:
        """Who installed the app (``authed_user``): the first person of the workspace."""
        humans = self.human_users()
        return humans[0]["id"] if humans else "U0INSTALLER"

    def channel(self, channel_id: str) -> Channel:
        found = self.channels.get(channel_id)
        if found is None:
            raise KeyError(f"channel {channel_id} in team {self.id}")
        return found

    def channel_named(self, name: str) -> Channel | None:
        name = name.lstrip("#")
        for channel in self.channels.values():
            if channel.info.get("name") == name:
                return channel
        return None


class World:
    def __init__(self, seed: int = 0, clock_offset=lambda: 0.0) -> None:
        self.lock = threading.RLock()
        self.clock_offset = clock_offset  # seconds Slack's clock is ahead of the host's (negative: behind)
        self.rng = random.Random(seed)  # ids, generated block ids
        self.teams: dict[str, Team] = {}
        self.ensure_account(DEFAULT_TEAM, DEFAULT_TEAM_NAME)

    # -- the core's account seam: a Slack "account" is a workspace ---------------------------
    def ensure_account(self, team_id: str, name: str | None = None) -> Team:
        with self.lock:
            team = self.teams.get(team_id)
            if team is None:
                team = Team(team_id, name or f"Workspace {team_id}", _domain(name or team_id),
                            ids.new_id(self.rng, "U"), ids.new_id(self.rng, "B"))
                team.users[team.bot_user_id] = bot_user(team)
                self.teams[team_id] = team
            return team

    def now_micros(self) -> int:
        """Slack's clock: what new ts are made of and what its answers' Date header says."""
        return now_micros() + int(self.clock_offset() * 1_000_000)

    def accounts(self) -> list[str]:
        with self.lock:
            return sorted(self.teams)

    def team(self, team_id: str) -> Team:
        return self.ensure_account(team_id)

    # -- users and channels ------------------------------------------------------------------
    def add_user(self, team_id: str, user: dict) -> dict:
        with self.lock:
            team = self.team(team_id)
            user_id = user.get("id") or ids.new_id(self.rng, "U")
            stored = user_object(team, user_id, user)
            team.users[user_id] = stored
            return copy.deepcopy(stored)

    def add_channel(self, team_id: str, name: str, *, is_private: bool = False, bot_member: bool = True,
                    members=None, channel_id: str | None = None, created: int | None = None, **info) -> Channel:
        with self.lock:
            team = self.team(team_id)
            channel_id = channel_id or ids.new_id(self.rng, "C")
            if channel_id in team.channels:
                raise ValueError(f"channel {channel_id} already exists in team {team_id}")
            humans = [u["id"] for u in team.human_users()]
            creator = humans[0] if humans else team.bot_user_id
            people = list(members) if members is not None else ([] if is_private else humans)
            if bot_member:
                people.append(team.bot_user_id)
            channel = Channel(conversation(team, channel_id, name, is_private, creator,
                                           created if created is not None else int(time.time()), info), people,
                              self.now_micros)
            team.channels[channel_id] = channel
            return channel

    def ensure_channel(self, team_id: str, channel_id: str) -> Channel:
        """The channel, created (public, the bot a member, named after its id) when unknown."""
        with self.lock:
            team = self.team(team_id)
            if channel_id not in team.channels:
                self.add_channel(team_id, channel_id.lower(), channel_id=channel_id)
            return team.channels[channel_id]


def _domain(name: str) -> str:
    return "".join(c for c in name.lower().replace(" ", "-") if c.isalnum() or c == "-") or "sandbox"


def bot_user(team: Team) -> dict:
    return user_object(team, team.bot_user_id, {
        "name": "sandbox_app", "real_name": "Sandbox App", "is_bot": True,
        "profile": {"bot_id": team.bot_id, "api_app_id": APP_ID, "always_active": True},
    })


def user_object(team: Team, user_id: str, given: dict) -> dict:
    """A Slack ``user`` object: `given` over the defaults Slack fills in (profile merged too)."""
    profile_given = dict(given.get("profile") or {})
    email = profile_given.get("email") or given.get("email")
    real_name = given.get("real_name") or profile_given.get("real_name") or (
        email.split("@")[0].replace(".", " ").title() if email else given.get("name") or user_id)
    name = given.get("name") or (email.split("@")[0] if email else real_name.lower().replace(" ", "."))
    first, _, last = real_name.partition(" ")
    profile = {
        "title": "", "phone": "", "skype": "", "real_name": real_name, "real_name_normalized": real_name,
        "display_name": name if not given.get("is_bot") else "", "display_name_normalized": name,
        "fields": None, "status_text": "", "status_emoji": "", "status_expiration": 0,
        "avatar_hash": f"g{user_id[-6:].lower()}", "first_name": first, "last_name": last,
        "image_24": f"https://avatars.sandbox.invalid/{user_id}_24.png",
        "image_72": f"https://avatars.sandbox.invalid/{user_id}_72.png", "team": team.id,
    }
    if email:
        profile["email"] = email
    profile.update(profile_given)
    user = {
        "id": user_id, "team_id": team.id, "name": name, "deleted": False, "color": "9f69e7",
        "real_name": real_name, "tz": "Europe/Madrid", "tz_label": "Central European Time", "tz_offset": 3600,
        "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_restricted": False,
        "is_ultra_restricted": False, "is_bot": False, "is_app_user": False, "updated": int(time.time()),
        "is_email_confirmed": bool(email), "who_can_share_contact_card": "EVERYONE",
    }
    user.update({k: copy.deepcopy(v) for k, v in given.items() if k not in ("profile", "email")})
    user["id"], user["team_id"], user["profile"] = user_id, team.id, profile
    return user


def conversation(team: Team, channel_id: str, name: str, is_private: bool, creator: str, created: int,
                 extra: dict) -> dict:
    """A Slack ``conversation`` object for a channel (private channels are ``is_channel`` too since 2021)."""
    info = {
        "id": channel_id, "name": name, "is_channel": True, "is_group": False, "is_im": False, "is_mpim": False,
        "is_private": is_private, "created": created, "is_archived": False, "is_general": name == "general",
        "unlinked": 0, "name_normalized": name, "is_shared": False, "is_org_shared": False,
        "is_pending_ext_shared": False, "pending_shared": [], "context_team_id": team.id,
        "updated": created * 1000, "parent_conversation": None, "creator": creator, "is_ext_shared": False,
        "shared_team_ids": [team.id], "pending_connected_team_ids": [],
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0}, "previous_names": [],
    }
    info.update(copy.deepcopy(extra))
    return info
