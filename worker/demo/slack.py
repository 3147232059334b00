"""The demo tenant's Slack workspace: a month of generated conversation in a local Slack sandbox,
installed through OAuth for the whole tenant, synced by `sync_channels_live`, one post made exactly
once, and the chat messages the CRM then shows (authors by the demo users' addresses).

`run.py` holds this piece as `Demo.slack` and calls it at its steps (start, settings, connect, the
live syncs, the summary, the request count of reprocess, stop); everything Slack is here.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from worker.demo.world import ANA, BEN, CLEO, consent_in_background
from worker.optional import load_sandbox
from worker.store import query

SEED = 13
TEAM = "T0ACMEDEMO"
CHANNELS, MESSAGES = 3, 60  # per channel, replies included
CAPABILITIES = {"sync_channels_live": None, "sync_channels_once": None, "post_message": None}
LIVE = ("sync_channels_live",)
POST = "Kick-off with Carla (Client) confirmed for Tuesday 10:00 :tada:"


class SlackDemo:
    def __init__(self, say: Callable[[str], object]) -> None:
        self.say = say
        slack = load_sandbox("sandbox.slack", "`integrations demo`")
        self.sandbox = slack.Sandbox(seed=SEED)
        self.generated = self.sandbox.generate(TEAM, channels=CHANNELS, messages_per_channel=MESSAGES,
                                               users=[ANA, BEN, CLEO, "dario@acme.example"], seed=SEED)
        self.sandbox.start()
        self.connection_id = None
        member = [c for c in self.generated["channels"] if c["bot_member"]]
        self.channel = member[0]["id"]
        say(f"Slack sandbox on {self.sandbox.base_url}: workspace {TEAM}, {CHANNELS} channels "
            f"({len(member)} with the app), {self.generated['messages']} messages")

    def env(self) -> dict[str, str]:
        return self.sandbox.env()

    def connect(self, url: str, tenant_id, step: Callable[[str], object]) -> None:
        """`integrations connect slack` as a function (the demo plays the browser), then one post queued."""
        from worker.api import post_message
        from worker.crypto import keyring_from_settings
        from worker.providers.slack.auth.connect import connect_slack
        from worker.settings import get_settings

        step(f"installing the Slack app in workspace {TEAM} for the tenant (OAuth v2; no profile: tenant-owned)")
        settings = get_settings()
        browsers = []

        def on_url(consent: str) -> None:
            self.say(f"consent URL: {consent[:100]}…")
            browsers.append(consent_in_background(consent))

        row = connect_slack(url, settings, keyring_from_settings(settings), tenant_id=tenant_id, profile_id=None,
                            account=TEAM, capabilities=CAPABILITIES, on_url=on_url, timeout=60)
        for browser in browsers:
            browser.join(10)
        self.connection_id = row["id"]
        self.say(f"connection {row['id']} {row['status']}, bot scopes: {' '.join(row['granted_scopes'])}")
        queued = asyncio.run(post_message(url, row["id"], channel=self.channel, text=POST,
                                          idempotency_key="demo-slack-post"))
        self.say(f"queued a post in {self.channel} (outbound {queued['outbound_id']})")

    async def defer_live(self) -> None:
        from worker.tasks.dispatch import defer_live

        for capability in LIVE:
            await defer_live(self.connection_id, capability)

    def show(self, conn, tenant_id, echo: Callable[[str], object]) -> None:
        """The newest chat messages from product.chat_messages (mentions and links rendered)."""
        if not conn.execute(query("schema.relation_exists"), {"relation": "product.chat_messages"}).fetchone()["present"]:
            echo("  product.chat_messages is not built yet")
            return
        counts = conn.execute(query("slack.demo_chat_count"), {"tenant_id": tenant_id}).fetchone()
        echo(f"  newest chat messages (product.chat_messages: {counts['n']} in {counts['channels']} channels,"
             f" {counts['with_address']} with the author's address)")
        for m in conn.execute(query("slack.demo_chat"), {"tenant_id": tenant_id, "limit": 6}):
            author = m["author_address"] or m["author_name"] or "?"
            echo(f"    {m['sent_at']:%Y-%m-%d %H:%M} #{m['channel_name'] or '?':<12} {author:<26}"
                 f" {'↳ ' if m['is_reply'] else ''}{(m['text'] or '')[:60]}")

    def stop(self) -> None:
        self.sandbox.stop()
