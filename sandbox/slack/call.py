"""``Call``: what a Web API handler gets -- its arguments, the caller (token, workspace, scopes) and
the checks every method shares: scopes (``require``), channel visibility (``channel``), membership,
page sizes, and how messages are rendered for this read (``view``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .args import Args
from .errors import SlackError, missing_scope
from .messages import View
from .oauth import Caller, SlackOAuth
from .quota import SlackQuota
from .workspace import Channel, Team, World


@dataclass
class Call:
    method: str
    args: Args
    caller: Caller
    team: Team
    world: World
    quota: SlackQuota
    oauth: SlackOAuth
    volatile_block_ids: bool = True
    rng: random.Random = field(default_factory=random.Random)

    @property
    def is_bot(self) -> bool:
        return self.caller.kind == "bot"

    @property
    def actor(self) -> str:
        """The user id the token acts as: the app's bot user, or the installing person."""
        return self.team.bot_user_id if self.is_bot else self.caller.user_id

    def require(self, scope: str) -> None:
        if scope not in self.caller.scopes:
            raise missing_scope(scope, self.caller.scopes)

    def channel(self, name: str = "channel", by_name: bool = False) -> Channel:
        """The conversation named by argument `name`; ``channel_not_found`` when it does not exist or
        is private and the caller is not in it (Slack does not admit such channels exist)."""
        wanted = self.args.text(name)
        if not wanted:
            raise SlackError("channel_not_found")
        channel = self.team.channels.get(wanted)
        if channel is None and by_name:
            channel = self.team.channel_named(wanted)
        if channel is None or (channel.is_private and not self.is_member(channel)):
            raise SlackError("channel_not_found")
        return channel

    def is_member(self, channel: Channel) -> bool:
        return self.actor in channel.members

    def view(self, include_metadata: bool | None = None) -> View:
        if include_metadata is None:
            include_metadata = self.args.flag("include_all_metadata")
        return View(include_metadata, self.volatile_block_ids, self.rng)

    def conversation(self, channel: Channel, num_members: bool = True) -> dict:
        """The conversation object as this caller sees it (``is_member``, ``num_members``)."""
        info = dict(channel.info)
        info["is_member"] = self.is_member(channel)
        if num_members:
            info["num_members"] = len(channel.members)
        return info
