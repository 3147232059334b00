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
from worker.sync.pacing import Pacer

_SLOTS: dict[tuple[str, int], asyncio.Semaphore] = {}
_PACERS: dict[tuple[str, int], Pacer] = {}


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


def account_pacer(account: str, requests_per_second: float) -> Pacer:
    """One pacer per account in this process: both live syncs and the sends of an account share its
    budget. Twilio meters a rate over a moving window, which a bucket holding more than one request
    would overrun at its start (a full bucket, then the steady rate within one window): so no burst."""
    key = (account, id(asyncio.get_running_loop()))
    pacer = _PACERS.get(key)
    if pacer is None or abs(pacer.rate - requests_per_second * 0.97) > 1e-9:
        pacer = _PACERS[key] = Pacer(requests_per_second * 60, burst_seconds=0)
    return pacer


def open_client(http: httpx.AsyncClient, settings: TwilioSettings, account: str, key) -> TwilioClient:
    """A client paced per account (`account_pacer`), at most `concurrency` requests in flight."""
    pacer = account_pacer(account, settings.requests_per_second)
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
