"""Everything one capability run needs for one Google connection, opened and closed together."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import AsyncIterator

import httpx
from psycopg.rows import dict_row

from worker.crypto import keyring_from_settings
from worker.errors import IntegrationsError
from worker.providers.google.endpoints import GoogleEndpoints
from worker.providers.google.errors import Reauth
from worker.providers.google.http import GoogleClient
from worker.providers.google.pacing import pacer_for
from worker.providers.google.tokens import REAUTH_REASON, ConnectionTokens
from worker.settings import Settings, get_settings
from worker.store import query


@dataclass
class GoogleContext:
    connection: dict
    client: GoogleClient
    endpoints: GoogleEndpoints
    settings: Settings
    pool: object  # psycopg AsyncConnectionPool

    @property
    def connection_id(self):
        return self.connection["id"]

    @property
    def tenant_id(self):
        return self.connection["tenant_id"]

    @property
    def account(self) -> str:
        return self.connection["account_id"]

    def db(self):
        """A pooled connection with dict rows; `async with ctx.db() as conn, conn.transaction(): ...`"""
        return dict_connection(self.pool)


@contextlib.asynccontextmanager
async def dict_connection(pool):
    async with pool.connection() as conn:
        previous = conn.row_factory
        conn.row_factory = dict_row
        try:
            yield conn
        finally:  # the pool hands this connection to code expecting its default rows
            conn.row_factory = previous


@contextlib.asynccontextmanager
async def google_context(pool, connection_id, api: str = "gmail",
                         settings: Settings | None = None) -> AsyncIterator[GoogleContext]:
    settings = settings or get_settings()
    async with dict_connection(pool) as conn:
        row = await (await conn.execute(query("connections.get"), {"id": connection_id})).fetchone()
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
    units = settings.gmail_units_per_minute if api == "gmail" else settings.calendar_quota_units_per_minute
    async with httpx.AsyncClient(timeout=settings.http_timeout_seconds,
                                 limits=httpx.Limits(max_connections=8)) as http:
        client = GoogleClient(http, tokens, pacer_for(row["account_id"], api, units))
        yield GoogleContext(connection=row, client=client, endpoints=endpoints, settings=settings, pool=pool)
