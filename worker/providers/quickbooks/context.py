"""Everything one capability run needs for one QuickBooks company, opened and closed together."""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

import httpx

from worker.crypto import keyring_from_settings
from worker.errors import IntegrationsError
from worker.providers.quickbooks.api import QuickBooksApi
from worker.providers.quickbooks.auth.tokens import REAUTH_REASON, QuickBooksTokens
from worker.providers.quickbooks.client.errors import Unauthorized
from worker.providers.quickbooks.client.http import QuickBooksClient
from worker.providers.quickbooks.settings import QuickBooksSettings, quickbooks_settings
from worker.settings import get_settings
from worker.store.connections import get_connection_row
from worker.sync.context import ConnectionContext
from worker.sync.grant import StoredGrant
from worker.sync.pacing import pacer_for

_SLOTS: dict[tuple[str, int], asyncio.Semaphore] = {}
BURST_SECONDS = 6.0  # Intuit counts per minute: a tenth of a minute's budget may go at once


def company_slots(realm: str, concurrency: int) -> asyncio.Semaphore:
    """At most `concurrency` requests per company at once in this process (Intuit allows 10)."""
    key = (realm, id(asyncio.get_running_loop()))
    if key not in _SLOTS:
        _SLOTS[key] = asyncio.Semaphore(concurrency)
    return _SLOTS[key]


class QuickBooksContext(ConnectionContext):
    def __init__(self, connection: dict, client: QuickBooksClient, tokens: QuickBooksTokens,
                 settings: QuickBooksSettings, pool) -> None:
        super().__init__(connection, pool)
        self.client, self.tokens, self.qs = client, tokens, settings
        self.api = QuickBooksApi(client, settings.page_size)


def open_client(http: httpx.AsyncClient, qs: QuickBooksSettings, realm: str, tokens) -> QuickBooksClient:
    """A client paced per company: every capability and job of the company in this process shares
    one bucket at Intuit's per-minute rate and one set of concurrency slots."""
    pacer = pacer_for(realm, "quickbooks", qs.requests_per_minute, burst_seconds=BURST_SECONDS, provider="quickbooks")
    return QuickBooksClient(http, qs.api, realm, tokens, pacer, company_slots(realm, qs.concurrency),
                            qs.minor_version)


@contextlib.asynccontextmanager
async def quickbooks_context(pool, connection_id, capability: str = "") -> AsyncIterator[QuickBooksContext]:
    settings = get_settings()
    qs = quickbooks_settings()
    row = await get_connection_row(pool, connection_id)
    if row is None:
        raise IntegrationsError(f"connection {connection_id} no longer exists")
    if row["status"] == "needs_reauth":
        raise Unauthorized("needs_reauth", row["status_reason"] or REAUTH_REASON)
    if row["credentials"] is None:
        raise IntegrationsError(f"connection {connection_id} has no credentials: run `integrations connect quickbooks`")
    keyring = keyring_from_settings(settings)
    stored = keyring.decrypt(row["credentials"], str(row["id"]))
    async with httpx.AsyncClient(timeout=qs.http_timeout_seconds,
                                 limits=httpx.Limits(max_connections=qs.concurrency)) as http:
        tokens = QuickBooksTokens(StoredGrant(pool, keyring, row["id"]), stored, qs, http)
        yield QuickBooksContext(row, open_client(http, qs, row["account_id"], tokens), tokens, qs, pool)


def open_quickbooks_context(pool, connection_id, capability: str):
    return quickbooks_context(pool, connection_id, capability)
