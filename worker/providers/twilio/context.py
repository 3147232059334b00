"""Everything one capability run needs for one Twilio connection, opened and closed together."""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

import httpx

from worker.crypto import keyring_from_settings
from worker.errors import IntegrationsError
from worker.providers.twilio.api import TwilioApi
from worker.providers.twilio.auth.key import REAUTH_REASON, StoredKey
from worker.providers.twilio.client.errors import Unauthorized
from worker.providers.twilio.client.http import TwilioClient
from worker.providers.twilio.settings import TwilioSettings, twilio_settings
from worker.settings import get_settings
from worker.store.connections import get_connection_row
from worker.sync.context import ConnectionContext
from worker.sync.pacing import pacer_for

_SLOTS: dict[tuple[str, int], asyncio.Semaphore] = {}


def account_slots(account: str, concurrency: int) -> asyncio.Semaphore:
    """At most `concurrency` requests per account at once in this process (Twilio limits an
    account's concurrent requests too)."""
    key = (account, id(asyncio.get_running_loop()))
    if key not in _SLOTS:
        _SLOTS[key] = asyncio.Semaphore(concurrency)
    return _SLOTS[key]


class TwilioContext(ConnectionContext):
    def __init__(self, connection: dict, client: TwilioClient, settings: TwilioSettings, pool) -> None:
        super().__init__(connection, pool)
        self.client = client
        self.tw = settings
        self.api = TwilioApi(client, connection["account_id"], settings.page_size)


def open_client(http: httpx.AsyncClient, settings: TwilioSettings, account: str, key) -> TwilioClient:
    """A client paced per account: both live syncs and sends of one account share its budget."""
    pacer = pacer_for(account, "twilio", settings.requests_per_second * 60)
    return TwilioClient(http, settings.base_url, key, pacer, account_slots(account, settings.concurrency))


@contextlib.asynccontextmanager
async def twilio_context(pool, connection_id, capability: str = "") -> AsyncIterator[TwilioContext]:
    settings = get_settings()
    tw = twilio_settings()
    row = await get_connection_row(pool, connection_id)
    if row is None:
        raise IntegrationsError(f"connection {connection_id} no longer exists")
    if row["status"] == "needs_reauth":
        raise Unauthorized(401, 20003, row["status_reason"] or REAUTH_REASON)
    if row["credentials"] is None:
        raise IntegrationsError(f"connection {connection_id} has no API key: run `integrations connect twilio`")
    keyring = keyring_from_settings(settings)
    key = StoredKey(pool, keyring, row["id"], keyring.decrypt(row["credentials"], str(row["id"])))
    async with httpx.AsyncClient(timeout=tw.http_timeout_seconds,
                                 limits=httpx.Limits(max_connections=tw.concurrency)) as http:
        yield TwilioContext(row, open_client(http, tw, row["account_id"], key), tw, pool)


def open_twilio_context(pool, connection_id, capability: str):
    return twilio_context(pool, connection_id, capability)
