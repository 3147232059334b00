"""Everything one capability run needs for one Slack workspace connection, opened and closed together."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

import httpx

from worker.crypto import keyring_from_settings
from worker.errors import IntegrationsError
from worker.providers.slack.auth.tokens import REAUTH_REASON, SlackTokens
from worker.providers.slack.channels.api import SlackApi
from worker.providers.slack.client.errors import Unauthorized
from worker.providers.slack.client.http import TIERS, SlackClient
from worker.providers.slack.settings import SlackSettings, slack_settings
from worker.settings import get_settings
from worker.store.connections import get_connection_row
from worker.sync.context import ConnectionContext
from worker.sync.grant import StoredGrant
from worker.sync.pacing import Pacer, pacer_for


class SlackContext(ConnectionContext):
    def __init__(self, connection: dict, client: SlackClient, settings: SlackSettings, pool) -> None:
        super().__init__(connection, pool)
        self.client = client
        self.ss = settings
        self.api = SlackApi(client, settings.history_page_size)

    @property
    def granted(self) -> set[str]:
        return set(self.connection.get("granted_scopes") or [])


BURST_SECONDS = 6.0  # Slack counts per minute: a tenth of a minute's budget may go at once


def method_pacers(team: str, ss: SlackSettings):
    """Method → this workspace's token bucket for it, filled at its tier's rate (Slack counts per
    method, workspace and app). History gets no burst: for a non-Marketplace app its one call per
    minute is the whole budget."""
    per_minute = {2: ss.tier2_per_minute, 3: ss.tier3_per_minute, 4: ss.tier4_per_minute,
                  "history": ss.history_per_minute, "post": ss.post_per_minute}

    def pacer(method: str) -> Pacer:
        tier = TIERS.get(method, 3)
        rate = per_minute.get(tier, ss.tier3_per_minute)
        return pacer_for(team, f"slack:{method}", rate, burst_seconds=1.0 if tier == "history" else BURST_SECONDS)

    return pacer


@contextlib.asynccontextmanager
async def slack_context(pool, connection_id, capability: str = "") -> AsyncIterator[SlackContext]:
    settings = get_settings()
    ss = slack_settings()
    row = await get_connection_row(pool, connection_id)
    if row is None:
        raise IntegrationsError(f"connection {connection_id} no longer exists")
    if row["status"] == "needs_reauth":
        raise Unauthorized("needs_reauth", row["status_reason"] or REAUTH_REASON)
    if row["credentials"] is None:
        raise IntegrationsError(f"connection {connection_id} has no credentials: run `integrations connect slack`")
    keyring = keyring_from_settings(settings)
    stored = keyring.decrypt(row["credentials"], str(row["id"]))
    async with httpx.AsyncClient(timeout=ss.http_timeout_seconds) as http:
        tokens = SlackTokens(StoredGrant(pool, keyring, row["id"]), stored, ss, http)
        client = SlackClient(http, ss.api, tokens, method_pacers(row["account_id"], ss))
        yield SlackContext(row, client, ss, pool)


def open_slack_context(pool, connection_id, capability: str):
    return slack_context(pool, connection_id, capability)
