"""Everything one capability run needs for one Microsoft connection, opened and closed together."""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

import httpx

from worker.crypto import keyring_from_settings
from worker.errors import IntegrationsError
from worker.providers.microsoft.auth.tokens import REAUTH_REASON, MicrosoftTokens
from worker.providers.microsoft.client.errors import Unauthorized
from worker.providers.microsoft.client.http import GraphClient
from worker.providers.microsoft.settings import MicrosoftSettings, microsoft_settings
from worker.settings import get_settings
from worker.store.connections import get_connection_row
from worker.sync.context import ConnectionContext
from worker.sync.grant import StoredGrant
from worker.sync.pacing import pacer_for

_SLOTS: dict[tuple[str, int], asyncio.Semaphore] = {}


def mailbox_slots(account: str, concurrency: int) -> asyncio.Semaphore:
    """Graph allows 4 concurrent requests per app and mailbox: one semaphore per mailbox here."""
    key = (account, id(asyncio.get_running_loop()))
    if key not in _SLOTS:
        _SLOTS[key] = asyncio.Semaphore(concurrency)
    return _SLOTS[key]


class MicrosoftContext(ConnectionContext):
    def __init__(self, connection: dict, client: GraphClient, settings: MicrosoftSettings, pool) -> None:
        super().__init__(connection, pool)
        self.client = client
        self.ms = settings


@contextlib.asynccontextmanager
async def microsoft_context(pool, connection_id, capability: str = "") -> AsyncIterator[MicrosoftContext]:
    settings = get_settings()
    ms = microsoft_settings()
    row = await get_connection_row(pool, connection_id)
    if row is None:
        raise IntegrationsError(f"connection {connection_id} no longer exists")
    if row["status"] == "needs_reauth":
        raise Unauthorized(400, "invalid_grant", row["status_reason"] or REAUTH_REASON)
    if row["credentials"] is None:
        raise IntegrationsError(f"connection {connection_id} has no credentials: run `integrations connect microsoft`")
    keyring = keyring_from_settings(settings)
    stored = keyring.decrypt(row["credentials"], str(row["id"]))
    tokens = MicrosoftTokens(StoredGrant(pool, keyring, row["id"]), stored, ms)
    # Graph's Outlook budget is 10,000 requests per 10 minutes per app and mailbox
    pacer = pacer_for(row["account_id"], "graph", ms.requests_per_ten_minutes / 10, provider="microsoft")
    async with httpx.AsyncClient(timeout=ms.http_timeout_seconds, verify=ms.tls_context(),
                                 limits=httpx.Limits(max_connections=ms.concurrency)) as http:
        client = GraphClient(http, ms.graph, tokens, pacer, mailbox_slots(row["account_id"], ms.concurrency))
        yield MicrosoftContext(row, client, ms, pool)


def open_microsoft_context(pool, connection_id, capability: str):
    return microsoft_context(pool, connection_id, capability)
