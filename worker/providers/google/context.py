"""Everything one capability run needs for one Google connection, opened and closed together."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

import httpx

from worker.crypto import keyring_from_settings
from worker.errors import IntegrationsError
from worker.providers.google.auth.tokens import REAUTH_REASON, ConnectionTokens
from worker.providers.google.client.endpoints import GoogleEndpoints
from worker.providers.google.client.errors import Reauth
from worker.providers.google.client.http import GoogleClient
from worker.providers.google.client.quota_tables import gmail_units_per_minute
from worker.settings import Settings, get_settings
from worker.store.connections import get_connection_row
from worker.sync.context import ConnectionContext
from worker.sync.pacing import pacer_for


class GoogleContext(ConnectionContext):
    """The sync core's context plus Google's client (tokens, pacing) and endpoints."""

    def __init__(self, connection: dict, client: GoogleClient, endpoints: GoogleEndpoints, settings: Settings,
                 pool) -> None:
        super().__init__(connection, pool)
        self.client = client
        self.endpoints = endpoints
        self.settings = settings


@contextlib.asynccontextmanager
async def google_context(pool, connection_id, api: str = "gmail",
                         settings: Settings | None = None) -> AsyncIterator[GoogleContext]:
    settings = settings or get_settings()
    row = await get_connection_row(pool, connection_id)
    if row is None:
        raise IntegrationsError(f"connection {connection_id} no longer exists")
    if row["status"] == "needs_reauth":
        raise Reauth(400, "invalid_grant", row["status_reason"] or REAUTH_REASON)
    if row["credentials"] is None:
        raise IntegrationsError(f"connection {connection_id} has no credentials: run `integrations connect google`")
    keyring = keyring_from_settings(settings)
    stored = keyring.decrypt(row["credentials"], str(row["id"]))
    endpoints = GoogleEndpoints.from_settings(settings)
    tokens = ConnectionTokens(pool, keyring, row, stored, settings, endpoints)
    units = gmail_units_per_minute(settings) if api == "gmail" else settings.calendar_quota_units_per_minute
    async with httpx.AsyncClient(timeout=settings.http_timeout_seconds,
                                 limits=httpx.Limits(max_connections=8)) as http:
        client = GoogleClient(http, tokens, pacer_for(row["account_id"], api, units, provider="google"))
        yield GoogleContext(connection=row, client=client, endpoints=endpoints, settings=settings, pool=pool)


# which Google API (and so which quota pacer) each capability calls
API_OF_CAPABILITY = {"sync_inbox_live": "gmail", "sync_inbox_once": "gmail", "send_email": "gmail",
                     "sync_calendar_live": "calendar", "sync_calendar_once": "calendar"}


def open_google_context(pool, connection_id, capability: str):
    """The registry's context opener for Google: the capability picks the API's quota pacer."""
    return google_context(pool, connection_id, API_OF_CAPABILITY.get(capability, "gmail"))
